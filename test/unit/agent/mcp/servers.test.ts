/**
 * The MCP connection and manager against the real test server over both transports: the tool
 * list across pages, calls, isError, timeouts and cancellation reaching the server, a crash
 * reported while other servers keep working, and tools/list_changed.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import type { McpServerConfig } from '../../../../src/agent/mcp/config';
import { McpManager, type McpManagerOptions } from '../../../../src/agent/mcp/manager';
import type { AgentTool } from '../../../../src/agent/types';
import { isAbortError } from '../../../../src/common/errors';
import { MemoryLogger } from '../../../../src/common/logger';
import { FIXTURE_SERVER, httpFixture, stdioFixture, type HttpFixture } from './fixtureServer';

/** Child processes of this one running the fixture server. */
function fixtureChildren(): string[] {
  const lines = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' }).split('\n');
  return lines.filter((line) => line.includes(FIXTURE_SERVER) && !line.includes('--http'));
}

const FIXTURE_TOOLS = ['echo', 'add', 'slow', 'stats', 'fail', 'mixed', 'big', 'crash', 'toggle', 'shaped'];

function toolNamed(manager: McpManager, name: string): AgentTool {
  const tool = manager.tools().find((t) => t.definition.name === name);
  assert.ok(tool, `tool ${name} among ${manager.tools().map((t) => t.definition.name).join(', ')}`);
  return tool;
}

async function run(manager: McpManager, name: string, args: Record<string, unknown> = {}, signal = new AbortController().signal) {
  return toolNamed(manager, name).run(args, { signal });
}

/** The server's count of cancelled calls, once it has seen `expected` (a notification may trail the reply). */
async function cancelledCount(manager: McpManager, server: string, expected: number): Promise<number> {
  let cancelled = -1;
  for (let i = 0; i < 50 && cancelled < expected; i++) {
    cancelled = (JSON.parse((await run(manager, `${server}__stats`)).text) as { cancelled: number }).cancelled;
  }
  return cancelled;
}

/** Resolves at the first change after which `predicate` holds. */
function whenTools(manager: McpManager, predicate: (names: string[]) => boolean): Promise<string[]> {
  return new Promise((resolve) => {
    const check = (): void => {
      const names = manager.tools().map((t) => t.definition.name);
      if (predicate(names)) {
        off();
        resolve(names);
      }
    };
    const off = manager.onDidChange(check);
    check();
  });
}

interface Transport {
  readonly label: string;
  /** A server configuration for the fixture named `name`, and what stops it afterwards. */
  serve(name: string): Promise<{ config: McpServerConfig; stop(): void }>;
}

const transports: Transport[] = [
  { label: 'stdio', serve: (name) => Promise.resolve({ config: stdioFixture(name), stop: () => undefined }) },
  {
    label: 'streamable HTTP',
    serve: async (name) => {
      const fixture: HttpFixture = await httpFixture(name);
      return { config: fixture.config, stop: () => fixture.stop() };
    },
  },
];

