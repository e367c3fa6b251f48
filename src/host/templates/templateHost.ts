import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Logger } from '../../common/logger';
import { loadCatalog, workspacePackDir, type TemplateCatalog } from '../../templates/catalog';
import type { TemplateDiagnostic } from '../../templates/types';

/** Workspace trust as the host sees it; tests pass a fake to exercise both states in one editor. */
export interface WorkspaceTrust {
  readonly isTrusted: boolean;
  readonly onDidGrantWorkspaceTrust: vscode.Event<void>;
}

export interface TemplateHostDeps {
  readonly logger: Logger;
  /** Root of the installed extension; the built-in pack is its `prompts/` folder. */
  readonly extensionPath: string;
  /** User pack folders from settings; `~` is expanded, relative paths are ignored with a warning. */
  readonly userPackFolders: readonly string[];
  /** Default `vscode.workspace`. */
  readonly trust?: WorkspaceTrust;
  /** Workspace folder paths; default those of `vscode.workspace.workspaceFolders`. */
  readonly workspaceFolders?: () => readonly string[];
  /** Milliseconds of quiet after a file change before packs are reloaded. Default 300. */
  readonly reloadDelayMs?: number;
}

const DIAGNOSTIC_SOURCE = 'Open AutoGLM templates';

export function expandUserFolder(folder: string): string | undefined {
  const trimmed = folder.trim();
  if (trimmed === '') {
    return undefined;
  }
  const expanded = trimmed === '~' || trimmed.startsWith('~/') || trimmed.startsWith('~\\') ? path.join(os.homedir(), trimmed.slice(1)) : trimmed;
  return path.isAbsolute(expanded) ? path.normalize(expanded) : undefined;
}

function toVscodeDiagnostic(d: TemplateDiagnostic): vscode.Diagnostic {
  const line = Math.max(0, d.line - 1);
  const diagnostic = new vscode.Diagnostic(
    new vscode.Range(line, 0, line, Number.MAX_SAFE_INTEGER),
    d.message,
    d.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning,
  );
  diagnostic.source = DIAGNOSTIC_SOURCE;
  diagnostic.code = d.code;
  return diagnostic;
}

/**
 * Owns the loaded template catalog: loads the built-in, user and (in a trusted workspace)
 * workspace packs, reloads them when their files change or trust is granted, and publishes their
 * problems to the Problems panel.
 */
