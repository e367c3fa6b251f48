// Packages a per-platform VSIX: the bundles, prompts, media, the bundled model, and only the
// target's onnxruntime-node binary. Usage: node tools/package.mjs [--target linux-x64] [--out FILE]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const TARGETS = ['linux-x64', 'linux-arm64', 'darwin-arm64', 'win32-x64', 'win32-arm64'];
const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { target: { type: 'string', default: 'linux-x64' }, out: { type: 'string' } } });
const target = values.target;
if (!TARGETS.includes(target)) {
  console.error(`Unknown target ${target}; one of ${TARGETS.join(', ')}`);
  process.exit(2);
}
const [os, arch] = target.split('-');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const out = resolve(values.out ?? join(root, `${pkg.name}-${target}-${pkg.version}.vsix`));

const ignore = [
  readFileSync(join(root, '.vscodeignore'), 'utf8'),
  `!node_modules/onnxruntime-node/bin/napi-v6/${os}/${arch}/**`,
  '',
].join('\n');
const ignoreFile = join(mkdtempSync(join(tmpdir(), 'autoglm-pkg-')), '.vscodeignore');
writeFileSync(ignoreFile, ignore);

execFileSync(
  process.execPath,
  [join(root, 'node_modules', '@vscode', 'vsce', 'vsce'), 'package', '--target', target, '--ignoreFile', ignoreFile, '--out', out, '--allow-missing-repository', '--skip-license'],
  { cwd: root, stdio: 'inherit' },
);
console.log(`VSIX for ${os}/${arch}: ${out}`);
