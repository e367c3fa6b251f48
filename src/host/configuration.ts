import * as vscode from 'vscode';
import { Disposable } from '../common/disposable';
import { isLogLevel, type LogLevel } from '../common/logger';
import { EXECUTION_PROVIDERS, MODEL_VARIANTS, type ModelVariant, type ProviderSetting } from '../common/modelSettings';
import { DEFAULT_COMPLETION_SETTINGS, EAGERNESS_LEVELS, FIM_FAMILIES, type CompletionSettings } from '../completion';

/**
 * The only place that reads settings. Everything below `host` receives these plain values.
 * Defaults here mirror package.json's `contributes.configuration`, where each is documented.
 */
export type ModelVariantSetting = ModelVariant;

export type ExecutionProviderSetting = ProviderSetting;

export interface AutoGlmConfig {
  model: {
    /** Absolute model folder, or '' for the bundled model. */
    path: string;
    variant: ModelVariantSetting;
  };
  models: {
    /** The Hugging Face Hub or a mirror speaking its protocol. */
    endpoint: string;
    /** Where downloads go; '' for the default cache folder. */
    folder: string;
    /** No network connection for models at all. */
    offline: boolean;
    /** A catalog file of the user's own; '' for the shipped catalog. */
    catalog: string;
    /** The editor's `http.proxy`, '' for direct connections. */
    proxy: string;
  };
  engine: {
    executionProvider: ExecutionProviderSetting;
    /** Intra-op threads; 0 lets the engine choose. */
    threads: number;
    /** One service process shared by every window, or the engine inside this window. */
    mode: 'service' | 'inProcess';
    /** Minutes a shared service stays up with no window connected. */
    serviceIdleMinutes: number;
  };
  server: {
    /** The OpenAI-compatible HTTP API of the shared service on 127.0.0.1. */
    enabled: boolean;
    /** Its port; 0 picks a free one. */
    port: number;
  };
  backend: {
    completion: 'local' | 'remote';
    chat: 'local' | 'remote';
  };
  remote: {
    /** API root of an OpenAI-compatible server, e.g. http://gpu-box:8000/v1. */
    baseUrl: string;
    model: string;
    /** Longest wait for a response to start, ms. */
    timeoutMs: number;
    /** The served model's context window in tokens; 0: not known (the chat assumes 2,048). */
    contextTokens: number;
  };
  log: {
    level: LogLevel;
    prompts: boolean;
  };
  completion: CompletionSettings;
  templates: {
    /** User prompt pack folders, lowest precedence first. */
    userPacks: string[];
    /** Tokens of file content a template may include. */
    fileContextTokens: number;
  };
  index: {
    /** The workspace index (syntax chunks, BM25 search, definitions) for completions and chat. */
    enabled: boolean;
    /** Most files indexed per workspace folder. */
    maxFiles: number;
    /** Files larger than this many KB are not indexed. */
    maxFileKB: number;
    /** Glob patterns (`files.exclude` and `search.exclude` set to true) the index skips. */
    exclude: string[];
  };
  mcp: {
    /**
     * The MCP servers of the user's own settings, as written (`{"servers": {...}}`); checked by
     * `agent/mcp/config`. Only the user value counts: a workspace's settings must not name programs to run.
     */
    servers: unknown;
  };
  chat: {
    /** Most tokens of one answer. */
    maxTokens: number;
    temperature: number;
    /** Most characters of a file attached as context. */
    fileContextChars: number;
  };
  agent: {
    /** Most model turns of one answer in agent mode. */
    maxSteps: number;
  };
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], fallback: T): T {
  return typeof value === 'string' && (allowed as readonly string[]).includes(value) ? (value as T) : fallback;
}

function clampInt(value: unknown, min: number, max: number, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.min(max, Math.max(min, Math.round(value))) : fallback;
}

function booleanMap(value: unknown): Record<string, boolean> {
  if (typeof value !== 'object' || value === null) {
    return {};
  }
  return Object.fromEntries(Object.entries(value).filter((e): e is [string, boolean] => typeof e[1] === 'boolean'));
}

function clampNumber(value: unknown, min: number, max: number, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : fallback;
}

const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

/** An http(s) URL without its trailing slashes, or `fallback` for anything else. */
function httpUrl(value: unknown, fallback: string): string {
  const text = typeof value === 'string' ? value.trim().replace(/\/+$/, '') : '';
  return /^https?:\/\/[^\s]+$/i.test(text) ? text : fallback;
}

const trimmed = (value: unknown): string => (typeof value === 'string' ? value.trim() : '');

function readModelsSettings(c: vscode.WorkspaceConfiguration): AutoGlmConfig['models'] {
  return {
    endpoint: httpUrl(c.get('models.endpoint'), DEFAULT_HUB_ENDPOINT),
    folder: trimmed(c.get('models.folder')),
    offline: c.get<boolean>('models.offline') === true,
    catalog: trimmed(c.get('models.catalog')),
    // The editor's own proxy setting, so that downloads go where the rest of the editor's traffic goes.
    proxy: httpUrl(vscode.workspace.getConfiguration('http').get('proxy'), ''),
  };
}

