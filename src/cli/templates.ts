import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { errorMessage } from '../common/errors';
import { lintPack, resolvePackDir, type LintReport } from '../templates/lint';
import { runGoldenTests } from '../templates/golden';
import { defaultLockPath, writeLock } from '../templates/lock';
import { loadPack } from '../templates/pack';
import type { TemplateDiagnostic } from '../templates/types';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type CliCommand, type CliIO } from './command';

const USAGE = `Usage: autoglm templates <lint|test|lock> DIR [options]

Checks a prompt pack (a folder with pack.json, or a workspace with .autoglm/prompts/).

  lint DIR   front-matter schema, Handlebars syntax, unknown helpers, variables and partials,
             duplicate ids, and changes made without a version bump (against the lock file)
  test DIR   golden tests: renders each case of tests/*.json and compares with the expected output
  lock DIR   writes the lock file (.autoglm/prompts.lock) from the pack as it is now

Options:
  --json         print one JSON report on stdout instead of text
  --lock FILE    lock file to compare with or write (default: .autoglm/prompts.lock beside the pack)
  --update       (test) write the rendered output into the expected files
  -h, --help     show this help

Exit status: 0 when everything passes (warnings allowed), 1 on any error or failed test, 2 on bad usage.
Each problem is printed as file:line: message.`;

function relative(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel === '' ? '.' : rel.startsWith('..') && path.isAbsolute(file) ? file : rel;
}

export function formatDiagnostic(d: TemplateDiagnostic): string {
  return `${relative(d.file)}:${d.line}: ${d.severity === 'warning' ? 'warning: ' : ''}${d.message}`;
}

