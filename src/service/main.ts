import { VERSION } from '../common/version';

/**
 * Entry point of the engine's own process. It is started by the extension with VS Code's
 * Node runtime; the RPC server that editor windows connect to is built on top of this entry.
 */
function main(argv: readonly string[]): number {
  if (argv.includes('--version')) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  process.stderr.write('autoglm-service: the shared engine service is not available in this version; the extension runs the engine in process.\n');
  return 1;
}

process.exitCode = main(process.argv.slice(2));