export function readConfiguration(): AutoGlmConfig {
  const c = vscode.workspace.getConfiguration('autoglm');
  const level = c.get<unknown>('log.level');
  const debounce = clampInt(c.get('inlineCompletion.debounceMs'), 0, 2000, 0);
  return {
    model: {
      path: (c.get<string>('model.path') ?? '').trim(),
      variant: oneOf(c.get('model.variant'), MODEL_VARIANTS, 'auto'),
    },
    models: readModelsSettings(c),
    engine: {
      executionProvider: oneOf(c.get('engine.executionProvider'), EXECUTION_PROVIDERS, 'auto'),
      threads: clampInt(c.get('engine.threads'), 0, 64, 0),
      mode: oneOf(c.get('engine.mode'), ['service', 'inProcess'] as const, 'service'),
      serviceIdleMinutes: clampInt(c.get('engine.serviceIdleMinutes'), 1, 1440, 10),
    },
    server: {
      enabled: c.get<boolean>('server.enabled') === true,
      port: clampInt(c.get('server.port'), 0, 65_535, 8765),
    },
    backend: {
      completion: oneOf(c.get('backend.completion'), ['local', 'remote'] as const, 'local'),
      chat: oneOf(c.get('backend.chat'), ['local', 'remote'] as const, 'local'),
    },
    remote: {
      baseUrl: (c.get<string>('remote.baseUrl') ?? '').trim().replace(/\/+$/, ''),
      model: (c.get<string>('remote.model') ?? '').trim(),
      timeoutMs: clampInt(c.get('remote.timeoutMs'), 1000, 600_000, 30_000),
      contextTokens: clampInt(c.get('remote.contextTokens'), 0, 10_000_000, 0),
    },
    log: {
      level: isLogLevel(level) ? level : 'info',
      prompts: c.get<boolean>('log.prompts') === true,
    },
    completion: {
      enabled: c.get<boolean>('inlineCompletion.enabled') !== false,
      languages: booleanMap(c.get('inlineCompletion.languages')),
      debounceMs: debounce === 0 ? 'adaptive' : debounce,
      maxLines: clampInt(c.get('inlineCompletion.maxLines'), 1, 200, DEFAULT_COMPLETION_SETTINGS.maxLines),
      maxTokens: clampInt(c.get('inlineCompletion.maxTokens'), 8, 2048, DEFAULT_COMPLETION_SETTINGS.maxTokens),
      promptTokens: clampInt(c.get('inlineCompletion.promptTokens'), 128, 32_768, DEFAULT_COMPLETION_SETTINGS.promptTokens),
      fimTemplate: oneOf(c.get('inlineCompletion.fimTemplate'), ['auto', ...FIM_FAMILIES], 'auto'),
      maxFileChars: DEFAULT_COMPLETION_SETTINGS.maxFileChars,
      eagerness: oneOf(c.get('inlineCompletion.eagerness'), EAGERNESS_LEVELS, 'balanced'),
    },
    templates: {
      userPacks: (c.get<unknown[]>('templates.userPacks') ?? []).filter((f): f is string => typeof f === 'string' && f.trim() !== ''),
      fileContextTokens: clampInt(c.get('templates.fileContextTokens'), 0, 200_000, 4000),
    },
    index: readIndexSettings(c),
    mcp: { servers: c.inspect('mcp.servers')?.globalValue },
    chat: {
      maxTokens: clampInt(c.get('chat.maxTokens'), 16, 8192, 512),
      temperature: clampNumber(c.get('chat.temperature'), 0, 2, 0.2),
      fileContextChars: clampInt(c.get('chat.fileContextChars'), 500, 500_000, 12_000),
    },
    agent: {
      maxSteps: clampInt(c.get('agent.maxSteps'), 1, 50, 12),
    },
  };
}

function readIndexSettings(c: vscode.WorkspaceConfiguration): AutoGlmConfig['index'] {
  const excludes = (section: string): string[] => Object.entries(booleanMap(vscode.workspace.getConfiguration(section).get('exclude'))).flatMap(([glob, on]) => (on ? [glob] : []));
  return {
    enabled: c.get<boolean>('index.enabled') !== false,
    maxFiles: clampInt(c.get('index.maxFiles'), 100, 200_000, 20_000),
    maxFileKB: clampInt(c.get('index.maxFileKB'), 16, 16_384, 1024),
    exclude: [...new Set([...excludes('files'), ...excludes('search')])],
  };
}

/** Calls `listener` with fresh values whenever an `autoglm.*` setting changes. */
export function onConfigurationChanged(listener: (config: AutoGlmConfig) => void): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration((e) => {
    if (e.affectsConfiguration('autoglm') || e.affectsConfiguration('http.proxy') || e.affectsConfiguration('files.exclude') || e.affectsConfiguration('search.exclude')) {
      listener(readConfiguration());
    }
  });
}

export interface ConfigurationChange {
  readonly next: AutoGlmConfig;
  readonly prev: AutoGlmConfig;
}

/** The settings as they are now, and one event per change carrying the new and the previous values. */
export class LiveConfiguration extends Disposable {
  private value = readConfiguration();
  private readonly changed = this.register(new vscode.EventEmitter<ConfigurationChange>());
  readonly onDidChange = this.changed.event;

  constructor() {
    super();
    this.register(
      onConfigurationChanged((next) => {
        const prev = this.value;
        this.value = next;
        this.changed.fire({ next, prev });
      }),
    );
  }

  get current(): AutoGlmConfig {
    return this.value;
  }
}
