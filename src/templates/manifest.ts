import * as semver from 'semver';
import { suggest } from './frontMatter';
import type { PackManifest, TemplateDiagnostic } from './types';

export const MANIFEST_FILE = 'pack.json';
const KNOWN_KEYS = ['name', 'version', 'description', 'engines', 'author', 'license', 'homepage', 'repository'];
const PACK_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** Line of the first `"key":` in a JSON text; pack.json is small and hand-written. */
function keyLine(text: string, key: string): number {
  const at = text.search(new RegExp(`"${key}"\\s*:`));
  return at < 0 ? 1 : text.slice(0, at).split('\n').length;
}

function positionLine(text: string, message: string): number {
  const position = /position (\d+)/.exec(message);
  if (position) {
    return text.slice(0, Number(position[1])).split('\n').length;
  }
  const line = /line (\d+)/.exec(message);
  return line ? Number(line[1]) : 1;
}

/** Whether `hostVersion` satisfies the pack's range. Unreleased development builds accept every pack. */
export function isCompatible(range: string, hostVersion: string): boolean {
  if (hostVersion === '0.0.0-dev') {
    return true;
  }
  return semver.satisfies(hostVersion, range, { includePrerelease: true });
}

export function parseManifest(file: string, text: string, hostVersion: string): { manifest?: PackManifest; diagnostics: TemplateDiagnostic[] } {
  const diagnostics: TemplateDiagnostic[] = [];
  const error = (line: number, code: string, message: string): void => {
    diagnostics.push({ file, line, severity: 'error', code, message });
  };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    error(positionLine(text, message), 'bad-manifest', `pack.json is not valid JSON: ${message}`);
    return { diagnostics };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    error(1, 'bad-manifest', 'pack.json must be a JSON object with name, version and description');
    return { diagnostics };
  }
  const obj = data as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!KNOWN_KEYS.includes(key)) {
      diagnostics.push({ file, line: keyLine(text, key), severity: 'warning', code: 'unknown-key', message: `unknown pack.json key '${key}'${suggest(key, KNOWN_KEYS)}` });
    }
  }
  const { name, version, description, engines } = obj;
  if (typeof name !== 'string' || !PACK_NAME.test(name)) {
    error(keyLine(text, 'name'), 'bad-manifest', `pack.json 'name' must be a lower-case name (letters, digits, . _ -), got ${JSON.stringify(name)}`);
  }
  if (typeof version !== 'string' || semver.valid(version) !== version) {
    error(keyLine(text, 'version'), 'bad-version', `pack.json 'version' must be a semantic version such as 1.0.0, got ${JSON.stringify(version)}`);
  }
  if (description !== undefined && typeof description !== 'string') {
    error(keyLine(text, 'description'), 'bad-manifest', "pack.json 'description' must be a string");
  }
  let compatible: string | undefined;
  if (engines !== undefined) {
    const range = typeof engines === 'object' && engines !== null ? (engines as Record<string, unknown>)['autoglm'] : undefined;
    if (typeof range !== 'string' || semver.validRange(range) === null) {
      error(keyLine(text, 'engines'), 'bad-manifest', `pack.json 'engines.autoglm' must be a semver range such as ">=0.1.0", got ${JSON.stringify(range)}`);
    } else if (!isCompatible(range, hostVersion)) {
      error(keyLine(text, 'engines'), 'incompatible-pack', `pack requires Open AutoGLM ${range}; this is ${hostVersion}`);
    } else {
      compatible = range;
    }
  }
  if (diagnostics.some((d) => d.severity === 'error')) {
    return { diagnostics };
  }
  return {
    diagnostics,
    manifest: {
      name: name as string,
      version: version as string,
      description: (description as string | undefined) ?? '',
      ...(compatible !== undefined ? { compatible } : {}),
    },
  };
}
