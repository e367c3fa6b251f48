import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, promises as fs, readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { downloadModel, stagingFolder, type DownloadOptions } from '../../../src/models/download';
import { ModelDownloadError } from '../../../src/models/errors';
import type { HubOptions } from '../../../src/models/hubApi';
import { MANIFEST_FILE, verifyModelFolder } from '../../../src/models/manifest';
import { planForRepo } from '../../../src/models/plan';
import type { DownloadProgress } from '../../../src/models/progress';
import { bundledRepo, standardRepos, startHubStandIn, type HubStandIn } from '../../harness/hubStandIn';
import { ROOT } from '../../harness/paths';
import { exists, listFiles, tempRoot } from './helpers';

const REPO = 'open-autoglm/autoglm-coder';
const GATED = 'gated-org/Gated-Coder';
const BUNDLED = path.join(ROOT, 'models', 'autoglm-coder');

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function rejectsWith(reason: string, pattern?: RegExp): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof ModelDownloadError, `expected a ModelDownloadError, got ${String(err)}`);
    assert.equal(err.reason, reason, err.message);
    if (pattern) {
      assert.match(err.message, pattern);
    }
    return true;
  };
}

describe('models/download against the Hub stand-in', function () {
  let hub: HubStandIn;
  let tmp: ReturnType<typeof tempRoot>;
  let opts: HubOptions;

  before(async () => {
    hub = await startHubStandIn();
  });
  after(() => hub.close());
  beforeEach(() => {
    tmp = tempRoot();
    opts = { endpoint: hub.url };
    hub.setFault();
    hub.requests.length = 0;
  });
  afterEach(() => tmp.cleanup());

  function options(extra: Partial<DownloadOptions> = {}): DownloadOptions {
    return { hub: opts, target: path.join(tmp.root, 'model'), backoffMs: 5, ...extra };
  }

  it('downloads a variant through the LFS redirect, verifies every file and writes the manifest', async () => {
    const progress: DownloadProgress[] = [];
    const plan = await planForRepo(opts, REPO, 'main', 'int8');
    const result = await downloadModel(plan, options({ onProgress: (p) => progress.push(p) }));
    assert.deepEqual(await listFiles(result.dir), [MANIFEST_FILE, 'config.json', 'generation_config.json', 'onnx/model_int8.onnx', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json']);
    assert.equal(sha256(path.join(result.dir, 'onnx/model_int8.onnx')), sha256(path.join(BUNDLED, 'onnx/model_int8.onnx')));
    assert.equal(result.manifest.revision, hub.commitOf(REPO));
    assert.deepEqual(result.manifest.variants, ['int8']);
    assert.equal(result.manifest.files.find((f) => f.path === 'tokenizer.json')?.sha256, sha256(path.join(BUNDLED, 'tokenizer.json')));
    assert.ok(hub.requests.some((r) => r.path.startsWith('/cdn/') && r.status === 200), 'the LFS file came from the CDN path');
    assert.ok(hub.requests.some((r) => r.method === 'HEAD' && r.path.endsWith(`/resolve/${hub.commitOf(REPO)}/onnx/model_int8.onnx`) && r.status === 302));
    const last = progress.at(-1)!;
    assert.equal(last.bytesDone, last.bytesTotal);
    assert.equal(last.filesDone, 6);
    assert.equal(await exists(stagingFolder(result.dir)), false, 'no staging folder is left');
    assert.deepEqual((await verifyModelFolder(result.dir, 'full')).ok, true);
  });

  it('answers an unknown repository with not-found and a gated one with gated until the token is set', async () => {
    await assert.rejects(planForRepo(opts, 'nobody/nothing'), rejectsWith('not-found', /no such repository \(or it is private: set an access token\) \(HTTP 401\)/));
    await assert.rejects(planForRepo({ ...opts, token: 'x' }, 'nobody/nothing'), rejectsWith('not-found', /no such repository .*\(HTTP 404\)/));
    await assert.rejects(planForRepo(opts, REPO, 'no-such-branch'), rejectsWith('not-found', /no such revision/));
    await assert.rejects(downloadModel({ repo: REPO, revision: 'main', files: [{ path: 'nothing.json', size: null, sha256: null }] }, options()), rejectsWith('not-found', /nothing\.json: no such file in this revision/));
    await assert.rejects(planForRepo(opts, GATED), rejectsWith('gated', /set an access token/));
    await assert.rejects(planForRepo({ ...opts, token: 'wrong' }, GATED), rejectsWith('gated', /token was refused/));
    const withToken = { ...opts, token: 'hf_test_token' };
    const plan = await planForRepo(withToken, GATED, 'main', 'q4');
    const result = await downloadModel(plan, options({ hub: withToken }));
    assert.ok(result.manifest.files.some((f) => f.path === 'onnx/model_q4.onnx'));
    assert.ok(hub.requests.filter((r) => r.path.startsWith('/cdn/')).every((r) => !r.token), 'the token is not sent to the CDN host');
  });

  it('retries a 500 and then succeeds', async () => {
    const plan = await planForRepo(opts, REPO, 'main', 'int8');
    hub.setFault({ kind: 'status', status: 500, times: 2, path: 'onnx/model_int8.onnx' });
    const result = await downloadModel(plan, options());
    assert.equal(hub.requests.filter((r) => r.status === 500).length, 2);
    assert.equal(result.manifest.files.find((f) => f.path === 'onnx/model_int8.onnx')?.sha256, sha256(path.join(BUNDLED, 'onnx/model_int8.onnx')));
  });

  it('gives up on a server that keeps failing, names the file, and leaves no model', async () => {
    const plan = await planForRepo(opts, REPO, 'main', 'int8');
    hub.setFault({ kind: 'status', status: 503, path: 'onnx/model_int8.onnx' });
    await assert.rejects(downloadModel(plan, options({ retries: 2 })), rejectsWith('network', /model_int8\.onnx.*503/));
    assert.equal(await exists(path.join(tmp.root, 'model')), false);
  });

  it('resumes a connection reset mid-file with Range from the bytes it has', async () => {
    const plan = await planForRepo(opts, REPO, 'main', 'int8');
    hub.setFault({ kind: 'reset', afterBytes: 2 * 1024 * 1024, path: 'onnx/model_int8.onnx' });
    const result = await downloadModel(plan, options());
    const ranged = hub.requests.filter((r) => r.path.startsWith('/cdn/') && r.range !== undefined);
    assert.equal(ranged.length, 1, JSON.stringify(hub.requests.filter((r) => r.path.startsWith('/cdn/'))));
    const from = Number(/^bytes=(\d+)-$/.exec(ranged[0]!.range!)?.[1]);
    assert.ok(from > 0 && from <= 2 * 1024 * 1024, `resumed from ${from}`);
    assert.equal(ranged[0]!.status, 206);
    assert.equal(sha256(path.join(result.dir, 'onnx/model_int8.onnx')), sha256(path.join(BUNDLED, 'onnx/model_int8.onnx')));
  });

  it('drops a connection that goes silent after the idle timeout and resumes the file', async () => {
    const plan = await planForRepo(opts, REPO, 'main', 'int8');
    hub.setFault({ kind: 'stall', afterBytes: 1024 * 1024, path: 'onnx/model_int8.onnx' });
    const result = await downloadModel(plan, options({ hub: { ...opts, idleTimeoutMs: 300 } }));
    const ranged = hub.requests.filter((r) => r.path.startsWith('/cdn/') && r.range !== undefined);
    assert.equal(ranged.length, 1);
    assert.equal(ranged[0]!.status, 206);
    assert.equal(sha256(path.join(result.dir, 'onnx/model_int8.onnx')), sha256(path.join(BUNDLED, 'onnx/model_int8.onnx')));
  });

  it('starts a file over when the server ignores Range', async () => {
    const plan = await planForRepo(opts, REPO, 'main', 'int8');
    hub.setFault({ kind: 'reset', afterBytes: 1024 * 1024, path: 'onnx/model_int8.onnx' }, { kind: 'ignore-range' });
    const result = await downloadModel(plan, options());
    const ranged = hub.requests.filter((r) => r.path.startsWith('/cdn/') && r.range !== undefined);
    assert.equal(ranged.length, 1);
    assert.equal(ranged[0]!.status, 200);
    assert.equal(sha256(path.join(result.dir, 'onnx/model_int8.onnx')), sha256(path.join(BUNDLED, 'onnx/model_int8.onnx')));
  });

  it('fetches a file again after a hash mismatch, and fails with integrity when it stays wrong', async () => {
    const plan = await planForRepo(opts, REPO, 'main', 'int8');
    hub.setFault({ kind: 'wrong-hash', path: 'onnx/model_int8.onnx', times: 1 });
    const ok = await downloadModel(plan, options());
    assert.equal(sha256(path.join(ok.dir, 'onnx/model_int8.onnx')), sha256(path.join(BUNDLED, 'onnx/model_int8.onnx')));
    hub.setFault({ kind: 'wrong-hash', path: 'onnx/model_int8.onnx', times: 10 });
    await assert.rejects(downloadModel(plan, options({ target: path.join(tmp.root, 'second') })), rejectsWith('integrity', /model_int8\.onnx.*SHA-256/));
    assert.equal(await exists(path.join(tmp.root, 'second')), false);
  });

  it('checks small git files against the git oid the Hub sends', async () => {
    const plan = await planForRepo(opts, REPO, 'main', 'int8');
    hub.setFault({ kind: 'wrong-hash', path: 'tokenizer.json', times: 10 });
    await assert.rejects(downloadModel(plan, options()), rejectsWith('integrity', /tokenizer\.json.*git oid/));
  });

  it('detects a corrupted file in a downloaded folder and fetches only that one again', async () => {
    const plan = await planForRepo(opts, REPO, 'main', 'int8');
    const first = await downloadModel(plan, options());
    const model = path.join(first.dir, 'onnx/model_int8.onnx');
    const bytes = readFileSync(model);
    bytes[1000] = bytes[1000]! ^ 0x01;
    await fs.writeFile(model, bytes);
    assert.equal((await verifyModelFolder(first.dir, 'fast')).ok, true, 'same size: the fast check cannot see it');
    const report = await verifyModelFolder(first.dir, 'full');
    assert.deepEqual(report.changed, [{ path: 'onnx/model_int8.onnx', problem: 'sha256 differs from the manifest' }]);
    const again = await downloadModel(plan, options());
    assert.deepEqual(again.downloaded, ['onnx/model_int8.onnx']);
    assert.equal(again.reused.length, 5);
    assert.equal((await verifyModelFolder(again.dir, 'full')).ok, true);
  });

  it('adds a second variant of the same commit to the folder', async () => {
    await downloadModel(await planForRepo(opts, REPO, 'main', 'int8'), options());
    const second = await downloadModel(await planForRepo(opts, REPO, 'main', 'q4'), options());
    assert.deepEqual(second.manifest.variants, ['int8', 'q4']);
    assert.deepEqual(second.downloaded, ['onnx/model_q4.onnx']);
    assert.equal((await verifyModelFolder(second.dir, 'full')).ok, true);
  });

  it('downloads external-data parts with their model file', async () => {
    const plan = await planForRepo(opts, 'onnx-community/Qwen2.5-Coder-0.5B-Instruct', 'main', 'q4f16');
    const result = await downloadModel(plan, options());
    assert.ok(await exists(path.join(result.dir, 'onnx/model_q4f16.onnx_data')));
    assert.equal(sha256(path.join(result.dir, 'onnx/model_q4f16.onnx_data')), hub.sha256Of('onnx-community/Qwen2.5-Coder-0.5B-Instruct', 'onnx/model_q4f16.onnx_data'));
  });

  it('cancels: no model folder, the part stays in staging, and the next download resumes it', async () => {
    const plan = await planForRepo(opts, REPO, 'main', 'fp32');
    hub.setFault({ kind: 'throttle', bytesPerSecond: 4 * 1024 * 1024 });
    const ctl = new AbortController();
    const target = path.join(tmp.root, 'model');
    const part = path.join(stagingFolder(target), 'onnx', 'model.onnx.part');
    const run = downloadModel(plan, options({ signal: ctl.signal }));
    await waitFor(async () => ((await fs.stat(part).catch(() => undefined))?.size ?? 0) > 512 * 1024);
    ctl.abort();
    await assert.rejects(run, (err: Error) => err.name === 'AbortError');
    assert.equal(await exists(target), false);
    const kept = (await fs.stat(part)).size;
    assert.ok(kept > 0);
    hub.setFault();
    hub.requests.length = 0;
    const result = await downloadModel(plan, options());
    const resumed = hub.requests.find((r) => r.path.startsWith('/cdn/') && r.range !== undefined);
    assert.equal(resumed?.range, `bytes=${kept}-`);
    assert.equal(sha256(path.join(result.dir, 'onnx/model.onnx')), sha256(path.join(BUNDLED, 'onnx/model.onnx')));
  });

  it('surfaces a full disk while writing as disk-full and leaves no model', async () => {
    const plan = await planForRepo(opts, REPO, 'main', 'int8');
    const fullDisk = (file: string, o: { flags: 'w' | 'a' }): Writable => {
      if (!file.endsWith('model_int8.onnx.part')) {
        return createWriteStream(file, o);
      }
      let written = 0;
      return new Writable({
        write(chunk: Buffer, _e, done) {
          written += chunk.length;
          done(written > 1024 * 1024 ? Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }) : null);
        },
      });
    };
    await assert.rejects(downloadModel(plan, options({ createWriteStream: fullDisk })), rejectsWith('disk-full', /no space left while writing onnx\/model_int8\.onnx/));
    assert.equal(await exists(path.join(tmp.root, 'model')), false);
  });

  it('refuses to start when the disk lacks the space, before fetching any file', async () => {
    const plan = await planForRepo(opts, REPO, 'main', 'int8');
    hub.requests.length = 0;
    await assert.rejects(downloadModel(plan, options({ statfs: () => Promise.resolve({ bavail: 10, bsize: 4096 }) })), rejectsWith('disk-full', /needs \d+ MB .* 1 MB are free/));
    assert.equal(hub.requests.filter((r) => r.method === 'GET').length, 0);
  });

  it('refuses a second download into the same folder while the first runs, and takes over a dead one\'s lock', async () => {
    const plan = await planForRepo(opts, REPO, 'main', 'int8');
    const target = path.join(tmp.root, 'model');
    await fs.writeFile(`${stagingFolder(target)}.lock`, String(process.ppid));
    await assert.rejects(downloadModel(plan, options()), rejectsWith('busy', new RegExp(`process ${process.ppid}`)));
    await fs.writeFile(`${stagingFolder(target)}.lock`, '4194304');
    const result = await downloadModel(plan, options());
    assert.equal((await verifyModelFolder(result.dir, 'full')).ok, true);
    assert.equal(await exists(`${stagingFolder(target)}.lock`), false);
  });

  it('leaves no staging folder when the plan fails before any byte', async () => {
    await assert.rejects(downloadModel({ repo: REPO, revision: 'main', files: [{ path: 'missing.json', size: null, sha256: null }] }, options()), rejectsWith('not-found'));
    assert.deepEqual(await fs.readdir(tmp.root), []);
  });

  it('offline mode opens no connection at all', async () => {
    const before = hub.connections;
    const offline = { ...opts, offline: true };
    await assert.rejects(planForRepo(offline, REPO), rejectsWith('offline'));
    await assert.rejects(downloadModel({ repo: REPO, revision: 'main', files: [{ path: 'config.json', size: null, sha256: null }] }, options({ hub: offline })), rejectsWith('offline'));
    assert.equal(hub.connections, before);
  });

  it('follows the Hub\'s relative redirects of a renamed repository', async () => {
    const renamed = await startHubStandIn({ repos: standardRepos(), renamed: { 'old-org/old-name': REPO } });
    try {
      const hubOpts = { endpoint: renamed.url };
      const plan = await planForRepo(hubOpts, 'old-org/old-name', 'main', 'int8');
      assert.equal(plan.revision, renamed.commitOf(REPO));
      const result = await downloadModel(plan, options({ hub: hubOpts }));
      assert.equal(result.manifest.files.length, 6);
      assert.ok(renamed.requests.some((r) => r.status === 307 && r.method === 'HEAD'));
    } finally {
      await renamed.close();
    }
  });

  it('follows the tree listing across pages', async () => {
    const paged = await startHubStandIn({ repos: standardRepos(), treePageSize: 3 });
    try {
      const plan = await planForRepo({ endpoint: paged.url }, 'onnx-community/Qwen2.5-Coder-0.5B-Instruct', 'main', 'q4f16');
      assert.deepEqual(plan.files.map((f) => f.path).slice(-2), ['onnx/model_q4f16.onnx', 'onnx/model_q4f16.onnx_data']);
      assert.ok(paged.requests.filter((r) => r.path.includes('/tree/')).length >= 4);
    } finally {
      await paged.close();
    }
  });

  it('goes through an explicit proxy when one is set, and around it for NO_PROXY hosts', async () => {
    const proxy = await startForwardProxy();
    try {
      const viaProxy = { ...opts, proxy: { url: proxy.url } };
      const plan = await planForRepo(viaProxy, REPO, 'main', 'int8');
      await downloadModel(plan, options({ hub: viaProxy }));
      assert.ok(proxy.count() >= 8, `proxy saw ${proxy.count()} requests`);
      assert.ok(hub.requests.every((r) => r.via === 'yes'));
      const counted = proxy.count();
      await planForRepo({ ...opts, proxy: { url: proxy.url, noProxy: '127.0.0.1' } }, REPO);
      assert.equal(proxy.count(), counted);
    } finally {
      await proxy.close();
    }
  });

  it('resumes after the downloading process is killed with SIGKILL mid-file', async function () {
    this.timeout(120_000);
    const target = path.join(tmp.root, 'model');
    const part = path.join(stagingFolder(target), 'onnx', 'model.onnx.part');
    hub.setFault({ kind: 'throttle', bytesPerSecond: 2 * 1024 * 1024 });
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', path.join(__dirname, 'pullChild.ts'), hub.url, REPO, 'fp32', target], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    await waitFor(async () => ((await fs.stat(part).catch(() => undefined))?.size ?? 0) > 1024 * 1024, 90_000);
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    const kept = (await fs.stat(part)).size;
    hub.setFault();
    hub.requests.length = 0;
    const result = await downloadModel(await planForRepo(opts, REPO, 'main', 'fp32'), options());
    const resumed = hub.requests.find((r) => r.path.startsWith('/cdn/') && r.range !== undefined);
    assert.equal(resumed?.range, `bytes=${kept}-`);
    assert.equal(resumed?.status, 206);
    assert.equal(sha256(path.join(result.dir, 'onnx/model.onnx')), sha256(path.join(BUNDLED, 'onnx/model.onnx')));
  });
});

