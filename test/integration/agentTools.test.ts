/**
 * The chat agent's built-in tools on real files in a real VS Code: the workspace folder the
 * harness opens, a scratch folder created in it for these tests, and a folder outside it that
 * links point to. Definitions and references come from VS Code's built-in TypeScript extension.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ToolInputError, type AgentTool, type ToolResult, type ToolRunContext } from '../../src/agent/types';
import { AGENT_TERMINAL_NAME, AgentTerminal } from '../../src/host/agent/agentTerminal';
import { createBuiltinTools, workspaceRoots } from '../../src/host/agent/builtinTools';
import { PROPOSED_SCHEME, showChangeDiff } from '../../src/host/agent/changeDiff';
import type { BuiltinToolLimits } from '../../src/host/agent/toolContext';
import { useSettings } from './helpers';

const SCRATCH = 'agent-scratch';
const LANGUAGE_TIMEOUT_MS = 90_000;

function folder(): string {
  const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  assert.ok(root, 'the tests run in a workspace folder');
  return root;
}

function scratch(...parts: string[]): string {
  return path.join(folder(), SCRATCH, ...parts);
}

function tools(limits?: Partial<BuiltinToolLimits>, commandEcho?: AgentTerminal): Map<string, AgentTool> {
  return new Map(createBuiltinTools({ roots: workspaceRoots, describe: () => '', limits, commandEcho }).map((t) => [t.definition.name, t]));
}

function call(tool: AgentTool | undefined, args: Record<string, unknown>, context: Partial<ToolRunContext> = {}): Promise<ToolResult> {
  assert.ok(tool, 'the tool exists');
  return tool.run(args, { signal: new AbortController().signal, ...context });
}

async function inputError(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof ToolInputError, `a ToolInputError, not ${String(err)}`);
    assert.match(err.message, pattern);
    return true;
  });
}

/**
 * Polls a tool until its answer passes `ready`; language servers answer only once they have
 * loaded. A timeout names the last answer.
 */
