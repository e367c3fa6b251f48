import { AutoGlmError } from '../../common/errors';
import type { JsonSchema, ToolDefinition } from '../../protocol/generation';
import type { DecodingConstraint } from '../types';
import { compileSchema, type NodeIds } from './compileSchema';
import { END, feed, push, stackKey, type Alt, type Stack } from './matcher';
import { literalTexts, type SchemaNode } from './schemaNodes';

/**
 * What the whole output must be, as a byte automaton over matcher stacks: one JSON value then
 * the end (`json`), or free text in which `open` starts a tool call object followed by `close`
 * (`tool-calls`). In free text, `free` is how much of `open` the text ends with (KMP); inside a
 * value, `alts` are the stacks still possible.
 */
export interface MatchState {
  readonly alts: readonly Alt[];
  /** Free text (tool-calls only): the length of the longest suffix that is a prefix of `open`; -1 inside a value. */
  readonly free: number;
}

/**
 * Most alternatives kept at once (more for a call among many tools: each tool's call shape is
 * one until the name settles it); any live one leads to a valid output, so keeping fewer stays sound.
 */
const MAX_ALTERNATIVES = 32;
const MAX_TOOLS = 256;

export class Grammar {
  readonly initial: MatchState;
  private readonly open: Uint8Array;
  private readonly failure: Int32Array;
  private readonly callStack: Stack | undefined;
  /** One state object per position in `open`: free text steps allocate nothing. */
  private readonly freeStates: MatchState[];

  private constructor(
    initial: (g: Grammar) => MatchState,
    open: string,
    callStack: Stack | undefined,
    private readonly maxAlternatives = MAX_ALTERNATIVES,
  ) {
    this.open = new TextEncoder().encode(open);
    this.failure = kmpFailure(this.open);
    this.callStack = callStack;
    this.freeStates = Array.from({ length: Math.max(1, this.open.length) }, (_, k) => ({ alts: [], free: k }));
    this.initial = initial(this);
  }

  /** Compiles a request's constraint; throws AutoGlmError 'invalid-request' for what it cannot honour. */
  static compile(constraint: DecodingConstraint): Grammar {
    const ids: NodeIds = { next: 0 };
    switch (constraint.kind) {
      case 'json': {
        const root = compileSchema(constraint.schema ?? { type: 'object' }, ids);
        const stack = push(push(null, { t: 'end' }) ?? null, { t: 'value', node: root, ws: 0 })!;
        return new Grammar(() => ({ alts: [stack], free: -1 }), '', undefined);
      }
      case 'tool-calls': {
        const { tools, open, close, required } = constraint;
        if (open === '' || close === '') {
          throw new AutoGlmError('A tool-calls constraint needs non-empty open and close texts', 'invalid-request');
        }
        const call = toolCallNode(tools, ids);
        const encoder = new TextEncoder();
        const tail = push(null, { t: 'tail', text: encoder.encode(close), pos: 0, ws: 0 })!;
        const callStack = push(tail, { t: 'value', node: call, ws: 0 })!;
        const first = required ? push(callStack, { t: 'lit', texts: [encoder.encode(open)], pos: 0, lo: 0, hi: 1, tag: 'open' })! : undefined;
        return new Grammar((g) => (first ? { alts: [first], free: -1 } : g.freeStates[0]!), open, callStack, MAX_ALTERNATIVES + tools.length);
      }
      default: {
        const never: never = constraint;
        throw new AutoGlmError(`Unknown constraint kind ${JSON.stringify((never as { kind?: unknown }).kind)}`, 'invalid-request');
      }
    }
  }

  /** The state after byte `b`, or undefined when `b` cannot come next. */
  step(state: MatchState, b: number): MatchState | undefined {
    if (state.free >= 0) {
      const k = this.kmpStep(state.free, b);
      return k === this.open.length ? { alts: [this.callStack!], free: -1 } : this.freeStates[k]!;
    }
    const out: Alt[] = [];
    for (const alt of state.alts) {
      if (alt !== null) feed(alt, b, out);
    }
    if (out.length === 0) {
      return undefined;
    }
    const distinct = out.length === 1 ? out : [...new Set(out)];
    if (distinct.includes(null)) {
      // A tool call closed: back to free text.
      return this.freeStates[0]!;
    }
    return { alts: distinct.length > this.maxAlternatives ? distinct.slice(0, this.maxAlternatives) : distinct, free: -1 };
  }

  /** Whether the output may end here. */
  canEnd(state: MatchState): boolean {
    if (state.free >= 0) {
      return true;
    }
    const out: Alt[] = [];
    for (const alt of state.alts) {
      if (alt !== null) feed(alt, END, out);
    }
    return out.includes(null);
  }

  /** Equal keys: equal futures (what the mask cache relies on). */
  key(state: MatchState): string {
    return state.free >= 0 ? `f${state.free}` : state.alts.map(stackKey).join('|');
  }

  /** Drops alternatives that are the same state under another identity (after a real token, not in the trie walk). */
  normalise(state: MatchState): MatchState {
    if (state.alts.length < 2) {
      return state;
    }
    const byKey = new Map<string, Alt>();
    for (const alt of state.alts) byKey.set(stackKey(alt), alt);
    return byKey.size === state.alts.length ? state : { alts: [...byKey.values()], free: state.free };
  }

  private kmpStep(k: number, b: number): number {
    let j = k;
    while (j > 0 && this.open[j] !== b) j = this.failure[j - 1]!;
    return this.open[j] === b ? j + 1 : 0;
  }
}

function kmpFailure(p: Uint8Array): Int32Array {
  const f = new Int32Array(p.length);
  for (let i = 1, k = 0; i < p.length; i++) {
    while (k > 0 && p[i] !== p[k]) k = f[k - 1]!;
    if (p[i] === p[k]) k++;
    f[i] = k;
  }
  return f;
}

/**
 * `{"name": <one tool's name>, "arguments": <valid under that tool's parameters>}`: one object
 * shape per tool, as alternatives; the name settles which one within a few bytes.
 */
function toolCallNode(tools: readonly ToolDefinition[], ids: NodeIds): SchemaNode {
  if (tools.length === 0 || tools.length > MAX_TOOLS) {
    throw new AutoGlmError(`A tool-calls constraint needs 1 to ${MAX_TOOLS} tools`, 'invalid-request');
  }
  const encoder = new TextEncoder();
  const options = tools.map((tool): SchemaNode => {
    // No parameters schema at all still means an arguments object (of anything).
    const given = tool.parameters as JsonSchema | undefined;
    const parameters = given === undefined || Object.keys(given).length === 0 ? { type: 'object' } : given;
    const args = compileSchema(parameters, ids, `tool ${JSON.stringify(tool.name)} parameters #`);
    const name: SchemaNode = { kind: 'literals', id: ids.next++, texts: literalTexts([JSON.stringify(tool.name)]) };
    return {
      kind: 'object',
      id: ids.next++,
      properties: [
        { name: 'name', keyRest: encoder.encode('name"'), value: name, required: true },
        { name: 'arguments', keyRest: encoder.encode('arguments"'), value: args, required: true },
      ],
      lastRequired: 1,
      additional: undefined,
    };
  });
  return { kind: 'any-of', id: ids.next++, options };
}
