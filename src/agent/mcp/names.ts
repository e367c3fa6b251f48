/**
 * Tool names as the model sees them: `<server>__<tool>`, reduced to what every backend accepts
 * (`^[a-zA-Z0-9_-]{1,64}$`) and made unique among the tools offered together.
 */
export const TOOL_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;

const MAX_NAME = 64;

function sanitize(text: string): string {
  return text.replace(/[^a-zA-Z0-9_-]/g, '_');
}

/**
 * `server__tool` sanitised and cut to 64 characters; when that name is already `taken` (two
 * servers or tools that differ only in characters replaced or cut), a `_2`, `_3`... suffix.
 */
export function mcpToolName(server: string, tool: string, taken: ReadonlySet<string>): string {
  const base = sanitize(`${server}__${tool}`).slice(0, MAX_NAME);
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) {
    const suffix = `_${n}`;
    const candidate = `${base.slice(0, MAX_NAME - suffix.length)}${suffix}`;
    if (!taken.has(candidate)) return candidate;
  }
}
