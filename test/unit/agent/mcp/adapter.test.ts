import * as assert from 'node:assert/strict';
import { mcpPermission, toAgentTool, type McpToolInfo } from '../../../../src/agent/mcp/adapter';
import { capText, flattenToolResult } from '../../../../src/agent/mcp/content';
import { mcpToolName, TOOL_NAME_PATTERN } from '../../../../src/agent/mcp/names';

const schema = { type: 'object', properties: {} };

describe('MCP tool names', () => {
  it('joins server and tool with two underscores and replaces what backends refuse', () => {
    assert.equal(mcpToolName('git hub', 'search.code', new Set()), 'git_hub__search_code');
  });

  it('cuts to 64 characters and keeps names unique with a suffix', () => {
    const taken = new Set<string>();
    const first = mcpToolName('s', 'x'.repeat(80), taken);
    taken.add(first);
    const second = mcpToolName('s', 'x'.repeat(81), taken);
    assert.equal(first.length, 64);
    assert.equal(second, `${first.slice(0, 62)}_2`);
    assert.match(second, TOOL_NAME_PATTERN);
  });
});

describe('MCP tool results as text', () => {
  it('keeps text, says what images and binary resources are, and includes text resources', () => {
    const result = flattenToolResult({
      content: [
        { type: 'text', text: 'hello' },
        { type: 'image', data: Buffer.from('12345678').toString('base64'), mimeType: 'image/png' },
        { type: 'resource', resource: { uri: 'file:///a.txt', mimeType: 'text/plain', text: 'A' } },
        { type: 'resource', resource: { uri: 'file:///b.bin', blob: Buffer.from('abc').toString('base64') } },
        { type: 'resource_link', uri: 'file:///c', name: 'c' },
        { type: 'hologram' },
      ],
    });
    assert.deepEqual(result, {
      text: [
        'hello',
        '[image (image/png), 8 bytes, not shown]',
        '[resource file:///a.txt (text/plain)]\nA',
        '[binary resource file:///b.bin, 3 bytes, not shown]',
        '[resource link file:///c "c"]',
        '[content of type "hologram", not shown]',
      ].join('\n'),
    });
  });

  it('keeps isError and falls back to structured content', () => {
    assert.deepEqual(flattenToolResult({ content: [], structuredContent: { n: 1 }, isError: true }), { text: '{"n":1}', isError: true });
  });

  it('cuts long results and says how much was cut', () => {
    const { text } = flattenToolResult({ content: [{ type: 'text', text: 'y'.repeat(500) }] }, 100);
    assert.equal(text.length, 100);
    assert.match(text, /\[\.\.\. 400 more characters cut\]$/);
    assert.equal(capText('short', 100), 'short');
  });

  it('reads a hostile result without throwing', () => {
    assert.deepEqual(flattenToolResult(null), { text: '' });
    assert.deepEqual(flattenToolResult({ content: [null, 5] }), { text: '[unreadable content item]\n[unreadable content item]' });
  });
});

describe('MCP tools as agent tools', () => {
  const tool = (annotations?: McpToolInfo['annotations']): McpToolInfo => ({ name: 'search', description: 'Finds things.', inputSchema: schema, ...(annotations ? { annotations } : {}) });

  it('is read only when the server says readOnlyHint, otherwise execute', () => {
    assert.equal(mcpPermission(tool({ readOnlyHint: true })), 'read');
    assert.equal(mcpPermission(tool({ readOnlyHint: false })), 'execute');
    assert.equal(mcpPermission(tool()), 'execute');
  });

  it('offers the definition under the given name and calls the server with its own name', async () => {
    const calls: [string, Record<string, unknown>][] = [];
    const agentTool = toAgentTool('docs', tool(), 'docs__search', (name, args) => {
      calls.push([name, args]);
      return Promise.resolve({ text: 'found' });
    });
    assert.deepEqual(agentTool.definition, { name: 'docs__search', description: 'Finds things.', parameters: schema });
    assert.equal(agentTool.source, 'mcp:docs');
    const signal = new AbortController().signal;
    assert.deepEqual(await agentTool.run({ q: 'x' }, { signal }), { text: 'found' });
    assert.deepEqual(calls, [['search', { q: 'x' }]]);
    assert.equal((await agentTool.preview!({ q: 'x' }, signal)).summary, 'search on MCP server "docs" with {"q":"x"}');
  });
});