for (const transport of transports) {
  describe(`MCP servers over ${transport.label}`, () => {
    let manager: McpManager;
    let logger: MemoryLogger;
    let stops: (() => void)[];

    async function managerWith(names: string[], options: Partial<McpManagerOptions> = {}): Promise<McpManager> {
      const served = await Promise.all(names.map((n) => transport.serve(n)));
      stops.push(...served.map((s) => () => s.stop()));
      manager = new McpManager({ logger, connectTimeoutMs: 20_000, ...options });
      await manager.setServers(served.map((s) => s.config));
      return manager;
    }

    beforeEach(() => {
      logger = new MemoryLogger('debug');
      stops = [];
    });
    afterEach(async () => {
      await manager?.dispose();
      for (const stop of stops) stop();
    });

    it('lists every page of tools under server-prefixed names with their permissions', async () => {
      await managerWith(['fx']);
      assert.deepEqual(manager.servers().map((s) => [s.name, s.state, s.toolCount]), [['fx', 'ready', FIXTURE_TOOLS.length]]);
      assert.deepEqual(manager.tools().map((t) => t.definition.name), FIXTURE_TOOLS.map((t) => `fx__${t}`));
      assert.equal(toolNamed(manager, 'fx__add').permission, 'read');
      assert.equal(toolNamed(manager, 'fx__echo').permission, 'execute');
      assert.equal(toolNamed(manager, 'fx__echo').definition.description, 'Says the text back.');
      assert.deepEqual(toolNamed(manager, 'fx__echo').definition.parameters, { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] });
    });

    it('calls tools and keeps isError', async () => {
      await managerWith(['fx']);
      assert.deepEqual(await run(manager, 'fx__echo', { text: 'hi there' }), { text: 'hi there' });
      assert.deepEqual(await run(manager, 'fx__add', { a: 2, b: 3 }), { text: '5' });
      assert.deepEqual(await run(manager, 'fx__fail'), { text: 'failed on purpose', isError: true });
      assert.equal(
        (await run(manager, 'fx__mixed')).text,
        'before\n[image (image/png), 8 bytes, not shown]\n[resource file:///notes.txt (text/plain)]\nnote text\n[binary resource file:///blob.bin, 3 bytes, not shown]',
      );
    });

    it('tells structured content as JSON, whatever the output schema', async () => {
      await managerWith(['fx']);
      assert.deepEqual(await run(manager, 'fx__shaped'), { text: '{"n":7}' });
    });

    it('cuts a long result to the configured size', async () => {
      await managerWith(['fx'], { maxResultChars: 1000 });
      const { text } = await run(manager, 'fx__big', { n: 50_000 });
      assert.equal(text.length, 1000);
      assert.match(text, /49\d{3} more characters cut\]$/);
    });

    it('times out a hanging call, cancels it on the server, and keeps serving other calls', async () => {
      await managerWith(['fx'], { callTimeoutMs: 1500 });
      const hanging = run(manager, 'fx__slow', { ms: 600_000 });
      assert.deepEqual(await run(manager, 'fx__echo', { text: 'meanwhile' }), { text: 'meanwhile' });
      const result = await hanging;
      assert.equal(result.isError, true);
      assert.match(result.text, /slow on the MCP server "fx" did not finish within 2 s; the call was cancelled/);
      assert.equal(await cancelledCount(manager, 'fx', 1), 1);
      assert.equal(manager.servers()[0]!.state, 'ready');
    });

    it('turns an abort into an AbortError and an MCP cancellation', async () => {
      await managerWith(['fx']);
      const controller = new AbortController();
      const call = run(manager, 'fx__slow', { ms: 600_000 }, controller.signal);
      // The call is in flight once another request on the same connection has been answered.
      await run(manager, 'fx__echo', { text: 'x' });
      controller.abort();
      await assert.rejects(call, (err) => isAbortError(err));
      assert.equal(await cancelledCount(manager, 'fx', 1), 1);
    });

    it('reports a crashed server as failed, drops its tools, and leaves the other server working', async () => {
      await managerWith(['one', 'two']);
      assert.equal(manager.tools().length, 2 * FIXTURE_TOOLS.length);
      const result = await run(manager, 'one__crash');
      assert.equal(result.isError, true);
      assert.match(result.text, /the MCP server "one" (stopped during the call|could not be reached)/);
      const one = manager.servers().find((s) => s.name === 'one')!;
      assert.equal(one.state, 'failed');
      assert.match(one.lastError ?? '', /closed the connection|connection failed/);
      assert.ok(manager.tools().every((t) => t.source === 'mcp:two'));
      assert.deepEqual(await run(manager, 'two__echo', { text: 'still here' }), { text: 'still here' });
      assert.ok(logger.records.some((r) => r.level === 'error' && /MCP server "one" failed/.test(r.msg)));
    });

    it('follows notifications/tools/list_changed', async () => {
      await managerWith(['fx']);
      const added = whenTools(manager, (names) => names.includes('fx__extra'));
      assert.deepEqual(await run(manager, 'fx__toggle'), { text: 'extra on' });
      assert.equal((await added).length, FIXTURE_TOOLS.length + 1);
      assert.deepEqual(await run(manager, 'fx__extra'), { text: 'extra called' });
      const removed = whenTools(manager, (names) => !names.includes('fx__extra'));
      await run(manager, 'fx__toggle');
      assert.equal((await removed).length, FIXTURE_TOOLS.length);
    });

    it('starts a failed server again on request', async () => {
      await managerWith(['fx']);
      await run(manager, 'fx__crash');
      assert.equal(manager.servers()[0]!.state, 'failed');
      await manager.restart(['fx']);
      if (transport.label === 'stdio') {
        assert.equal(manager.servers()[0]!.state, 'ready');
        assert.deepEqual(await run(manager, 'fx__add', { a: 1, b: 1 }), { text: '2' });
      } else {
        // The HTTP server's process is gone, so the new connection fails, and says so.
        assert.equal(manager.servers()[0]!.state, 'failed');
        assert.match(manager.servers()[0]!.lastError ?? '', /^could not connect: /);
      }
    });
  });
}

