/** read_file's output: the asked lines of a file, numbered, within a size, saying what is left out. */
import { ToolInputError } from '../../agent/types';

export interface LineRequest {
  /** 1-based, inclusive; undefined: from the first line. */
  readonly startLine: number | undefined;
  /** 1-based, inclusive; undefined: to the last line. */
  readonly endLine: number | undefined;
  /** The most characters of numbered lines to return. */
  readonly maxChars: number;
}

function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  // A final line end does not start another line.
  if (lines.length > 1 && lines[lines.length - 1] === '') {
    lines.pop();
  }
  return lines;
}

/**
 * `display` and the lines as `12: text`. When the file was cut at its byte limit (`partial`), the
 * last line may be incomplete and the line count is a lower bound, which the header says.
 */
export function numberedLines(display: string, text: string, request: LineRequest, partial = false): string {
  if (text.length === 0) {
    return `${display} (empty file)`;
  }
  const lines = splitLines(text);
  const total = lines.length;
  const start = request.startLine ?? 1;
  const end = Math.min(request.endLine ?? total, total);
  if (start > total) {
    throw new ToolInputError(`${display} has ${partial ? 'at least ' : ''}${total} lines; start_line ${start} is past its end.`);
  }
  if (request.endLine !== undefined && request.endLine < start) {
    throw new ToolInputError(`end_line (${request.endLine}) is before start_line (${start}).`);
  }
  const out: string[] = [];
  let used = 0;
  let last = start - 1;
  for (let n = start; n <= end; n++) {
    const line = `${n}: ${lines[n - 1]}`;
    if (used + line.length + 1 > request.maxChars && out.length > 0) {
      break;
    }
    out.push(line.length > request.maxChars ? `${line.slice(0, request.maxChars)} [line cut]` : line);
    used += line.length + 1;
    last = n;
  }
  const of = `${partial ? 'at least ' : ''}${total}`;
  const header = `${display} (lines ${start}-${last} of ${of})`;
  const notes: string[] = [];
  if (last < end) {
    notes.push(`[output limit reached at line ${last}; call read_file with start_line ${last + 1} to read on]`);
  } else if (partial && last === total) {
    notes.push('[the file is larger than the read limit; the lines past this point were not read]');
  }
  return [header, ...out, ...notes].join('\n');
}
