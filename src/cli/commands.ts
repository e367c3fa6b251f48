import type { CliCommand } from './command';
import { benchCommand } from './bench';
import { generateCommand } from './generate';
import { modelsCommand } from './models';
import { serveCommand } from './serve';
import { templatesCommand } from './templates';

/** Every subcommand, in the order `autoglm --help` lists them. */
export const commands: CliCommand[] = [generateCommand, benchCommand, templatesCommand, serveCommand, modelsCommand];
