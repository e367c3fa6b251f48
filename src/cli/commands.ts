import type { CliCommand } from './command';

/** Every subcommand, in the order `autoglm --help` lists them. */
export const commands: CliCommand[] = [];
