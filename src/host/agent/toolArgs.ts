/**
 * Readers for a tool call's arguments. The model writes them, so each reader checks the type and
 * range and says, in a ToolInputError the model is shown, which argument is wrong and how.
 */
import { ToolInputError } from '../../agent/types';

export type ToolArgs = Record<string, unknown>;

export function requiredString(args: ToolArgs, name: string): string {
  const value = args[name];
  if (typeof value !== 'string' || value.length === 0) {
    throw new ToolInputError(`\`${name}\` is required and must be a non-empty string.`);
  }
  return value;
}

export function optionalString(args: ToolArgs, name: string): string | undefined {
  const value = args[name];
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value !== 'string') {
    throw new ToolInputError(`\`${name}\` must be a string.`);
  }
  return value.length === 0 ? undefined : value;
}

export function optionalBoolean(args: ToolArgs, name: string): boolean | undefined {
  const value = args[name];
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value !== 'boolean') {
    throw new ToolInputError(`\`${name}\` must be true or false.`);
  }
  return value;
}

/** An optional whole number within [min, max]; a number written as a string ("20") is accepted. */
export function optionalInteger(args: ToolArgs, name: string, min: number, max: number): number | undefined {
  const raw = args[name];
  if (raw === undefined || raw === null) {
    return undefined;
  }
  const value = typeof raw === 'string' && /^\s*-?\d+\s*$/.test(raw) ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ToolInputError(`\`${name}\` must be a whole number from ${min} to ${max}.`);
  }
  return value;
}
