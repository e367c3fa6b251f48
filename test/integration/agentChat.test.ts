/**
 * The chat in agent mode inside a real VS Code: a scripted OpenAI-compatible server on loopback
 * plays the model (it calls the tool the chat offers and answers from its result), the MCP test
 * server runs over stdio from user settings, and the call goes through the chat's approval.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { ScriptedChatServer, type ChatRequestBody, type ScriptedReply } from '../harness/scriptedChatServer';
import { api, until, useSettings } from './helpers';

const FIXTURE_SERVER = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'mcp', 'server.mjs');
const MODEL = 'scripted-agent';

function script(request: ChatRequestBody): ScriptedReply {
  const last = request.messages.at(-1)!;
  if (last.role === 'tool') {
    return { text: `The server said: ${last.content ?? ''}` };
  }
  const echo = (request.tools ?? []).find((t) => t.function.name.endsWith('__echo'));
  return echo ? { calls: [{ name: echo.function.name, arguments: { text: 'hello through the chat' } }] } : { text: 'no echo tool offered' };
}

describe('agent mode in the chat with an MCP server', function () {
  this.timeout(120_000);
  let server: ScriptedChatServer | undefined;
  const restore: Array<() => Promise<void>> = [];

  before(async () => {
    server = await ScriptedChatServer.start(MODEL, script, 1);
    const mcpServers = { echoer: { command: process.execPath, args: [FIXTURE_SERVER], env: { ELECTRON_RUN_AS_NODE: '1' } } };
    restore.push(await useSettings('autoglm', { 'backend.chat': 'remote', 'remote.baseUrl': server.baseUrl, 'remote.model': MODEL, 'remote.contextTokens': 32768, 'mcp.servers': mcpServers }));
  });

  after(async () => {
    const { agent, chat } = await api();
    agent.setEnabled(false);
    chat.controller().newConversation();
    for (const undo of restore.reverse()) await undo();
    await server?.stop();
  });

  it('calls the MCP tool after the user allows it and answers from its result', async () => {
    const { agent, chat, mcp } = await api();
    await mcp.reload();
    const settled = await until(() => mcp.servers().find((s) => s.name === 'echoer' && (s.state === 'ready' || s.state === 'failed')), `the MCP server from user settings to start (${JSON.stringify(mcp.servers())})`);
    assert.equal(settled.state, 'ready', JSON.stringify(settled));
    assert.ok(agent.tools().some((t) => t.source === 'mcp:echoer' && t.definition.name.endsWith('__echo')));
    agent.setEnabled(true);
    const controller = chat.controller();
    controller.newConversation();
    const sent = controller.send({ content: 'Say hello through the echo tool' });
    const waiting = await until(() => controller.current()?.turns.at(-1)?.toolCalls?.find((c) => c.state === 'waiting-approval'), 'the MCP call to wait for approval');
    assert.equal(waiting.source, 'mcp:echoer');
    assert.equal(waiting.permission, 'execute');
    assert.equal(controller.answerApproval(waiting.id, { decision: 'allow' }), true);
    await sent;
    const turn = controller.current()!.turns.at(-1)!;
    assert.equal(turn.toolCalls?.[0]?.state, 'done');
    assert.match(turn.toolCalls?.[0]?.result ?? '', /hello through the chat/);
    assert.match(turn.content, /The server said: hello through the chat/);
    const offered = server!.requests[0]!.tools!.map((t) => t.function.name);
    assert.ok(offered.includes('read_file') && offered.some((n) => n.endsWith('__echo')), offered.join(', '));
  });
});
