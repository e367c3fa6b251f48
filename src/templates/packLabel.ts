import type { PackSource } from './types';

const SOURCE_NAMES: Readonly<Record<PackSource, string>> = { builtin: 'built-in', user: 'user', workspace: 'workspace' };

/**
 * A pack as a reader names it in a hint: `built-in pack`, `user pack my-prompts`. The built-in
 * pack's name repeats its kind, so it is left out, as is a name that only repeats the kind.
 */
export function packLabel(pack: { readonly source: PackSource; readonly name: string }): string {
  const kind = `${SOURCE_NAMES[pack.source]} pack`;
  return pack.source === 'builtin' || pack.name === pack.source ? kind : `${kind} ${pack.name}`;
}
