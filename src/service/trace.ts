import { randomBytes } from 'node:crypto';

/** W3C trace-context sized ids: 16-byte trace ids, 8-byte span ids, lowercase hex. */
export function newTraceId(): string {
  return randomBytes(16).toString('hex');
}

export function newSpanId(): string {
  return randomBytes(8).toString('hex');
}

/** The trace id of a `traceparent` header (`00-<trace>-<span>-<flags>`), if well formed. */
export function traceIdFromTraceparent(header: string | undefined): string | undefined {
  const m = header ? /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/.exec(header.trim()) : null;
  return m && !/^0+$/.test(m[1]!) ? m[1] : undefined;
}

/** Caller-supplied ids end up in log files: keep them short and printable. */
export function sanitizeTraceId(value: unknown): string | undefined {
  return typeof value === 'string' && /^[\w.:-]{1,128}$/.test(value) ? value : undefined;
}
