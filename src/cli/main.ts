import { VERSION } from '../common/version';
import { EXIT_OK, EXIT_USAGE, type CliCommand, type CliIO } from './command';
import { commands } from './commands';

function helpText(list: readonly CliCommand[]): string {
  const width = Math.max(8, ...list.map((c) => c.name.length));
  const rows = list.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    `autoglm ${VERSION}: Open AutoGLM, local AI code generation`,
    '',
    'Usage: autoglm <command> [options]',
    '',
    'Commands:',
    ...rows,
    '',
    'Options:',
    '  -h, --help     show this help, or a command\'s help with `autoglm <command> --help`',
    '  -v, --version  print the version',
    '',
  ].join('\n');
}

export async function runCli(argv: readonly string[], io: CliIO, list: readonly CliCommand[] = commands): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    io.stdout(helpText(list));
    return EXIT_OK;
  }
  if (first === '-v' || first === '--version') {
    io.stdout(`${VERSION}\n`);
    return EXIT_OK;
  }
  const command = list.find((c) => c.name === first);
  if (!command) {
    io.stderr(`autoglm: unknown command '${first}'\n\n${helpText(list)}`);
    return EXIT_USAGE;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(`${command.usage}\n`);
    return EXIT_OK;
  }
  return command.run(rest, io);
}

if (require.main === module) {
  const io: CliIO = {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  };
  runCli(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`autoglm: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
