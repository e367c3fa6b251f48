import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../../../src/cli/main';
import type { CliCommand, CliIO } from '../../../src/cli/command';

const root = path.resolve(__dirname, '..', '..', '..');
const version = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;

function capture(): CliIO & { out: string; err: string } {
  const io = { out: '', err: '', stdout: (t: string) => void (io.out += t), stderr: (t: string) => void (io.err += t) };
  return io;
}

const echo: CliCommand = {
  name: 'echo',
  summary: 'prints its arguments',
  usage: 'Usage: autoglm echo WORDS...',
  run: async (args, io) => {
    io.stdout(args.join(' '));
    return 0;
  },
};

describe('autoglm CLI', () => {
  it('lists its commands in --help', async () => {
    const io = capture();
    assert.equal(await runCli(['--help'], io, [echo]), 0);
    assert.match(io.out, /Usage: autoglm <command>/);
    assert.match(io.out, /echo\s+prints its arguments/);
  });

  it('rejects an unknown command with exit code 2 and the help text', async () => {
    const io = capture();
    assert.equal(await runCli(['nope'], io, [echo]), 2);
    assert.match(io.err, /unknown command 'nope'/);
  });

  it("shows a command's usage for `<command> --help` without running it", async () => {
    const io = capture();
    assert.equal(await runCli(['echo', 'x', '--help'], io, [echo]), 0);
    assert.equal(io.out, 'Usage: autoglm echo WORDS...\n');
  });

  it('dispatches to the named command with the remaining arguments', async () => {
    const io = capture();
    assert.equal(await runCli(['echo', 'a', 'b'], io, [echo]), 0);
    assert.equal(io.out, 'a b');
  });

  it('the built bundle prints the package version and its help', () => {
    const cli = path.join(root, 'dist', 'cli.js');
    assert.ok(fs.existsSync(cli), 'dist/cli.js is built (node esbuild.mjs)');
    assert.equal(execFileSync(process.execPath, [cli, '--version'], { encoding: 'utf8' }).trim(), version);
    assert.match(execFileSync(process.execPath, [cli, '--help'], { encoding: 'utf8' }), /autoglm .*Open AutoGLM/);
  });
});
