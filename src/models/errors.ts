import { AutoGlmError } from '../common/errors';

/**
 * Why a Hub request or a download failed, as the user can act on it:
 * `gated` (set an access token), `not-found` (no such repository, revision or file),
 * `offline` (offline mode refused before any connection), `network` (connection failed after
 * the retries), `http` (another status), `integrity` (size or SHA-256 differs),
 * `disk-full` (no space while writing or before starting), `unsafe-path` (a listed path that
 * would leave the model folder), `protocol` (the server's answer is not what the Hub sends),
 * `busy` (another process is downloading into the same folder).
 */
export type ModelErrorCode = 'gated' | 'not-found' | 'offline' | 'network' | 'http' | 'integrity' | 'disk-full' | 'unsafe-path' | 'protocol' | 'busy';

export class ModelDownloadError extends AutoGlmError {
  constructor(
    readonly reason: ModelErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, `model-${reason}`, options);
  }
}

/** Errors worth another attempt: the server or the link failed, not the request. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof ModelDownloadError) {
    return err.reason === 'network';
  }
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE', 'EAI_AGAIN'].includes(code);
}
