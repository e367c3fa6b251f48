import * as path from 'node:path';
import * as vscode from 'vscode';
import { Disposable, toDisposable } from '../../common/disposable';
import type { Logger } from '../../common/logger';
import { CompletionPipeline } from '../../completion';
import { backendChange } from '../backends';
import { registerCommands } from '../commands';
import { RecentDocuments } from '../completionSnapshot';
import type { ConfigurationChange, LiveConfiguration } from '../configuration';
import { InlineFeedback } from '../completionFeedback';
import { CompletionGates } from '../completionGates';
import { InlineCompletionProvider } from '../inlineCompletion';
import { BUNDLED_MODEL_DIR } from '../modelInfo';
import { statusMenuCommands } from '../statusMenu';
import type { EngineFeature } from './engineFeature';
import type { IndexFeature } from './indexFeature';
import type { TemplatesFeature } from './templatesFeature';

export interface CompletionFeatureDeps {
  settings: LiveConfiguration;
  /** Where the confidence gates keep what they learn on this machine. */
  globalState: vscode.Memento;
  extensionPath: string;
  logger: Logger;
  engine: EngineFeature;
  templates: TemplatesFeature;
  /** The workspace index, whose definitions join completion prompts. */
  index?: IndexFeature;
}

const DOCUMENTS: vscode.DocumentSelector = [{ scheme: 'file' }, { scheme: 'untitled' }];

/**
 * Inline completion: the provider, the pipeline behind it (talking to whichever backend is
 * current), and the status bar menu. A pipeline is replaced, and the old one disposed, when the
 * backend or the prompt packs change.
 */
export class CompletionFeature extends Disposable {
  readonly provider: InlineCompletionProvider;
  readonly feedback: InlineFeedback;
  private readonly gates: CompletionGates;
  private current: CompletionPipeline | undefined;

  constructor(private readonly deps: CompletionFeatureDeps) {
    super();
    const enabled = (): boolean => deps.settings.current.completion.enabled;
    this.feedback = this.register(new InlineFeedback());
    this.gates = new CompletionGates(deps.globalState, deps.logger.child({ component: 'gate' }));
    this.provider = new InlineCompletionProvider({
      pipeline: () => this.pipeline(),
      recent: this.register(new RecentDocuments()),
      logger: deps.logger.child({ component: 'inline' }),
      enabled,
      setState: (state, detail) => deps.engine.statusBar.setState(state, detail),
      feedback: this.feedback,
    });
    this.register(toDisposable(() => this.dropPipeline()));
    this.register(vscode.languages.registerInlineCompletionItemProvider(DOCUMENTS, this.provider));
    this.register(deps.templates.onDidChange(() => this.dropPipeline()));
    this.register(deps.settings.onDidChange((change) => this.onConfigChanged(change)));
    this.register(registerCommands(statusMenuCommands({ provider: this.provider, completionsEnabled: enabled, bundledModelName: path.basename(BUNDLED_MODEL_DIR) })));
    this.provider.refreshState();
  }

  /** The pipeline for the current backend and prompt packs, built on first use. */
  pipeline(): CompletionPipeline {
    this.current ??= this.createPipeline();
    return this.current;
  }

  private createPipeline(): CompletionPipeline {
    const backends = this.deps.engine.backends;
    const gate = this.openGate();
    this.feedback.useSink(gate);
    return new CompletionPipeline({
      backend: {
        generate: (request, signal) => backends.forRole('completion').generate(request, signal),
        info: () => backends.forRole('completion').info(),
      },
      settings: this.deps.settings.current.completion,
      logger: this.deps.logger,
      countTokens: this.deps.engine.tokens.count,
      templates: this.deps.templates.fimTemplates(),
      codebase: () => this.deps.index?.search(),
      gate: { measure: gate.measure, threshold: () => gate.threshold(this.deps.settings.current.completion.eagerness), mode: 'truncate' },
    });
  }

  /** The confidence gate of the model completion runs on; a local model's folder may hold its calibration. */
  private openGate(): ReturnType<CompletionGates['open']> {
    const config = this.deps.settings.current;
    const info = this.deps.engine.backends.forRole('completion').info();
    const modelDir = info.kind === 'remote' ? undefined : config.model.path === '' ? path.join(this.deps.extensionPath, BUNDLED_MODEL_DIR) : config.model.path;
    return this.gates.open(`${info.kind}:${info.modelName}`, modelDir);
  }

  /** Stops what the old pipeline has in flight; the next request builds a new one. */
  private dropPipeline(): void {
    this.current?.dispose();
    this.current = undefined;
  }

  private onConfigChanged({ next, prev }: ConfigurationChange): void {
    if (backendChange(prev, next).any) {
      this.dropPipeline();
    }
    this.current?.updateSettings(next.completion);
    this.provider.refreshState();
  }
}
