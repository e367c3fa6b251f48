/**
 * The Hub stand-in in its own process for the throughput benchmark, so the server does not share
 * the downloader's event loop (curl, the peer, runs in its own process too). Serves one repository
 * `bench/large` with `onnx/model.onnx` = the file named on the command line, prints its URL on
 * stdout as one JSON line and runs until killed.
 */
import { startHubStandIn } from '../../test/harness/hubStandIn';

async function main(): Promise<void> {
  const file = process.argv[2]!;
  const hub = await startHubStandIn({ repos: [{ id: 'bench/large', files: { 'onnx/model.onnx': file, 'config.json': Buffer.from('{}') } }] });
  process.stdout.write(`${JSON.stringify({ url: hub.url, commit: hub.commitOf('bench/large'), sha256: hub.sha256Of('bench/large', 'onnx/model.onnx') })}\n`);
}

void main();
