import Handlebars from 'handlebars';
import { TemplateError } from '../common/errors';
import { estimateTokens, type TokenCounter } from '../common/tokens';
import { HELPER_NAMES, REMOVED_BUILTIN_HELPERS, createHelpers } from './helpers';

/** A compiled template or partial: Handlebars' own calling convention. */
type Compiled = (context: unknown, options?: Record<string, unknown>) => string;

/** The parts of a Handlebars environment that `compile` uses; compiling through them makes it eager. */
interface CompilerEnvironment {
  parse(source: string, options: object): unknown;
  Compiler: new () => { compile(ast: unknown, options: object): unknown };
  JavaScriptCompiler: new () => { compile(environment: unknown, options: object, context: undefined, asObject: true): unknown };
  template(spec: unknown): Compiled;
}

const knownHelpers: Record<string, boolean> = {
  ...Object.fromEntries([...HELPER_NAMES].map((name) => [name, true])),
  // Handlebars counts these as known by default; they are unregistered, so compiling a call must fail.
  ...Object.fromEntries(REMOVED_BUILTIN_HELPERS.map((name) => [name, false])),
};

function compileOptions(): Record<string, unknown> {
  // Fresh object each time: the Handlebars compiler writes into its options.
  return { noEscape: true, strict: false, knownHelpers: { ...knownHelpers }, knownHelpersOnly: true, data: true };
}

/** Runtime options of every render: prototype access stays off whatever Handlebars' defaults become. */
const RUNTIME_OPTIONS = {
  allowProtoPropertiesByDefault: false,
  allowProtoMethodsByDefault: false,
  allowCallsToHelperMissing: false,
} as const;

interface RenderState {
  countTokens: TokenCounter;
  depth: number;
  maxDepth: number;
  maxOutputChars: number;
  /** File that a limit error names: the partial being expanded, or the template. */
  files: string[];
}

export interface RenderCall {
  readonly file: string;
  readonly lineOffset: number;
  readonly countTokens: TokenCounter | undefined;
  readonly maxOutputChars: number;
}

/**
 * One isolated Handlebars environment per pack: its own helpers (the fixed safe set) and its own
 * partials (only those of the pack). Templates are compiled here once, when the pack loads.
 */
export class PackRuntime {
  private readonly env = Handlebars.create();
  private readonly state: RenderState;

  constructor(maxPartialDepth: number) {
    this.state = { countTokens: estimateTokens, depth: 0, maxDepth: maxPartialDepth, maxOutputChars: Number.MAX_SAFE_INTEGER, files: [] };
    for (const name of REMOVED_BUILTIN_HELPERS) {
      this.env.unregisterHelper(name);
    }
    const helpers = createHelpers(() => this.state.countTokens);
    for (const [name, fn] of Object.entries(helpers)) {
      this.env.registerHelper(name, fn);
    }
  }

  parse(source: string): hbs.AST.Program {
    return this.env.parse(source);
  }

  /** Compiles now rather than on first render, so a compile error is a load-time diagnostic. */
  compile(source: string): Compiled {
    const env = this.env as unknown as CompilerEnvironment;
    const options = compileOptions();
    const ast = env.parse(source, options);
    const environment = new env.Compiler().compile(ast, options);
    const spec = new env.JavaScriptCompiler().compile(environment, options, undefined, true);
    return env.template(spec);
  }

  /** Registers a partial behind a depth guard, so recursion ends in a clear error and not a stack overflow. */
  registerPartial(name: string, file: string, compiled: Compiled): void {
    const state = this.state;
    const guarded = (context: unknown, options?: Record<string, unknown>): string => {
      if (state.depth >= state.maxDepth) {
        throw new TemplateError(file, undefined, `partials nested more than ${state.maxDepth} deep while rendering (is '${name}' recursive?)`, 'partial-depth');
      }
      state.depth++;
      state.files.push(file);
      try {
        const out = compiled(context, options);
        if (out.length > state.maxOutputChars) {
          throw new TemplateError(file, undefined, `partial '${name}' rendered ${out.length} characters, over the limit of ${state.maxOutputChars}`, 'output-too-large');
        }
        return out;
      } finally {
        state.depth--;
        state.files.pop();
      }
    };
    this.env.registerPartial(name, guarded as unknown as Handlebars.Template);
  }

  /** Renders synchronously; the state set here is only read by helpers and partials of this call. */
  render(compiled: Compiled, context: Record<string, unknown>, call: RenderCall): string {
    const state = this.state;
    state.countTokens = call.countTokens ?? estimateTokens;
    state.depth = 0;
    state.maxOutputChars = call.maxOutputChars;
    state.files = [];
    let text: string;
    try {
      text = compiled(context, { ...RUNTIME_OPTIONS });
    } catch (err) {
      if (err instanceof TemplateError) {
        throw err;
      }
      if (err instanceof RangeError) {
        throw new TemplateError(call.file, undefined, `rendering ran out of stack: ${err.message}`, 'render');
      }
      const message = err instanceof Error ? err.message : String(err);
      const line = (err as { lineNumber?: unknown }).lineNumber;
      const inPartial = state.files.at(-1);
      throw new TemplateError(
        inPartial ?? call.file,
        typeof line === 'number' ? (inPartial ? line : call.lineOffset + line) : undefined,
        `render failed: ${message.split('\n')[0]}`,
        'render',
      );
    } finally {
      state.countTokens = estimateTokens;
      state.depth = 0;
      state.files = [];
    }
    if (text.length > call.maxOutputChars) {
      throw new TemplateError(call.file, undefined, `rendered prompt is ${text.length} characters, over the limit of ${call.maxOutputChars}`, 'output-too-large');
    }
    return text;
  }
}