/**
 * A self-signed certificate for 127.0.0.1, or undefined where openssl is not installed. It also
 * names localhost: through a tunnel to an IP address https-proxy-agent checks the name 'localhost'.
 */
function testCertificate(dir: string): { key: string; cert: string } | undefined {
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
  return made.status === 0 ? { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') } : undefined;
}

const hasOpenssl = spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;

describe('models/download over https through a CONNECT proxy', () => {
  it(hasOpenssl ? 'tunnels https through the proxy with CONNECT and trusts the extra CA it is given' : 'tunnels https through a CONNECT proxy (skipped: no openssl here to make a test certificate)', async function () {
    if (!hasOpenssl) {
      this.skip();
    }
    const tmp = tempRoot();
    const certificate = testCertificate(tmp.root)!;
    const hub = await startHubStandIn({ repos: [bundledRepo()], tls: certificate });
    const proxy = await startConnectProxy();
    try {
      const untrusted = { endpoint: hub.url, proxy: { url: proxy.url } };
      await assert.rejects(planForRepo(untrusted, REPO), /self[- ]signed|certificate/i);
      const trusted = { ...untrusted, ca: certificate.cert };
      const plan = await planForRepo(trusted, REPO, 'main', 'int8');
      const result = await downloadModel(plan, { hub: trusted, target: path.join(tmp.root, 'model') });
      assert.equal(sha256(path.join(result.dir, 'onnx/model_int8.onnx')), sha256(path.join(BUNDLED, 'onnx/model_int8.onnx')));
      assert.deepEqual([...new Set(proxy.tunnels())].sort(), [new URL(hub.url).host, new URL(hub.cdnUrl).host].sort());
    } finally {
      await proxy.close();
      await hub.close();
      await tmp.cleanup();
    }
  });
});

/** A CONNECT-only proxy: opens a TCP tunnel to the asked host:port and records it. */
async function startConnectProxy(): Promise<{ url: string; tunnels: () => string[]; close: () => Promise<void> }> {
  const tunnels: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((_req, res) => {
    res.writeHead(405);
    res.end();
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    tunnels.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => s.destroy());
      s.on('close', () => sockets.delete(s));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    tunnels: () => tunnels,
    close: () =>
      new Promise<void>((resolve) => {
        sockets.forEach((s) => s.destroy());
        server.close(() => resolve());
      }),
  };
}

async function waitFor(condition: () => Promise<boolean>, limitMs = 30_000): Promise<void> {
  const start = Date.now();
  while (!(await condition())) {
    if (Date.now() - start > limitMs) {
      throw new Error('condition not reached');
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A plain forwarding proxy for http targets (absolute-form requests), counting what it forwards. */
async function startForwardProxy(): Promise<{ url: string; count: () => number; close: () => Promise<void> }> {
  let count = 0;
  const server = http.createServer((req, res) => {
    count++;
    const target = new URL(req.url ?? '');
    const upstream = http.request(
      { host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: req.method, headers: { ...req.headers, 'x-test-proxy': 'yes' } },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    count: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
