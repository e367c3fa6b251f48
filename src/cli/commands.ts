import type { CliCommand } from './command';
import { templatesCommand } from './templates';

/** Every subcommand, in the order `autoglm --help` lists them. */
export const commands: CliCommand[] = [templatesCommand];