export class TemplateHost implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private watchers: vscode.Disposable[] = [];
  private watchedKey = '';
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('autoglm-templates');
  private readonly changed = new vscode.EventEmitter<TemplateCatalog>();
  private current: TemplateCatalog | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private userFolders: string[] = [];
  private untrustedNoticeShown = false;
  private disposed = false;
  readonly trust: WorkspaceTrust;
  /** Fires after every reload with the new catalog. */
  readonly onDidChange = this.changed.event;
  /** Settles when the first load is done. */
  readonly ready: Promise<TemplateCatalog>;

  constructor(private readonly deps: TemplateHostDeps) {
    this.trust = deps.trust ?? vscode.workspace;
    this.setFolders(deps.userPackFolders);
    this.disposables.push(
      this.diagnostics,
      this.changed,
      this.trust.onDidGrantWorkspaceTrust(() => {
        deps.logger.info('Workspace trusted: loading workspace prompt packs');
        this.untrustedNoticeShown = false;
        this.reloadInBackground();
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.reloadInBackground()),
    );
    this.ready = this.reload();
    // Awaited by callers that need the catalog; a failed first load is logged in `load`.
    this.ready.catch(() => undefined);
  }

  get catalog(): TemplateCatalog | undefined {
    return this.current;
  }

  get builtinDir(): string {
    return path.join(this.deps.extensionPath, 'prompts');
  }

  workspaceFolders(): readonly string[] {
    return this.deps.workspaceFolders?.() ?? (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
  }

  private setFolders(folders: readonly string[]): void {
    this.userFolders = [];
    for (const folder of folders) {
      const dir = expandUserFolder(folder);
      if (dir) {
        this.userFolders.push(dir);
      } else if (folder.trim() !== '') {
        this.deps.logger.warn('Ignoring a user prompt pack folder that is not an absolute path', { folder });
      }
    }
  }

  /** Called by the composition root when the setting changes. */
  setUserPackFolders(folders: readonly string[]): Promise<TemplateCatalog> {
    this.setFolders(folders);
    return this.reload();
  }

  /** Reloads every pack; calls are serialized so that the last one wins. */
  reload(): Promise<TemplateCatalog> {
    const next = this.queue.then(() => this.load());
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Reload for events nobody awaits; a failure is already logged by `load`. */
  private reloadInBackground(): void {
    this.reload().catch(() => undefined);
  }

  private scheduleReload(): void {
    if (this.timer) {
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.reloadInBackground();
    }, this.deps.reloadDelayMs ?? 300);
  }

  private async load(): Promise<TemplateCatalog> {
    const trusted = this.trust.isTrusted;
    const workspaceDirs = this.workspaceFolders().map(workspacePackDir);
    const started = Date.now();
    let catalog: TemplateCatalog;
    try {
      catalog = await loadCatalog({ builtinDir: this.builtinDir, userDirs: this.userFolders, workspaceDirs, trusted });
    } catch (err) {
      this.deps.logger.error('Loading prompt packs failed', { error: err });
      throw err;
    }
    if (this.disposed) {
      return catalog;
    }
    this.current = catalog;
    this.publish(catalog.diagnostics);
    this.watch(this.userFolders, workspaceDirs);
    const errors = catalog.diagnostics.filter((d) => d.severity === 'error').length;
    this.deps.logger.info('Prompt packs loaded', {
      templates: catalog.entries.length,
      packs: catalog.packs.map((p) => `${p.source}:${p.info?.name ?? p.dir}`),
      errors,
      workspaceSkipped: catalog.workspaceSkipped !== undefined,
      ms: Date.now() - started,
    });
    if (catalog.workspaceSkipped && !this.untrustedNoticeShown) {
      this.untrustedNoticeShown = true;
      void vscode.window.showInformationMessage(`Open AutoGLM: ${catalog.workspaceSkipped.reason}`, 'Manage Workspace Trust').then((pick) => {
        if (pick) {
          void vscode.commands.executeCommand('workbench.trust.manage');
        }
      });
    }
    this.changed.fire(catalog);
    return catalog;
  }

  private publish(list: readonly TemplateDiagnostic[]): void {
    const byFile = new Map<string, vscode.Diagnostic[]>();
    for (const d of list) {
      const items = byFile.get(d.file) ?? [];
      items.push(toVscodeDiagnostic(d));
      byFile.set(d.file, items);
    }
    this.diagnostics.clear();
    for (const [file, items] of byFile) {
      this.diagnostics.set(vscode.Uri.file(file), items);
    }
  }

  /** Watches pack folders (and where a workspace pack may appear) so edits reload the catalog. */
  private watch(packDirs: readonly string[], workspacePackDirs: readonly string[]): void {
    const key = JSON.stringify([packDirs, workspacePackDirs]);
    if (key === this.watchedKey) {
      return;
    }
    this.watchedKey = key;
    for (const w of this.watchers) {
      w.dispose();
    }
    this.watchers = [];
    const onEvent = (): void => this.scheduleReload();
    const add = (base: string, glob: string): void => {
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(base), glob));
      this.watchers.push(watcher, watcher.onDidChange(onEvent), watcher.onDidCreate(onEvent), watcher.onDidDelete(onEvent));
    };
    for (const dir of packDirs) {
      add(dir, '**/*.{hbs,json}');
    }
    // A workspace pack created after activation (or by "New template") is noticed through its folder's parent.
    for (const dir of workspacePackDirs) {
      add(path.dirname(path.dirname(dir)), '.autoglm/**');
    }
  }

  /** Problems currently shown for `file`; for tests and the "New template" flow. */
  problemsFor(file: string): readonly vscode.Diagnostic[] {
    return this.diagnostics.get(vscode.Uri.file(file)) ?? [];
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) {
      clearTimeout(this.timer);
    }
    for (const d of [...this.watchers, ...this.disposables].reverse()) {
      d.dispose();
    }
    this.watchers = [];
  }
}
