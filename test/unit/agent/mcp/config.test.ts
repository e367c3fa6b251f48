import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseMcpConfig, type McpConfigOrigin } from '../../../../src/agent/mcp/config';
import { readWorkspaceMcpConfig } from '../../../../src/agent/mcp/configFile';
import { loadMcpConfig } from '../../../../src/agent/mcp/load';
import { serverConfigKey } from '../../../../src/agent/mcp/serverKey';

const user: McpConfigOrigin = { scope: 'user', label: 'autoglm.mcp.servers' };
const root = path.resolve('/work/project');
const workspace: McpConfigOrigin = { scope: 'workspace', label: '.autoglm/mcp.json', baseDir: root };

describe('MCP configuration', () => {
  it('reads stdio and HTTP servers in the common shape', () => {
    const { servers, diagnostics } = parseMcpConfig(
      { servers: { files: { command: 'node', args: ['server.js', '--port', '1'], env: { TOKEN: 'x' }, cwd: '/tmp' }, remote: { url: 'http://127.0.0.1:9000/mcp', headers: { Authorization: 'Bearer y' } } } },
      user,
    );
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(servers, [
      { name: 'files', scope: 'user', transport: 'stdio', command: 'node', args: ['server.js', '--port', '1'], env: { TOKEN: 'x' }, cwd: path.resolve('/tmp') },
      { name: 'remote', scope: 'user', transport: 'http', url: 'http://127.0.0.1:9000/mcp', headers: { Authorization: 'Bearer y' } },
    ]);
  });

  it('accepts the mcpServers key of Claude and Cursor, and prefers servers for a name in both', () => {
    const { servers, diagnostics } = parseMcpConfig({ mcpServers: { a: { command: 'a1' }, b: { command: 'b' } }, servers: { a: { command: 'a2' } } }, user);
    assert.deepEqual(
      servers.map((s) => [s.name, s.transport === 'stdio' ? s.command : '']),
      [['a', 'a2'], ['b', 'b']],
    );
    assert.equal(diagnostics.length, 1);
    assert.match(diagnostics[0]!.message, /server "a" is under both "servers" and "mcpServers"/);
  });

  it('names the server and field of each error and keeps the other servers', () => {
    const { servers, diagnostics } = parseMcpConfig({ servers: { bad: { command: 'x', args: ['ok', 3] }, good: { command: 'y' }, nothing: {}, both: { command: 'c', url: 'http://h' } } }, user);
    assert.deepEqual(servers.map((s) => s.name), ['good']);
    assert.deepEqual(
      diagnostics.map((d) => [d.severity, d.server, d.field]),
      [['error', 'bad', 'args[1]'], ['error', 'nothing', undefined], ['error', 'both', undefined]],
    );
    assert.equal(diagnostics[0]!.message, 'autoglm.mcp.servers: server "bad", field "args[1]": must be a string, not a number');
  });

  it('reports unknown fields as warnings without dropping the server', () => {
    const { servers, diagnostics } = parseMcpConfig({ inputs: [], servers: { s: { command: 'x', envFile: '.env' } } }, user);
    assert.equal(servers.length, 1);
    assert.deepEqual(
      diagnostics.map((d) => [d.severity, d.field, d.message]),
      [
        ['warning', 'inputs', 'autoglm.mcp.servers: "inputs" is not a field this version knows; it is ignored'],
        ['warning', 'envFile', 'autoglm.mcp.servers: server "s", field "envFile": is not a field this version knows; it is ignored'],
      ],
    );
  });

  it('refuses URLs that are not http(s), the SSE transport, and bad env names', () => {
    const { servers, diagnostics } = parseMcpConfig(
      { servers: { f: { url: 'file:///etc/passwd' }, s: { type: 'sse', url: 'http://h/sse' }, e: { command: 'x', env: { 'A=B': '1' } }, n: { url: 'not a url' } } },
      user,
    );
    assert.deepEqual(servers, []);
    assert.deepEqual(diagnostics.map((d) => [d.server, d.field]), [['f', 'url'], ['s', 'type'], ['e', 'env.A=B'], ['n', 'url']]);
    assert.match(diagnostics[0]!.message, /must be an http: or https: URL, not file:/);
  });

  it('resolves a workspace cwd inside the workspace folder and refuses one outside it', () => {
    const { servers, diagnostics } = parseMcpConfig({ servers: { in: { command: 'x', cwd: 'tools' }, none: { command: 'x' }, out: { command: 'x', cwd: '../elsewhere' } } }, workspace);
    assert.deepEqual(servers.map((s) => (s.transport === 'stdio' ? s.cwd : '')), [path.join(root, 'tools'), root]);
    assert.deepEqual(diagnostics.map((d) => [d.server, d.field]), [['out', 'cwd']]);
    assert.match(diagnostics[0]!.message, /"\.\.\/elsewhere" is outside the workspace folder/);
  });

  it('expands ${workspaceFolder} in a workspace file and warns about other variables', () => {
    const { servers, diagnostics } = parseMcpConfig({ servers: { s: { command: '${workspaceFolder}/bin/server', args: ['--root=${workspaceFolder}', '${input:token}'], env: { ROOT: '${workspaceFolder}' }, cwd: '${workspaceFolder}/tools' } } }, workspace);
    assert.deepEqual(servers, [{ name: 's', scope: 'workspace', transport: 'stdio', command: `${root}/bin/server`, args: [`--root=${root}`, '${input:token}'], env: { ROOT: root }, cwd: path.join(root, 'tools') }]);
    assert.deepEqual(diagnostics.map((d) => [d.severity, d.field, d.message]), [['warning', 'args[1]', '.autoglm/mcp.json: server "s", field "args[1]": ${input:token} is not expanded here; it is passed as written']]);
  });

  it('wants an absolute cwd in user settings', () => {
    const { servers, diagnostics } = parseMcpConfig({ servers: { s: { command: 'x', cwd: 'rel' } } }, user);
    assert.deepEqual(servers, []);
    assert.match(diagnostics[0]!.message, /field "cwd": must be an absolute path/);
  });

  it('bounds the number of servers and the size of fields', () => {
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`s${i}`, { command: 'x' }]));
    assert.deepEqual(parseMcpConfig({ servers: many }, user).servers, []);
    const long = parseMcpConfig({ servers: { s: { command: 'x'.repeat(5000) } } }, user);
    assert.deepEqual(long.servers, []);
    assert.match(long.diagnostics[0]!.message, /field "command": is longer than 4096 characters/);
  });

  it('refuses a server name with control characters or of more than 64 characters', () => {
    const { servers, diagnostics } = parseMcpConfig({ servers: { 'a\u001b[31m': { command: 'x' }, ['n'.repeat(65)]: { command: 'x' }, ok: { command: 'x' } } }, user);
    assert.deepEqual(servers.map((s) => s.name), ['ok']);
    assert.equal(diagnostics.length, 2);
    assert.match(diagnostics[0]!.message, /must be 1-64 printable characters/);
  });

  it('says where a server written at the top level belongs', () => {
    const { servers, diagnostics } = parseMcpConfig({ github: { command: 'x' } }, user);
    assert.deepEqual(servers, []);
    assert.equal(diagnostics[0]!.severity, 'error');
    assert.equal(diagnostics[0]!.message, 'autoglm.mcp.servers: "github" looks like a server, but servers go under "servers": {"servers": {"github": ...}}; it is ignored');
  });

  it('says what the top level should be when it is not an object', () => {
    const { diagnostics } = parseMcpConfig([1, 2], user);
    assert.equal(diagnostics[0]!.message, 'autoglm.mcp.servers: must be an object with "servers", not an array');
  });

  it('keys a server by everything it runs, so a changed argument is a different server', () => {
    const [a] = parseMcpConfig({ servers: { s: { command: 'x', args: ['1'], env: { A: '1', B: '2' } } } }, workspace).servers;
    const [b] = parseMcpConfig({ servers: { s: { command: 'x', args: ['1'], env: { B: '2', A: '1' } } } }, workspace).servers;
    const [c] = parseMcpConfig({ servers: { s: { command: 'x', args: ['2'], env: { A: '1', B: '2' } } } }, workspace).servers;
    assert.equal(serverConfigKey(a!), serverConfigKey(b!));
    assert.notEqual(serverConfigKey(a!), serverConfigKey(c!));
  });
});

