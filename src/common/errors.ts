/**
 * Typed errors for unexpected failures. Each names the file or resource and what is wrong, so the
 * message shown to the user is actionable without reading a stack.
 */
export class AutoGlmError extends Error {
  constructor(
    message: string,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class ModelLoadError extends AutoGlmError {
  constructor(
    readonly file: string,
    readonly problem: string,
    code = 'model-load',
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${problem}`, code, options);
  }
}

export class TemplateError extends AutoGlmError {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    problem: string,
    code = 'template',
  ) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${problem}`, code);
  }
}

export class BusyError extends AutoGlmError {
  constructor(problem: string) {
    super(problem, 'busy');
  }
}

export class BackendError extends AutoGlmError {
  constructor(problem: string, code = 'backend', options?: { cause?: unknown }) {
    super(problem, code, options);
  }
}

/** Cancellation is an expected outcome; callers check for it and return `undefined`. */
export function isAbortError(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || (err as { code?: unknown }).code === 'ABORT_ERR');
}

export function abortError(): Error {
  const err = new Error('The operation was aborted');
  err.name = 'AbortError';
  return err;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
