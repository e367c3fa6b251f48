import * as path from 'node:path';
import * as vscode from 'vscode';
import { IndexBuilder, type BuildReport, type Outliner } from '../../codeIndex/indexBuilder';
import { languageOfPath } from '../../codeIndex/languages';
import { syntaxAssetsIn } from '../../codeIndex/syntax';
import { WorkerOutliner } from '../../codeIndex/workerOutliner';
import type { CodebaseSearch } from '../../codeIndex/types';
import { WorkspaceIndex } from '../../codeIndex/workspaceIndex';
import { Disposable, toDisposable } from '../../common/disposable';
import { errorMessage } from '../../common/errors';
import type { Logger } from '../../common/logger';
import { VERSION } from '../../common/version';
import { registerCommands } from '../commands';
import type { AutoGlmConfig, ConfigurationChange, LiveConfiguration } from '../configuration';

export interface IndexFeatureDeps {
  settings: LiveConfiguration;
  extensionPath: string;
  /** This workspace's storage folder, where the index is saved; none: it is rebuilt each time. */
  storageUri: vscode.Uri | undefined;
  logger: Logger;
}

/** Quiet time after activation before the first build, so that it does not compete with the window's start. */
const START_DELAY_MS = 1500;

export const REBUILD_INDEX_COMMAND = 'autoglm.index.rebuild';

/**
 * The workspace index of the first workspace folder on disk: built in the background with a
 * progress indicator in the status bar, kept current from file events, saved in the
 * workspace's storage, rebuilt on request or when its settings change. Completion and chat ask
 * `search()`, which is undefined while there is no index.
 */
export class IndexFeature extends Disposable {
  private index: WorkspaceIndex | undefined;
  private builder: IndexBuilder | undefined;
  private outliner: WorkerOutliner | undefined;
  private session: vscode.Disposable[] = [];
  private abort = new AbortController();
  private lastReport: BuildReport | undefined;

  constructor(private readonly deps: IndexFeatureDeps) {
    super();
    this.register(deps.settings.onDidChange((change) => this.onConfigChanged(change)));
    this.register(vscode.workspace.onDidChangeWorkspaceFolders(() => this.restart()));
    this.register(registerCommands([{ id: REBUILD_INDEX_COMMAND, execute: () => this.rebuild() }]));
    this.register(toDisposable(() => this.stop()));
    const timer = setTimeout(() => this.start(), START_DELAY_MS);
    this.register(toDisposable(() => clearTimeout(timer)));
  }

  /** The index to search, once one exists (it may still be building: `status()` says). */
  search(): CodebaseSearch | undefined {
    return this.index;
  }

  /** The last full build's figures (tests, the status of the index). */
  get report(): BuildReport | undefined {
    return this.lastReport;
  }

  /** Resolves when the build in progress and the changes reported so far are done (tests). */
  async settled(): Promise<void> {
    await this.builder?.settled();
  }

  /** Forgets the saved index and builds again from the files. */
  async rebuild(): Promise<BuildReport | undefined> {
    this.stop();
    const store = this.storeFile();
    if (store) await vscode.workspace.fs.delete(vscode.Uri.file(store), { useTrash: false }).then(undefined, () => undefined);
    return this.start();
  }

  private onConfigChanged({ next, prev }: ConfigurationChange): void {
    if (JSON.stringify(next.index) !== JSON.stringify(prev.index)) this.restart();
  }

  private restart(): void {
    this.stop();
    void this.start();
  }

  private async start(): Promise<BuildReport | undefined> {
    const config = this.deps.settings.current.index;
    const folder = vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file');
    if (!config.enabled || !folder || this.index) return undefined;
    this.abort = new AbortController();
    const index = new WorkspaceIndex();
    this.index = index;
    let outliner: Outliner;
    try {
      outliner = await this.syntaxOutliner();
    } catch (err) {
      this.deps.logger.error('The workspace index could not load its grammars; it is off', { error: err });
      this.index = undefined;
      return undefined;
    }
    const builder = this.createBuilder(index, outliner, folder.uri.fsPath, config);
    this.builder = builder;
    this.watch(folder, builder);
    return this.build(builder, folder.name);
  }

  private createBuilder(index: WorkspaceIndex, outliner: Outliner, root: string, config: AutoGlmConfig['index']): IndexBuilder {
    const storeFile = this.storeFile();
    return new IndexBuilder(index, outliner, {
      root,
      walk: { exclude: config.exclude, maxFiles: config.maxFiles, maxFileBytes: config.maxFileKB * 1024 },
      languageOf: languageOfPath,
      ...(storeFile ? { storeFile } : {}),
      logger: this.deps.logger.child({ component: 'index' }),
    });
  }

  private async build(builder: IndexBuilder, folderName: string): Promise<BuildReport | undefined> {
    const signal = this.abort.signal;
    try {
      const report = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Indexing' }, (progress) => {
        let shown = 0;
        return builder.build(signal, (p) => {
          if (p.done - shown >= 100 || p.phase === 'ready') {
            shown = p.done;
            progress.report({ message: `${folderName}: ${p.done} files` });
          }
        });
      });
      if (signal.aborted) return undefined;
      this.lastReport = report;
      this.deps.logger.info('workspace index ready', { folder: folderName, files: report.files, cut: report.cut, restored: report.restored, removed: report.removed, truncated: report.walk.truncated, ms: Math.round(report.ms) });
      if (report.walk.truncated) {
        void vscode.window.showInformationMessage(`Open AutoGLM indexed the first ${report.files} files of ${folderName} (autoglm.index.maxFiles).`);
      }
      return report;
    } catch (err) {
      this.deps.logger.error('The workspace index build failed', { error: err, message: errorMessage(err) });
      return undefined;
    }
  }

  private watch(folder: vscode.WorkspaceFolder, builder: IndexBuilder): void {
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, '**/*'));
    const changed = (uri: vscode.Uri): void => {
      const rel = path.relative(folder.uri.fsPath, uri.fsPath).split(path.sep).join('/');
      if (rel !== '' && !rel.startsWith('..')) builder.fileChanged(rel);
    };
    this.session.push(watcher, watcher.onDidCreate(changed), watcher.onDidChange(changed), watcher.onDidDelete(changed), vscode.workspace.onDidSaveTextDocument((d) => changed(d.uri)));
  }

  private async syntaxOutliner(): Promise<Outliner> {
    const outliner = (this.outliner ??= new WorkerOutliner(syntaxAssetsIn(path.join(this.deps.extensionPath, 'dist', 'grammars')), `tree-sitter/${VERSION}`));
    await outliner.start();
    for (const problem of outliner.grammarProblems) this.deps.logger.warn('a grammar did not load; its files are cut by lines', { problem });
    return outliner;
  }

  private storeFile(): string | undefined {
    return this.deps.storageUri ? path.join(this.deps.storageUri.fsPath, 'workspace-index.json') : undefined;
  }

  private stop(): void {
    this.abort.abort();
    for (const d of this.session.splice(0)) d.dispose();
    this.builder?.dispose();
    this.builder = undefined;
    this.index = undefined;
  }

  override dispose(): void {
    super.dispose();
    this.outliner?.dispose();
  }
}
