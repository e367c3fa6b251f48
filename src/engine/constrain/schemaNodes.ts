import type { Pattern } from './pattern';

/**
 * The compiled form of a JSON schema that the matcher walks: one node per distinct value shape.
 * Nodes are plain data with a numeric `id` that names them in matcher state keys; `$ref` nodes
 * point at their target once it is compiled, so recursive schemas are graphs, not trees.
 */

export interface NumberRange {
  /** Lower bound; `lowOpen`: the bound itself is excluded (exclusiveMinimum). */
  low: number;
  lowOpen: boolean;
  high: number;
  highOpen: boolean;
}

export interface PropertyNode {
  name: string;
  /** The key as JSON text after its opening quote (`name"`), as UTF-8. */
  keyRest: Uint8Array;
  value: SchemaNode;
  required: boolean;
}

export type SchemaNode =
  | { kind: 'any-of'; id: number; options: SchemaNode[] }
  | { kind: 'ref'; id: number; target: SchemaNode | undefined; path: string }
  /** One of these exact JSON texts (enum, const, true/false, null), compact as JSON.stringify writes them; in byte order (`literalTexts`). */
  | { kind: 'literals'; id: number; texts: Uint8Array[] }
  | { kind: 'string'; id: number; minLength: number; maxLength: number; pattern: Pattern | undefined }
  | { kind: 'number'; id: number; integer: boolean; range: NumberRange | undefined }
  | ObjectNode
  | { kind: 'array'; id: number; items: SchemaNode; minItems: number; maxItems: number };

/**
 * An object whose listed properties are written in schema order (optional ones may be left out);
 * `additional`, when set and no properties are listed, allows any keys with values of that node.
 */
export interface ObjectNode {
  kind: 'object';
  id: number;
  properties: PropertyNode[];
  /** Index of the last required property, -1 when none is required. */
  lastRequired: number;
  additional: SchemaNode | undefined;
  /** The keys that may come next from property index `at`, in byte order: filled on first use. */
  keySets?: Map<number, KeySet>;
}

/** Candidate texts in byte order, and for keys, the property each one names. */
export interface KeySet {
  texts: Uint8Array[];
  props: number[];
}

/**
 * Texts in byte order, duplicates dropped. Sorted, the candidates that share a prefix are one
 * contiguous range, so a literal frame holds a range instead of forking per value.
 */
export function literalTexts(values: readonly string[]): Uint8Array[] {
  const encoder = new TextEncoder();
  return [...new Set(values)].map((v) => encoder.encode(v)).sort(compareBytes);
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return a.length - b.length;
}

/** Follows `$ref` nodes to the node they name. */
export function resolved(node: SchemaNode): SchemaNode {
  let n = node;
  for (let hops = 0; n.kind === 'ref'; hops++) {
    if (n.target === undefined || hops > 64) {
      throw new Error(`unresolved $ref ${n.path}`);
    }
    n = n.target;
  }
  return n;
}