describe('the workspace MCP file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'mcp-config-')));
    await fs.mkdir(path.join(dir, '.autoglm'));
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it('is no servers when it does not exist', async () => {
    await fs.rm(path.join(dir, '.autoglm'), { recursive: true });
    assert.deepEqual(await readWorkspaceMcpConfig(dir), { servers: [], diagnostics: [] });
  });

  it('reads the servers of the file, relative to the workspace folder', async () => {
    await fs.writeFile(path.join(dir, '.autoglm', 'mcp.json'), JSON.stringify({ mcpServers: { s: { command: 'node', args: ['a.js'] } } }));
    const { servers, diagnostics } = await readWorkspaceMcpConfig(dir);
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(servers, [{ name: 's', scope: 'workspace', transport: 'stdio', command: 'node', args: ['a.js'], env: {}, cwd: dir }]);
  });

  it('names the file and the JSON error', async () => {
    await fs.writeFile(path.join(dir, '.autoglm', 'mcp.json'), '{"servers": ');
    const { servers, diagnostics } = await readWorkspaceMcpConfig(dir);
    assert.deepEqual(servers, []);
    assert.match(diagnostics[0]!.message, /mcp\.json: is not valid JSON/);
  });

  it('refuses a file larger than the bound', async () => {
    await fs.writeFile(path.join(dir, '.autoglm', 'mcp.json'), JSON.stringify({ servers: {}, pad: 'x'.repeat(2000) }));
    const { diagnostics } = await readWorkspaceMcpConfig(dir, 1000);
    assert.match(diagnostics[0]!.message, /is larger than 1000 bytes/);
  });

  it('does not follow a link as the file, nor a linked folder leading out of the workspace', async () => {
    const outside = await fs.mkdtemp(path.join(os.tmpdir(), 'mcp-outside-'));
    try {
      await fs.writeFile(path.join(outside, 'mcp.json'), JSON.stringify({ servers: { evil: { command: 'x' } } }));
      await fs.symlink(path.join(outside, 'mcp.json'), path.join(dir, '.autoglm', 'mcp.json'));
      assert.match((await readWorkspaceMcpConfig(dir)).diagnostics[0]!.message, /mcp\.json: is a link, not a file; it is not read/);
      await fs.rm(path.join(dir, '.autoglm'), { recursive: true });
      await fs.symlink(outside, path.join(dir, '.autoglm'));
      const linkedFolder = await readWorkspaceMcpConfig(dir);
      assert.deepEqual(linkedFolder.servers, []);
      assert.match(linkedFolder.diagnostics[0]!.message, /its folder is a link to somewhere outside the workspace/);
    } finally {
      await fs.rm(outside, { recursive: true, force: true });
    }
  });

  it('is read only in a trusted workspace, after the user setting', async () => {
    await fs.writeFile(path.join(dir, '.autoglm', 'mcp.json'), JSON.stringify({ servers: { repo: { command: 'x' } } }));
    const userServers = { servers: { mine: { url: 'http://127.0.0.1:1/mcp' } } };
    const trusted = await loadMcpConfig({ userServers, workspaceRoots: [dir], workspaceTrusted: true });
    assert.deepEqual(trusted.servers.map((s) => [s.scope, s.name]), [['user', 'mine'], ['workspace', 'repo']]);
    const untrusted = await loadMcpConfig({ userServers, workspaceRoots: [dir], workspaceTrusted: false });
    assert.deepEqual(untrusted.servers.map((s) => [s.scope, s.name]), [['user', 'mine']]);
  });

  it('takes the setting as the map of servers by name, as well as in the file shape', async () => {
    const byName = await loadMcpConfig({ userServers: { mine: { command: 'node', args: ['s.mjs'] } }, workspaceRoots: [], workspaceTrusted: true });
    assert.deepEqual(byName.servers.map((s) => [s.scope, s.name]), [['user', 'mine']]);
    assert.deepEqual(byName.diagnostics, []);
    const claude = await loadMcpConfig({ userServers: { mcpServers: { theirs: { command: 'node' } } }, workspaceRoots: [], workspaceTrusted: true });
    assert.deepEqual(claude.servers.map((s) => s.name), ['theirs']);
  });
});
