/** A glob a model gives, checked to stay relative to a workspace folder. */
import { ToolInputError } from '../../agent/types';

export function checkRelativeGlob(glob: string): string {
  const trimmed = glob.trim();
  if (trimmed.length === 0) {
    throw new ToolInputError('`glob` must not be empty; `**/*` matches every file.');
  }
  if (trimmed.startsWith('/') || /^[a-zA-Z]:[\\/]/.test(trimmed) || trimmed.startsWith('~')) {
    throw new ToolInputError(`\`glob\` must be relative to the workspace folder, e.g. \`src/**/*.ts\`; \`${trimmed}\` is absolute.`);
  }
  if (trimmed.split(/[\\/]/).includes('..')) {
    throw new ToolInputError('`glob` must stay inside the workspace folder; `..` is not allowed.');
  }
  return trimmed;
}
