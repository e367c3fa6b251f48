/**
 * Download throughput of our downloader against curl, fetching the same file from the Hub
 * stand-in (its own process, on loopback) in the same run: median of 3 rounds each, interleaved.
 * Ours does the whole job (HEAD, the LFS redirect, SHA-256 while writing, rename into place);
 * curl only follows the redirect and writes the file. A third run, a bare node GET piped to a
 * file, shows how much of the gap to curl is node's HTTP stack rather than our checks.
 *
 *   node -r tsx/cjs bench/download/throughput.ts [--mb 128] [--rounds 3] [--out bench/results/download-throughput.json]
 */
import { spawn, execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, promises as fs } from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { parseArgs, promisify } from 'node:util';
import { machine, median, round } from '../common';
import { downloadModel } from '../../src/models/download';

const root = path.resolve(__dirname, '..', '..');
const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '128' },
    rounds: { type: 'string', default: '3' },
    out: { type: 'string', default: path.join(root, 'bench', 'results', 'download-throughput.json') },
  },
});
const MB = 1024 * 1024;
const SIZE = Number(values.mb) * MB;
const ROUNDS = Number(values.rounds);

interface StandIn {
  url: string;
  commit: string;
  sha256: string;
  stop: () => void;
}

async function startStandIn(file: string): Promise<StandIn> {
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', path.join(__dirname, 'standInProcess.ts'), file], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`stand-in exited with ${code}`)));
  });
  return { ...(JSON.parse(first) as { url: string; commit: string; sha256: string }), stop: () => child.kill() };
}

async function ours(hub: StandIn, dir: string): Promise<number> {
  const target = path.join(dir, 'ours');
  await fs.rm(target, { recursive: true, force: true });
  const start = performance.now();
  const result = await downloadModel({ repo: 'bench/large', revision: hub.commit, files: [{ path: 'onnx/model.onnx', size: SIZE, sha256: hub.sha256 }] }, { hub: { endpoint: hub.url }, target });
  const seconds = (performance.now() - start) / 1000;
  if (result.manifest.files[0]?.sha256 !== hub.sha256) {
    throw new Error('our download does not match');
  }
  return SIZE / MB / seconds;
}

async function curl(hub: StandIn, dir: string): Promise<number> {
  const file = path.join(dir, 'curl.onnx');
  await fs.rm(file, { force: true });
  const start = performance.now();
  await promisify(execFile)('curl', ['-sS', '-L', '--fail', '--noproxy', '*', '-o', file, `${hub.url}/bench/large/resolve/${hub.commit}/onnx/model.onnx`]);
  const seconds = (performance.now() - start) / 1000;
  if ((await fs.stat(file)).size !== SIZE) {
    throw new Error('curl did not fetch the whole file');
  }
  return SIZE / MB / seconds;
}

/** Node's own floor: one GET of the CDN URL piped to a file, no checks; separates our overhead from the runtime's. */
async function plainNode(hub: StandIn, dir: string): Promise<number> {
  const file = path.join(dir, 'node.onnx');
  const start = performance.now();
  await new Promise<void>((resolve, reject) => {
    http
      .get(`${hub.url}/bench/large/resolve/${hub.commit}/onnx/model.onnx`, (redirect) => {
        redirect.resume();
        http.get(redirect.headers.location!, (res) => void pipeline(res, createWriteStream(file)).then(resolve, reject)).on('error', reject);
      })
      .on('error', reject);
  });
  return SIZE / MB / ((performance.now() - start) / 1000);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'autoglm-dl-bench-'));
  const source = path.join(dir, 'source.bin');
  await fs.writeFile(source, randomBytes(SIZE));
  const hub = await startStandIn(source);
  const oursMBs: number[] = [];
  const curlMBs: number[] = [];
  const nodeMBs: number[] = [];
  try {
    for (let i = 0; i < ROUNDS; i++) {
      oursMBs.push(await ours(hub, dir));
      curlMBs.push(await curl(hub, dir));
      nodeMBs.push(await plainNode(hub, dir));
      console.log(`round ${i + 1}: ours ${round(oursMBs[i]!, 1)} MB/s, curl ${round(curlMBs[i]!, 1)} MB/s, plain node GET ${round(nodeMBs[i]!, 1)} MB/s`);
    }
  } finally {
    hub.stop();
    await fs.rm(dir, { recursive: true, force: true });
  }
  const result = {
    benchmark: 'download-throughput',
    date: new Date().toISOString(),
    machine: machine(),
    file: `${SIZE / MB} MiB of random bytes served as an LFS file by the Hub stand-in (302 to its CDN origin), loopback`,
    peer: 'curl -L (follows the redirect, writes the file; no hash check)',
    rounds: ROUNDS,
    oursMBPerSecond: oursMBs.map((v) => round(v, 1)),
    curlMBPerSecond: curlMBs.map((v) => round(v, 1)),
    plainNodeMBPerSecond: nodeMBs.map((v) => round(v, 1)),
    medianOursMBPerSecond: round(median(oursMBs), 1),
    medianPlainNodeMBPerSecond: round(median(nodeMBs), 1),
    medianCurlMBPerSecond: round(median(curlMBs), 1),
    oursOverCurl: round(median(oursMBs) / median(curlMBs), 2),
    oursOverPlainNode: round(median(oursMBs) / median(nodeMBs), 2),
    loadAverageAtEnd: os.loadavg().map((l) => round(l, 2)),
  };
  await fs.mkdir(path.dirname(values.out!), { recursive: true });
  await fs.writeFile(values.out!, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`ours/curl = ${result.oursOverCurl} (median ${result.medianOursMBPerSecond} vs ${result.medianCurlMBPerSecond} MB/s) -> ${values.out}`);
}

void main();
