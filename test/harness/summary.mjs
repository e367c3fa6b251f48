// Totals every stage's results file; the last line is what CI reads.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? 'test-results';
let passed = 0;
let failed = 0;
let skipped = 0;
const rows = [];
for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
  const r = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  if (typeof r.passed !== 'number' || typeof r.failed !== 'number') continue;
  passed += r.passed;
  failed += r.failed;
  skipped += r.skipped ?? 0;
  rows.push(`  ${file.replace(/\.json$/, '').padEnd(16)} ${String(r.passed).padStart(4)} passed ${String(r.failed).padStart(3)} failed ${String(r.skipped ?? 0).padStart(3)} skipped`);
  for (const f of r.failures ?? []) rows.push(`      FAILED ${f.title}: ${String(f.message).split('\n')[0]}`);
}
console.log('\nTest summary');
console.log(rows.join('\n'));
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