describe('MCP sessions over streamable HTTP', () => {
  it('ends its session on the server when a connection stops', async () => {
    const fixture = await httpFixture('fx');
    const first = new McpManager({ logger: new MemoryLogger() });
    const second = new McpManager({ logger: new MemoryLogger() });
    try {
      await first.setServers([fixture.config]);
      await second.setServers([fixture.config]);
      const sessions = async (): Promise<number> => (JSON.parse((await run(second, 'fx__stats')).text) as { sessions: number }).sessions;
      assert.equal(await sessions(), 2);
      await first.dispose();
      assert.equal(await sessions(), 1);
    } finally {
      await second.dispose();
      fixture.stop();
    }
  });
});

describe('MCP servers that do not start', () => {
  let manager: McpManager;
  afterEach(() => manager.dispose());

  it('fails a server that never answers initialize once the connect timeout passes', async () => {
    const logger = new MemoryLogger('debug');
    manager = new McpManager({ logger, connectTimeoutMs: 1000 });
    await manager.setServers([{ ...stdioFixture('mute'), args: ['-e', 'process.stderr.write("mute server\\n"); setInterval(() => {}, 1000)'] }]);
    const [status] = manager.servers();
    assert.equal(status!.state, 'failed');
    assert.match(status!.lastError ?? '', /^could not connect: .*timed out/i);
    assert.deepEqual(manager.tools(), []);
  });

  it('fails a server whose command does not exist, naming the command', async () => {
    manager = new McpManager({ logger: new MemoryLogger() });
    await manager.setServers([{ ...stdioFixture('missing'), command: '/nonexistent/mcp-server', args: [] }]);
    const [status] = manager.servers();
    assert.equal(status!.state, 'failed');
    assert.match(status!.lastError ?? '', /ENOENT/);
    assert.equal(status!.target, '/nonexistent/mcp-server');
  });

  it('logs the server stderr under the server name', async () => {
    const logger = new MemoryLogger('debug');
    manager = new McpManager({ logger });
    await manager.setServers([stdioFixture('talk')]);
    assert.ok(logger.records.some((r) => r.msg === 'stderr: fixture server ready' && r['mcpServer'] === 'talk'));
  });

  it('keeps an unchanged server running when the configuration is set again, and stops a removed one', async () => {
    const logger = new MemoryLogger();
    manager = new McpManager({ logger });
    const changes: number[] = [];
    manager.onDidChange(() => changes.push(manager.tools().length));
    await manager.setServers([stdioFixture('a')]);
    await manager.setServers([stdioFixture('a')]);
    assert.equal(logger.records.filter((r) => r.msg.startsWith('Starting MCP server "a"')).length, 1);
    assert.equal(manager.servers()[0]!.state, 'ready');
    assert.equal(manager.tools().length, FIXTURE_TOOLS.length);
    await manager.setServers([]);
    assert.deepEqual(manager.servers(), []);
    assert.deepEqual(manager.tools(), []);
    assert.equal(changes.at(-1), 0);
  });

  (process.platform === 'linux' ? it : it.skip)('leaves no server process behind when servers are removed or restarted while they start (reads processes with ps: Linux only)', async () => {
    manager = new McpManager({ logger: new MemoryLogger() });
    const first = manager.setServers([stdioFixture('a'), stdioFixture('b')]);
    const restart = manager.restart(['a']);
    const removal = manager.setServers([]);
    await Promise.all([first, restart, removal]);
    assert.deepEqual(manager.servers(), []);
    assert.deepEqual(fixtureChildren(), []);
  });

  (process.platform === 'linux' ? it : it.skip)('ends the process of a server removed while it connects (reads processes with ps: Linux only)', async () => {
    const marker = 'mcp-mute-server-marker';
    const running = (): string[] => execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(marker));
    manager = new McpManager({ logger: new MemoryLogger(), connectTimeoutMs: 600_000 });
    const starting = manager.setServers([{ ...stdioFixture('mute'), args: ['-e', `setInterval(() => {}, 1000); // ${marker}`] }]);
    for (let i = 0; i < 200 && running().length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(running().length, 1, 'the server process started');
    assert.equal(manager.servers()[0]!.state, 'starting');
    await manager.setServers([]);
    await starting;
    assert.deepEqual(running(), []);
  });
});
