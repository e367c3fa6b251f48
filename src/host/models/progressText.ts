/** The words of a download's progress notification, apart from the notification (unit-tested). */

export interface ProgressNumbers {
  bytesDone: number;
  bytesTotal: number;
  bytesPerSecond: number;
  /** Undefined while the rate is unknown. */
  secondsLeft: number | undefined;
}

/** Whole percent done, 0-100; 0 while the total is unknown. */
export function percentDone(p: ProgressNumbers): number {
  return p.bytesTotal > 0 ? Math.min(100, Math.floor((p.bytesDone / p.bytesTotal) * 100)) : 0;
}

const MB = 1_000_000;

function timeLeft(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) {
    return 'time left unknown';
  }
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) {
    return `${s} s left`;
  }
  const minutes = Math.floor(s / 60);
  if (minutes < 60) {
    return `${minutes} min ${s % 60} s left`;
  }
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min left`;
}

/** "42% of 986.1 MB · 12.3 MB/s · 1 min 5 s left" */
export function progressMessage(p: ProgressNumbers): string {
  const size = p.bytesTotal > 0 ? ` of ${(p.bytesTotal / MB).toFixed(1)} MB` : '';
  return `${percentDone(p)}%${size} · ${(p.bytesPerSecond / MB).toFixed(1)} MB/s · ${timeLeft(p.secondsLeft)}`;
}

/** "1.5 GB" for sizes on disk and in memory. */
export function gigabytes(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${Math.max(1, Math.round(bytes / MB))} MB`;
}