function jsonDiagnostic(d: TemplateDiagnostic): Record<string, unknown> {
  return { file: relative(d.file), line: d.line, severity: d.severity, code: d.code, message: d.message };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

async function lint(dir: string, json: boolean, lockFile: string | undefined, io: CliIO): Promise<number> {
  const report: LintReport = await lintPack(dir, lockFile !== undefined ? { lockFile } : {});
  if (json) {
    io.stdout(
      `${JSON.stringify(
        {
          ok: report.errors === 0,
          pack: report.pack.info ? { name: report.pack.info.name, version: report.pack.info.version, dir: relative(report.pack.dir) } : null,
          templates: report.pack.templates.map((t) => ({ id: t.meta.id, version: t.meta.version, kind: t.meta.kind, file: relative(t.file) })),
          lockFile: relative(report.lockFile),
          lockChecked: report.lockChecked,
          errors: report.errors,
          warnings: report.warnings,
          diagnostics: report.diagnostics.map(jsonDiagnostic),
        },
        null,
        2,
      )}\n`,
    );
  } else {
    for (const d of report.diagnostics) {
      (d.severity === 'error' ? io.stderr : io.stdout)(`${formatDiagnostic(d)}\n`);
    }
    const lockNote = report.lockChecked ? `checked against ${relative(report.lockFile)}` : `no lock file at ${relative(report.lockFile)}`;
    io.stdout(`templates lint: ${plural(report.pack.templates.length, 'template')} loaded, ${plural(report.errors, 'error')}, ${plural(report.warnings, 'warning')} (${lockNote})\n`);
  }
  return report.errors === 0 ? EXIT_OK : EXIT_FAILURE;
}

async function test(dir: string, json: boolean, update: boolean, io: CliIO): Promise<number> {
  const pack = await loadPack(await resolvePackDir(dir), 'workspace');
  const report = await runGoldenTests(pack, { update });
  const loadErrors = pack.diagnostics.filter((d) => d.severity === 'error');
  const failed = report.results.filter((r) => !r.ok);
  const problems = [...loadErrors, ...report.diagnostics];
  const ok = failed.length === 0 && problems.length === 0 && report.results.length > 0;
  if (json) {
    io.stdout(
      `${JSON.stringify(
        {
          ok,
          passed: report.results.length - failed.length,
          failed: failed.length,
          untested: report.untested,
          results: report.results.map((r) => ({ ...r, file: relative(r.file) })),
          diagnostics: problems.map(jsonDiagnostic),
        },
        null,
        2,
      )}\n`,
    );
  } else {
    for (const d of problems) {
      io.stderr(`${formatDiagnostic(d)}\n`);
    }
    for (const r of report.results) {
      if (r.ok) {
        io.stdout(`ok   ${r.template}: ${r.name}${r.updated ? ' (expected output updated)' : ''}\n`);
      } else {
        io.stderr(`${relative(r.file)}:${r.line}: golden test '${r.name}' of template '${r.template}' failed: ${r.message ?? ''}\n`);
        for (const line of r.diff ?? []) {
          io.stderr(`    ${line}\n`);
        }
      }
    }
    for (const id of report.untested) {
      io.stdout(`warning: template '${id}' has no golden test\n`);
    }
    if (report.results.length === 0 && problems.length === 0) {
      io.stderr(`${relative(pack.dir)}: no golden tests found in tests/*.json\n`);
    }
    io.stdout(`templates test: ${report.results.length - failed.length} passed, ${failed.length} failed${problems.length ? `, ${plural(problems.length, 'error')}` : ''}\n`);
  }
  return ok ? EXIT_OK : EXIT_FAILURE;
}

async function lock(dir: string, json: boolean, lockFile: string | undefined, io: CliIO): Promise<number> {
  const packDir = await resolvePackDir(dir);
  const pack = await loadPack(packDir, 'workspace');
  const errors = pack.diagnostics.filter((d) => d.severity === 'error');
  const file = path.resolve(lockFile ?? defaultLockPath(packDir));
  if (!pack.info || errors.length > 0) {
    if (json) {
      io.stdout(`${JSON.stringify({ ok: false, lockFile: relative(file), diagnostics: errors.map(jsonDiagnostic) }, null, 2)}\n`);
    } else {
      for (const d of errors) {
        io.stderr(`${formatDiagnostic(d)}\n`);
      }
      io.stderr(`templates lock: not written; fix the ${plural(errors.length, 'error')} first\n`);
    }
    return EXIT_FAILURE;
  }
  await writeLock(file, pack);
  if (json) {
    io.stdout(`${JSON.stringify({ ok: true, lockFile: relative(file), pack: pack.info.name, templates: pack.templates.length }, null, 2)}\n`);
  } else {
    io.stdout(`templates lock: wrote ${relative(file)} (${pack.info.name} ${pack.info.version}, ${plural(pack.templates.length, 'template')})\n`);
  }
  return EXIT_OK;
}

export const templatesCommand: CliCommand = {
  name: 'templates',
  summary: 'lint, test and lock prompt template packs (for CI)',
  usage: USAGE,
  async run(args: string[], io: CliIO): Promise<number> {
    let parsed;
    try {
      parsed = parseArgs({
        args,
        allowPositionals: true,
        options: {
          json: { type: 'boolean', default: false },
          lock: { type: 'string' },
          update: { type: 'boolean', default: false },
        },
      });
    } catch (err) {
      io.stderr(`autoglm templates: ${errorMessage(err)}\n\n${USAGE}\n`);
      return EXIT_USAGE;
    }
    const [action, dir, ...extra] = parsed.positionals;
    if (action === undefined || dir === undefined || extra.length > 0 || !['lint', 'test', 'lock'].includes(action)) {
      io.stderr(`${action !== undefined && !['lint', 'test', 'lock'].includes(action) ? `autoglm templates: unknown action '${action}'\n\n` : ''}${USAGE}\n`);
      return EXIT_USAGE;
    }
    const { json, update } = parsed.values;
    try {
      if (action === 'lint') {
        return await lint(dir, json, parsed.values.lock, io);
      }
      if (action === 'test') {
        return await test(dir, json, update, io);
      }
      return await lock(dir, json, parsed.values.lock, io);
    } catch (err) {
      io.stderr(`autoglm templates ${action}: ${errorMessage(err)}\n`);
      return EXIT_FAILURE;
    }
  },
};
