/**
 * A line diff for golden-test reports: `-` expected, `+` actual, with a little context. Prompts are
 * small, so the quadratic longest-common-subsequence table is fine; past a size it falls back to
 * showing the first differing line.
 */
const MAX_CELLS = 4_000_000;

export function lineDiff(expected: string, actual: string, context = 2, maxLines = 60): string[] {
  const a = expected.split('\n');
  const b = actual.split('\n');
  if (a.length * b.length > MAX_CELLS) {
    const at = a.findIndex((line, i) => line !== b[i]);
    const i = at < 0 ? a.length : at;
    return [`@@ line ${i + 1} @@`, `-${a[i] ?? ''}`, `+${b[i] ?? ''}`];
  }
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const ops: { op: ' ' | '-' | '+'; text: string; line: number }[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      ops.push({ op: ' ', text: a[i]!, line: i + 1 });
      i++;
      j++;
    } else if (j < b.length && (i >= a.length || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) {
      ops.push({ op: '+', text: b[j]!, line: i + 1 });
      j++;
    } else {
      ops.push({ op: '-', text: a[i]!, line: i + 1 });
      i++;
    }
  }
  const keep = new Set<number>();
  ops.forEach((o, k) => {
    if (o.op !== ' ') {
      for (let c = Math.max(0, k - context); c <= Math.min(ops.length - 1, k + context); c++) {
        keep.add(c);
      }
    }
  });
  const out: string[] = [];
  let last = -2;
  for (const k of [...keep].sort((x, y) => x - y)) {
    if (k !== last + 1) {
      out.push(`@@ expected line ${ops[k]!.line} @@`);
    }
    out.push(`${ops[k]!.op}${JSON.stringify(ops[k]!.text).slice(1, -1)}`);
    last = k;
    if (out.length >= maxLines) {
      out.push('... (diff truncated)');
      break;
    }
  }
  return out;
}
