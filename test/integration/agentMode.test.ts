/**
 * Agent mode as the extension composes it: the built-in tools described by the prompt pack's
 * templates, the agent's system prompt from the pack, the switch, and the chat's view of it.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api } from './helpers';

describe('agent mode in the extension', function () {
  this.timeout(60_000);

  it('offers the built-in tools with the descriptions of the prompt pack and its agent system prompt', async () => {
    const { agent } = await api();
    const tools = agent.tools();
    assert.deepEqual(tools.slice(0, 8).map((t) => t.definition.name), ['read_file', 'list_files', 'search_text', 'get_problems', 'find_definition', 'find_references', 'propose_edits', 'run_command']);
    assert.match(tools[1]!.definition.description, /^List workspace files whose path matches a glob/);
    assert.ok(tools.filter((t) => t.source === 'builtin').every((t) => t.definition.description.length > 40), 'every built-in tool has the pack wording');
    const prompt = agent.systemPrompt();
    assert.match(prompt, /in agent mode/);
    assert.match(prompt, new RegExp(`"${vscode.workspace.name}"`));
    assert.equal(vscode.workspace.isTrusted, true);
    assert.match(prompt, /ask the user first/);
  });

  it('reads and edits by permission: reading runs, edits and commands ask, until allowed for the session', async () => {
    const { agent } = await api();
    const byName = new Map(agent.tools().map((t) => [t.definition.name, t]));
    assert.equal(agent.permissions.gate(byName.get('read_file')!), 'run');
    assert.equal(agent.permissions.gate(byName.get('propose_edits')!), 'ask');
    assert.equal(agent.permissions.gate(byName.get('run_command')!), 'ask');
    agent.permissions.allowForSession(byName.get('run_command')!);
    assert.equal(agent.permissions.gate(byName.get('run_command')!), 'run');
    assert.equal(agent.permissions.gate(byName.get('propose_edits')!), 'ask', 'allowing one tool allows no other');
    agent.permissions.reset();
  });

  it('the switch is remembered and the chat view says how many tools answers may call', async () => {
    const { agent, chat } = await api();
    agent.setEnabled(true);
    assert.equal(agent.enabled, true);
    const view = chat.view.state().agent;
    assert.deepEqual(view && { enabled: view.enabled, restricted: view.restricted }, { enabled: true, restricted: false });
    assert.equal(view?.toolCount, agent.tools().length);
    agent.setEnabled(false);
    assert.equal(chat.view.state().agent?.enabled, false);
  });
});
