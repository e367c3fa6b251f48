import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readFileStart } from '../../../../src/host/agent/boundedRead';

describe('bounded read of a file\'s start', () => {
  let dir: string;
  before(() => (dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'agent-read-')))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads a small file whole and a large one up to the limit, without cutting a character', async () => {
    fs.writeFileSync(path.join(dir, 'small.txt'), 'héllo');
    assert.deepEqual(await readFileStart(path.join(dir, 'small.txt'), 100), { kind: 'text', text: 'héllo', size: 6, truncated: false });
    assert.deepEqual(await readFileStart(path.join(dir, 'small.txt'), 2), { kind: 'text', text: 'h', size: 6, truncated: true }, 'é is two bytes');
  });

  it('calls a file with NUL bytes binary', async () => {
    fs.writeFileSync(path.join(dir, 'bin'), Buffer.from([1, 0, 2]));
    assert.deepEqual(await readFileStart(path.join(dir, 'bin'), 100), { kind: 'binary', size: 3 });
  });

  it('refuses a folder, a link and a named pipe without waiting on the pipe', async () => {
    assert.deepEqual(await readFileStart(dir, 100), { kind: 'not-a-file', what: 'a folder' });
    fs.symlinkSync(path.join(dir, 'small.txt'), path.join(dir, 'link'));
    assert.deepEqual(await readFileStart(path.join(dir, 'link'), 100), { kind: 'not-a-file', what: 'a link' });
    if (process.platform !== 'win32') {
      execFileSync('mkfifo', [path.join(dir, 'pipe')]);
      assert.deepEqual(await readFileStart(path.join(dir, 'pipe'), 100), { kind: 'not-a-file', what: 'a named pipe' });
    }
    assert.deepEqual(await readFileStart(path.join(dir, 'none'), 100), { kind: 'missing' });
  });
});
