import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ToolInputError } from '../../../../src/agent/types';
import { displayPath, realPathInside, resolveWorkspacePath, type WorkspaceRoot } from '../../../../src/host/agent/workspacePath';

describe('workspace path containment', () => {
  let base: string;
  let ws: WorkspaceRoot;
  let outside: string;

  before(() => {
    base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'agent-paths-')));
    ws = { name: 'ws', path: path.join(base, 'ws') };
    outside = path.join(base, 'outside');
    fs.mkdirSync(path.join(ws.path, 'src'), { recursive: true });
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(ws.path, 'src', 'a.ts'), 'a');
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'secret');
    fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(ws.path, 'link-out.txt'));
    fs.symlinkSync(outside, path.join(ws.path, 'dir-out'));
    fs.symlinkSync(path.join(ws.path, 'src', 'a.ts'), path.join(ws.path, 'link-in.ts'));
  });

  after(() => fs.rmSync(base, { recursive: true, force: true }));

  it('resolves a relative path inside the folder and shows it relative with /', () => {
    const p = resolveWorkspacePath([ws], 'src/../src/a.ts');
    assert.equal(p.absolute, path.join(ws.path, 'src', 'a.ts'));
    assert.equal(p.display, 'src/a.ts');
    assert.equal(resolveWorkspacePath([ws], path.join(ws.path, 'src', 'a.ts')).display, 'src/a.ts');
  });

  it('refuses .. that leaves the folder, absolute paths outside, empty paths and NUL', () => {
    assert.throws(() => resolveWorkspacePath([ws], '../outside/secret.txt'), (e: unknown) => e instanceof ToolInputError && /leads outside/.test(e.message));
    assert.throws(() => resolveWorkspacePath([ws], 'src/../../ws2/x'), ToolInputError);
    assert.throws(() => resolveWorkspacePath([ws], path.join(outside, 'secret.txt')), (e: unknown) => e instanceof ToolInputError && /outside the workspace/.test(e.message));
    assert.throws(() => resolveWorkspacePath([ws], '  '), ToolInputError);
    assert.throws(() => resolveWorkspacePath([ws], 'a\0b'), ToolInputError);
    assert.throws(() => resolveWorkspacePath([], 'a.ts'), (e: unknown) => e instanceof ToolInputError && /No folder is open/.test(e.message));
  });

  it('refuses a sibling folder that only shares the prefix', () => {
    assert.throws(() => resolveWorkspacePath([ws], `${ws.path}-other/x.ts`), ToolInputError);
  });

  it('picks a folder by its name when there are several, and prefixes paths with it', () => {
    const other: WorkspaceRoot = { name: 'other', path: outside };
    const p = resolveWorkspacePath([ws, other], 'other/secret.txt');
    assert.equal(p.absolute, path.join(outside, 'secret.txt'));
    assert.equal(p.display, 'other/secret.txt');
    assert.equal(resolveWorkspacePath([ws, other], 'src/a.ts').display, 'ws/src/a.ts');
    assert.equal(displayPath([ws, other], path.join(ws.path, 'src')), 'ws/src');
    assert.equal(displayPath([ws], '/elsewhere/file'), undefined);
  });

  it('refuses a file link and a folder link that lead out, and accepts a link that stays in', async () => {
    await assert.rejects(realPathInside(resolveWorkspacePath([ws], 'link-out.txt')), (e: unknown) => e instanceof ToolInputError && /link that leads outside/.test(e.message));
    await assert.rejects(realPathInside(resolveWorkspacePath([ws], 'dir-out/secret.txt')), ToolInputError);
    await assert.rejects(realPathInside(resolveWorkspacePath([ws], 'dir-out/new-file.txt')), ToolInputError, 'a new file under a folder link out');
    assert.deepEqual(await realPathInside(resolveWorkspacePath([ws], 'link-in.ts')), { real: path.join(ws.path, 'src', 'a.ts'), exists: true });
  });

  it('checks a file not yet there by its nearest existing folder', async () => {
    assert.deepEqual(await realPathInside(resolveWorkspacePath([ws], 'src/new/deep/file.ts')), { real: path.join(ws.path, 'src'), exists: false });
  });
});