async function eventually(read: () => Promise<string>, ready: (text: string) => boolean, what: string, timeoutMs = LANGUAGE_TIMEOUT_MS): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ready(value)) {
      return value;
    }
    if (Date.now() > end) {
      throw new Error(`timed out waiting for ${what}; the last answer was: ${value}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function closeEditors(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}

describe('agent built-in tools in a real VS Code', () => {
  let outside: string;
  const all = (): Map<string, AgentTool> => tools();

  before(() => {
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-outside-'));
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'TOPSECRET value\n');
    fs.mkdirSync(scratch('nested'), { recursive: true });
    fs.writeFileSync(scratch('notes.txt'), 'alpha\nbeta\ngamma\n');
    fs.writeFileSync(scratch('nested', 'deep.txt'), 'deep alpha\n');
    fs.writeFileSync(scratch('hidden.skip'), 'alpha in an excluded file\n');
    fs.symlinkSync(path.join(outside, 'secret.txt'), scratch('link-out.txt'));
    fs.symlinkSync(outside, scratch('dir-out'));
  });

  after(async () => {
    await closeEditors();
    fs.rmSync(scratch(), { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });

  it('offers the eight tools with JSON-schema parameters, permissions and the descriptions given (the name where none is)', () => {
    const list = createBuiltinTools({ roots: workspaceRoots, describe: (name) => (name === 'read_file' ? 'Pack wording.' : '') });
    assert.deepEqual(list.map((t) => [t.definition.name, t.permission]), [
      ['read_file', 'read'], ['list_files', 'read'], ['search_text', 'read'], ['get_problems', 'read'],
      ['find_definition', 'read'], ['find_references', 'read'], ['propose_edits', 'edit'], ['run_command', 'execute'],
    ]);
    assert.equal(list[0]!.definition.description, 'Pack wording.');
    assert.equal(list[1]!.definition.description, 'list_files');
    assert.ok(list.every((t) => t.source === 'builtin' && (t.definition.parameters as { type?: string }).type === 'object'));
  });

  describe('read_file', () => {
    it('reads numbered lines of a workspace file, and a range of them', async () => {
      const read = all().get('read_file');
      assert.equal((await call(read, { path: `${SCRATCH}/notes.txt` })).text, `${SCRATCH}/notes.txt (lines 1-3 of 3)\n1: alpha\n2: beta\n3: gamma`);
      assert.equal((await call(read, { path: `${SCRATCH}/notes.txt`, start_line: 2, end_line: 2 })).text, `${SCRATCH}/notes.txt (lines 2-2 of 3)\n2: beta`);
    });

    it('refuses paths that leave the workspace, absolute ones outside it, and links that lead out', async () => {
      const read = all().get('read_file');
      await inputError(call(read, { path: '../outside.txt' }), /leads outside the workspace/);
      await inputError(call(read, { path: path.join(outside, 'secret.txt') }), /outside the workspace/);
      await inputError(call(read, { path: `${SCRATCH}/link-out.txt` }), /link that leads outside/);
      await inputError(call(read, { path: `${SCRATCH}/dir-out/secret.txt` }), /link that leads outside/);
      await inputError(call(read, { path: `${SCRATCH}/missing.txt` }), /does not exist/);
      await inputError(call(read, { path: SCRATCH }), /is a folder/);
    });

    it('prefers an open editor\'s unsaved text to the file on disk', async () => {
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(scratch('notes.txt')));
      const editor = await vscode.window.showTextDocument(doc);
      await editor.edit((b) => b.insert(new vscode.Position(0, 0), 'unsaved '));
      try {
        assert.match((await call(all().get('read_file'), { path: `${SCRATCH}/notes.txt` })).text, /\n1: unsaved alpha\n/);
        assert.equal(fs.readFileSync(scratch('notes.txt'), 'utf8'), 'alpha\nbeta\ngamma\n');
      } finally {
        await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
      }
    });

    it('reads only the start of a file larger than its limit, and says so', async () => {
      fs.writeFileSync(scratch('big.txt'), Array.from({ length: 400 }, (_, i) => `row ${i + 1}`).join('\n'));
      const text = (await call(tools({ readMaxBytes: 64 }).get('read_file'), { path: `${SCRATCH}/big.txt` })).text;
      assert.match(text, /^agent-scratch\/big\.txt \(lines 1-\d+ of at least \d+\)\n1: row 1\n/);
      assert.match(text, /\[the file is larger than the read limit; the lines past this point were not read\]$/);
    });
  });

  describe('list_files', () => {
    it('lists matching paths, sorted, honouring files.exclude', async () => {
      const restore = await useSettings('files', { exclude: { '**/*.skip': true } });
      try {
        const text = (await call(all().get('list_files'), { glob: `${SCRATCH}/**/*` })).text;
        const listed = text.split('\n');
        assert.ok(listed.includes(`${SCRATCH}/notes.txt`) && listed.includes(`${SCRATCH}/nested/deep.txt`), text);
        assert.ok(!listed.includes(`${SCRATCH}/hidden.skip`), 'excluded by files.exclude');
        assert.deepEqual([...listed].sort(), listed);
      } finally {
        await restore();
      }
    });

    it('stops at max_results and says more match; refuses globs that leave the workspace', async () => {
      const text = (await call(all().get('list_files'), { glob: '**/*.ts', max_results: 1 })).text;
      assert.match(text, /^[^\n]+\.ts\n\[the first 1 paths; more files match/);
      await inputError(call(all().get('list_files'), { glob: '../**' }), /`\.\.` is not allowed/);
      assert.equal((await call(all().get('list_files'), { glob: '**/*.nothing' })).text, 'No files match `**/*.nothing`.');
    });
  });

  describe('search_text', () => {
    it('finds text in workspace files as path:line: text', async () => {
      const text = (await call(all().get('search_text'), { query: 'cartTotal', glob: 'src/**/*.ts' })).text;
      const [matches, summary] = [text.slice(0, text.lastIndexOf('\n')), text.slice(text.lastIndexOf('\n') + 1)];
      assert.match(summary, /^\[3 matches in 2 files \(\d+ files searched\)\]$/);
      assert.equal(
        matches,
        [
          'src/shop/cart.ts:11: export function cartTotal(items: CartItem[]): number {',
          "src/shop/shipping.ts:1: import { cartTotal, type CartItem } from './cart';",
          'src/shop/shipping.ts:7:   return cartTotal(items) >= FREE_SHIPPING_FROM ? 0 : 4.95;',
          ].join('\n'),
      );
    });

    it('matches a regular expression, and does not read a file linked from outside', async () => {
      const text = (await call(all().get('search_text'), { query: '^(beta|deep)', is_regex: true, glob: `${SCRATCH}/**` })).text;
      assert.match(text, /^agent-scratch\/nested\/deep\.txt:1: deep alpha\nagent-scratch\/notes\.txt:2: beta\n/);
      const secret = (await call(all().get('search_text'), { query: 'TOPSECRET', glob: `${SCRATCH}/**` })).text;
      assert.match(secret, /^No matches for `TOPSECRET`\.\n\[0 matches in 0 files \(\d+ files searched\); skipped: \d+ linked outside the workspace\]$/);
    });

    it('stops a backtracking expression at the time limit, and refuses an invalid one', async () => {
      fs.writeFileSync(scratch('backtrack.txt'), `${'a'.repeat(40)}!\n`);
      const text = (await call(tools({ searchTimeMs: 300 }).get('search_text'), { query: '^(a+)+$', is_regex: true, glob: `${SCRATCH}/backtrack.txt` })).text;
      assert.match(text, /stopped at the time limit/);
      await inputError(call(all().get('search_text'), { query: '(', is_regex: true }), /not a valid JavaScript regular expression/);
    });
  });

  describe('get_problems', () => {
    it('lists the problems of a diagnostic collection, errors first', async () => {
      const uri = vscode.Uri.file(scratch('notes.txt'));
      const collection = vscode.languages.createDiagnosticCollection('agent-test');
      collection.set(uri, [
        new vscode.Diagnostic(new vscode.Range(2, 0, 2, 5), 'a warning', vscode.DiagnosticSeverity.Warning),
        Object.assign(new vscode.Diagnostic(new vscode.Range(0, 2, 0, 4), 'an error\nover two lines', vscode.DiagnosticSeverity.Error), { source: 'lint', code: 'E1' }),
      ]);
      try {
        const text = (await call(all().get('get_problems'), { path: `${SCRATCH}/notes.txt` })).text;
        assert.equal(text, `${SCRATCH}/notes.txt:1:3: error: an error over two lines (lint E1)\n${SCRATCH}/notes.txt:3:1: warning: a warning\n[1 error, 1 warning]`);
        assert.match((await call(all().get('get_problems'), {})).text, /agent-scratch\/notes\.txt:1:3: error: an error/);
      } finally {
        collection.dispose();
      }
      assert.equal((await call(all().get('get_problems'), { path: `${SCRATCH}/notes.txt` })).text, `No problems reported for ${SCRATCH}/notes.txt.`);
    });

    it('reports the TypeScript error of a file the language server has checked', async () => {
      fs.writeFileSync(scratch('broken.ts'), "export const count: number = 'not a number';\n");
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(vscode.Uri.file(scratch('broken.ts'))));
      const text = await eventually(async () => (await call(all().get('get_problems'), { path: `${SCRATCH}/broken.ts` })).text, (t) => !t.startsWith('No problems'), 'TypeScript diagnostics');
      assert.match(text, /^agent-scratch\/broken\.ts:1:14: error: Type 'string' is not assignable to type 'number'\. \(ts 2322\)/);
      await closeEditors();
    });
  });

  // Files of their own, so that no other suite finds the fixture's files opened by the language service.
  describe('find_definition and find_references (TypeScript)', () => {
    const price = `${SCRATCH}/ts/price.ts`;
    const use = `${SCRATCH}/ts/use.ts`;
    before(async () => {
      fs.mkdirSync(scratch('ts'), { recursive: true });
      fs.writeFileSync(scratch('ts', 'price.ts'), 'export interface Line {\n  unit: number;\n  count: number;\n}\n\nexport function scratchPrice(line: Line): number {\n  return line.unit * line.count;\n}\n\nexport function scratchTotal(lines: Line[]): number {\n  return lines.reduce((sum, line) => sum + scratchPrice(line), 0);\n}\n');
      fs.writeFileSync(scratch('ts', 'use.ts'), "import { scratchTotal, type Line } from './price';\n\nexport function withTax(lines: Line[]): number {\n  return scratchTotal(lines) * 1.2;\n}\n");
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(vscode.Uri.file(scratch('ts', 'use.ts'))));
    });
    after(closeEditors);

    it('finds the definition of a symbol used in a given file', async () => {
      const text = await eventually(async () => (await call(all().get('find_definition'), { symbol: 'scratchTotal', path: use })).text, (t) => !t.startsWith('No definition'), 'a TypeScript definition');
      assert.equal(text, `${price}:10: export function scratchTotal(lines: Line[]): number {`);
    });

    it('finds every reference of a symbol, across files', async () => {
      const text = await eventually(async () => (await call(all().get('find_references'), { symbol: 'scratchTotal', path: use })).text, (t) => t.split('\n').length >= 3, 'TypeScript references');
      assert.equal(
        text,
        [
          `${price}:10: export function scratchTotal(lines: Line[]): number {`,
          `${use}:1: import { scratchTotal, type Line } from './price';`,
          `${use}:4: return scratchTotal(lines) * 1.2;`,
        ].join('\n'),
      );
    });

    it('locates a symbol through the workspace symbol search when no file is given', async () => {
      const text = await eventually(async () => (await call(all().get('find_definition'), { symbol: 'scratchPrice' })).text, (t) => t.startsWith(SCRATCH), 'a workspace symbol');
      assert.equal(text, `${price}:6: export function scratchPrice(line: Line): number {`);
    });

    it('says when the symbol does not occur in the given file', async () => {
      await inputError(call(all().get('find_references'), { symbol: 'noSuchName', path: use }), /does not occur in agent-scratch\/ts\/use\.ts/);
    });
  });

  describe('propose_edits', () => {
    beforeEach(() => {
      fs.writeFileSync(scratch('one.ts'), 'export const one = 1;\nexport const name = "one";\n');
      fs.writeFileSync(scratch('two.ts'), 'export const two = 2;\n');
    });
    afterEach(closeEditors);

    const edits = {
      edits: [
        { path: `${SCRATCH}/one.ts`, old_text: 'const one = 1;', new_text: 'const one = 100;' },
        { path: `${SCRATCH}/two.ts`, new_text: 'export const two = 200;\n' },
      ],
    };

    it('previews each file before and after without changing anything', async () => {
      const tool = all().get('propose_edits')!;
      const preview = await tool.preview!(edits, new AbortController().signal);
      assert.equal(preview.summary, `Edit 2 files: ${SCRATCH}/one.ts, ${SCRATCH}/two.ts`);
      assert.deepEqual(preview.changes, [
        { path: `${SCRATCH}/one.ts`, before: 'export const one = 1;\nexport const name = "one";\n', after: 'export const one = 100;\nexport const name = "one";\n' },
        { path: `${SCRATCH}/two.ts`, before: 'export const two = 2;\n', after: 'export const two = 200;\n' },
      ]);
      assert.equal(fs.readFileSync(scratch('one.ts'), 'utf8'), 'export const one = 1;\nexport const name = "one";\n');
    });

    it('refuses an old_text that occurs twice or not at all, and a path out of the workspace', async () => {
      const tool = all().get('propose_edits')!;
      const signal = new AbortController().signal;
      await inputError(tool.preview!({ edits: [{ path: `${SCRATCH}/one.ts`, old_text: 'one', new_text: 'x' }] }, signal), /occurs 2 times in agent-scratch\/one\.ts \(lines 1, 2\)/);
      await inputError(tool.preview!({ edits: [{ path: `${SCRATCH}/one.ts`, old_text: 'absent', new_text: 'x' }] }, signal), /was not found/);
      await inputError(tool.preview!({ edits: [{ path: '../escape.ts', new_text: 'x' }] }, signal), /leads outside the workspace/);
      await inputError(tool.preview!({ edits: [{ path: `${SCRATCH}/dir-out/new.ts`, new_text: 'x' }] }, signal), /link that leads outside/);
    });

    it('applies only the accepted file, as one edit that one undo reverts', async () => {
      const result = await call(all().get('propose_edits'), edits, { acceptedPaths: [`${SCRATCH}/one.ts`] });
      assert.equal(result.text, `Applied the edits to: ${SCRATCH}/one.ts.\nRejected by the user, left unchanged: ${SCRATCH}/two.ts.`);
      assert.equal(fs.readFileSync(scratch('one.ts'), 'utf8'), 'export const one = 100;\nexport const name = "one";\n', 'saved to disk');
      assert.equal(fs.readFileSync(scratch('two.ts'), 'utf8'), 'export const two = 2;\n', 'the rejected file is untouched');
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(scratch('one.ts')));
      await vscode.window.showTextDocument(doc);
      await vscode.commands.executeCommand('undo');
      assert.equal(doc.getText(), 'export const one = 1;\nexport const name = "one";\n');
      // The undone text is unsaved: closing it without a prompt means reverting it.
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    });

    it('creates a new file inside the workspace', async () => {
      const result = await call(all().get('propose_edits'), { edits: [{ path: `${SCRATCH}/made/new.ts`, new_text: 'export {};\n' }] });
      assert.equal(result.text, `Applied the edits to: ${SCRATCH}/made/new.ts (created).`);
      assert.equal(fs.readFileSync(scratch('made', 'new.ts'), 'utf8'), 'export {};\n');
    });

    it('shows a change in the diff editor from the proposed scheme, until its owner disposes it', async () => {
      const shown = await showChangeDiff({ path: `${SCRATCH}/one.ts`, before: 'old text\n', after: 'new text\n' });
      try {
        const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
        assert.ok(input instanceof vscode.TabInputTextDiff, 'a diff editor is active');
        assert.equal(input.original.scheme, PROPOSED_SCHEME);
        assert.equal((await vscode.workspace.openTextDocument(input.original)).getText(), 'old text\n');
        assert.equal((await vscode.workspace.openTextDocument(input.modified)).getText(), 'new text\n');
      } finally {
        shown.dispose();
      }
    });
  });

  describe('run_command', () => {
    const terminal = new AgentTerminal();
    after(() => terminal.dispose());
    const run = (): AgentTool => tools({}, terminal).get('run_command')!;

    it('runs in the workspace, streams the output, gives the exit code, and shows the command in the agent terminal', async () => {
      const streamed: string[] = [];
      const result = await call(run(), { command: 'echo hello from $(basename "$PWD"); exit 3', cwd: SCRATCH }, { onOutput: (t) => streamed.push(t) });
      assert.equal(result.text, `$ echo hello from $(basename "$PWD"); exit 3\n(in ${SCRATCH})\nhello from ${SCRATCH}\n[exit code 3]`);
      assert.equal(result.isError, true);
      assert.equal(streamed.join(''), `hello from ${SCRATCH}\n`);
      assert.ok(vscode.window.terminals.some((t) => t.name === AGENT_TERMINAL_NAME), 'the agent terminal is open');
      const ok = await call(run(), { command: 'true' });
      assert.deepEqual([ok.text.endsWith('(no output)\n[exit code 0]'), ok.isError], [true, undefined]);
    });

    it('kills the command at its time limit', async () => {
      const result = await call(run(), { command: 'echo waiting; sleep 30', timeout_seconds: 1 });
      assert.match(result.text, /\nwaiting\n\[stopped after the time limit of 1 s; the command and the processes it started were killed\]$/);
      assert.equal(result.isError, true);
    });

    it('kills the command when the call is cancelled', async () => {
      const controller = new AbortController();
      const result = await call(run(), { command: 'echo started; sleep 30' }, { signal: controller.signal, onOutput: () => controller.abort() });
      assert.match(result.text, /\nstarted\n\[cancelled by the user; the command and the processes it started were killed\]$/);
    });

    it('refuses a working folder outside the workspace, and previews what it will run', async () => {
      await inputError(call(run(), { command: 'pwd', cwd: '..' }), /leads outside the workspace/);
      await inputError(call(run(), { command: 'pwd', cwd: `${SCRATCH}/dir-out` }), /link that leads outside/);
      await inputError(call(run(), { command: 'pwd', cwd: `${SCRATCH}/notes.txt` }), /is not a folder/);
      await inputError(call(run(), { command: 'pwd', timeout_seconds: 601 }), /from 1 to 600/);
      assert.equal((await run().preview!({ command: 'npm test' }, new AbortController().signal)).summary, 'Run `npm test` in . (time limit 60 s)');
    });
  });
});
