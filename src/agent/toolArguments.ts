import Ajv, { type ValidateFunction } from 'ajv';
import type { AgentTool } from './types';

/** Longest arguments text a call may carry (characters): a model that loops is cut off here. */
export const MAX_ARGUMENTS_CHARS = 200_000;

export type ParsedArguments = { ok: true; args: Record<string, unknown> } | { ok: false; problem: string };

/**
 * Checks a call's arguments against its tool's schema before anything runs, so that a malformed
 * call becomes a message the model can act on. Schemas come from MCP servers too: one that ajv
 * cannot compile is not enforced here (the tool checks its own input) rather than blocking the tool.
 */
export class ArgumentChecker {
  private readonly ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  private readonly compiled = new Map<AgentTool, ValidateFunction | undefined>();

  parse(tool: AgentTool, text: string): ParsedArguments {
    if (text.length > MAX_ARGUMENTS_CHARS) {
      return { ok: false, problem: `the arguments are ${text.length} characters, over the limit of ${MAX_ARGUMENTS_CHARS}` };
    }
    let value: unknown;
    try {
      value = text.trim() === '' ? {} : JSON.parse(text);
    } catch (err) {
      return { ok: false, problem: `the arguments are not JSON (${(err as Error).message})` };
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return { ok: false, problem: 'the arguments must be a JSON object' };
    }
    const validate = this.validator(tool);
    if (validate && !validate(value)) {
      const problems = (validate.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '(arguments)'} ${e.message ?? 'is invalid'}`);
      return { ok: false, problem: `the arguments do not match the schema: ${problems.join('; ')}` };
    }
    return { ok: true, args: value as Record<string, unknown> };
  }

  private validator(tool: AgentTool): ValidateFunction | undefined {
    if (!this.compiled.has(tool)) {
      let validate: ValidateFunction | undefined;
      try {
        validate = this.ajv.compile(tool.definition.parameters);
      } catch {
        validate = undefined;
      }
      this.compiled.set(tool, validate);
    }
    return this.compiled.get(tool);
  }
}
