/**
 * What Linux tells about another process through /proc: its command line and its user. Node has
 * no API for either (and none for a socket peer's credentials, SO_PEERCRED), so elsewhere these
 * answer `undefined` and callers fall back to what they can check.
 */
import * as fs from 'node:fs';

const hasProc = process.platform === 'linux';

/** The process's arguments (argv[0] first), `[]` for a zombie; undefined where it cannot be read or off Linux. */
export function commandLineOf(pid: number | 'self'): string[] | undefined {
  if (!hasProc) return undefined;
  try {
    const raw = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const args = raw.split('\0');
    if (args.at(-1) === '') args.pop();
    return args;
  } catch {
    return undefined;
  }
}

/** The real and effective uid of the process; undefined where /proc does not say (gone, hidden, not Linux). */
export function processUids(pid: number): { real: number; effective: number } | undefined {
  if (!hasProc) return undefined;
  try {
    const line = /^Uid:\s+(\d+)\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return line ? { real: Number(line[1]), effective: Number(line[2]) } : undefined;
  } catch {
    return undefined;
  }
}
