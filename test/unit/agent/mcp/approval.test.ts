import * as assert from 'node:assert/strict';
import { keyListMemory, ServerApproval } from '../../../../src/agent/mcp/approval';
import { approvalQuestion } from '../../../../src/agent/mcp/approvalText';
import type { McpServerConfig } from '../../../../src/agent/mcp/config';

const server = (name: string, scope: McpServerConfig['scope'], command = 'node'): McpServerConfig => ({ name, scope, transport: 'stdio', command, args: [], env: {}, cwd: undefined });

function setup(answers: boolean[]) {
  let stored: readonly string[] = [];
  const asked: string[] = [];
  const approval = new ServerApproval(
    keyListMemory(() => stored, (keys) => {
      stored = keys;
      return Promise.resolve();
    }),
    () => (s) => {
      asked.push(s.name);
      return Promise.resolve(answers.shift() ?? false);
    },
  );
  return { approval, asked, stored: () => stored };
}

describe('MCP server approval', () => {
  it('starts user servers without asking and asks once for each workspace server', async () => {
    const { approval, asked, stored } = setup([true, false]);
    const outcome = await approval.decide([server('mine', 'user'), server('repo', 'workspace'), server('other', 'workspace')]);
    assert.deepEqual(outcome.allowed.map((s) => s.name), ['mine', 'repo']);
    assert.deepEqual(outcome.declined.map((s) => s.name), ['other']);
    assert.deepEqual(asked, ['repo', 'other']);
    assert.equal(stored().length, 1);
    const again = await approval.decide([server('repo', 'workspace'), server('other', 'workspace')]);
    assert.deepEqual(again.allowed.map((s) => s.name), ['repo']);
    assert.deepEqual(asked, ['repo', 'other'], 'neither the approved nor the declined server is asked about again');
  });

  it('tells which servers start without a question: the user\'s and those approved before', async () => {
    const { approval, asked } = setup([true]);
    const servers = [server('mine', 'user'), server('repo', 'workspace'), server('new', 'workspace', 'python')];
    assert.deepEqual(approval.allowedWithoutAsking(servers).map((s) => s.name), ['mine']);
    await approval.decide([servers[1]!]);
    assert.deepEqual(approval.allowedWithoutAsking(servers).map((s) => s.name), ['mine', 'repo']);
    assert.deepEqual(asked, ['repo']);
  });

  it('asks again when the command of an approved server changes', async () => {
    const { approval, asked } = setup([true, true]);
    await approval.decide([server('repo', 'workspace', 'node')]);
    await approval.decide([server('repo', 'workspace', 'python')]);
    assert.deepEqual(asked, ['repo', 'repo']);
  });

  it('asks about a declined server again once the user reconsiders it', async () => {
    const { approval, asked } = setup([false, true]);
    const repo = server('repo', 'workspace');
    assert.deepEqual((await approval.decide([repo])).allowed, []);
    approval.reconsider(repo);
    assert.deepEqual((await approval.decide([repo])).allowed, [repo]);
    assert.deepEqual(asked, ['repo', 'repo']);
  });

  it('keeps a bounded list of approvals, newest last', async () => {
    let stored: readonly string[] = ['a', 'b', 'c'];
    const memory = keyListMemory(() => stored, (keys) => {
      stored = keys;
      return Promise.resolve();
    }, 3);
    await memory.approve('a');
    await memory.approve('d');
    assert.deepEqual(stored, ['c', 'a', 'd']);
    assert.equal(memory.isApproved('b'), false);
  });
});

describe('the question before a workspace server starts', () => {
  it('names the command line, the folder and the environment', () => {
    const { message, detail } = approvalQuestion({ name: 'tools', scope: 'workspace', transport: 'stdio', command: 'npx', args: ['-y', 'some server'], env: { NODE_OPTIONS: '--require ./x.js' }, cwd: '/repo' });
    assert.equal(message, 'Start the MCP server "tools" from this workspace?');
    assert.equal(detail.split('\n').slice(0, 5).join('\n'), 'The workspace file .autoglm/mcp.json asks to\nrun npx -y "some server"\nin /repo\nwith the environment\n  NODE_OPTIONS=--require ./x.js');
  });

  it('names the URL and the headers it would send, without their values', () => {
    const { detail } = approvalQuestion({ name: 'web', scope: 'workspace', transport: 'http', url: 'https://mcp.example/mcp', headers: { Authorization: 'secret' } });
    assert.match(detail, /connect to https:\/\/mcp\.example\/mcp\nsending the headers Authorization\n/);
    assert.doesNotMatch(detail, /secret/);
  });
});
