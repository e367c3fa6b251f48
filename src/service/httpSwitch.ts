/**
 * Starts, moves or stops the service's OpenAI-compatible HTTP API while it runs, one change at a
 * time (windows may ask at once); the lock file always names the API that is on.
 */
import type { Logger } from '../common/logger';
import { startHttpApi, type HttpApi, type HttpApiDeps, type HttpApiOptions } from './http';
import { readOrCreateToken } from './paths';

export type HttpLimits = Pick<HttpApiOptions, 'maxBodyBytes' | 'generationTimeoutMs' | 'requestTimeoutMs'>;

export interface HttpEndpoint {
  url: string;
  tokenFile: string;
}

export interface HttpSwitchOptions {
  tokenFile: string;
  limits: HttpLimits;
  logPrompts: boolean;
  deps: HttpApiDeps;
  logger: Logger;
  /** After every change, with where the API listens now (undefined: off). */
  onChange: (endpoint: HttpEndpoint | undefined) => void;
}

export class HttpSwitch {
  private api: HttpApi | undefined;
  private info: HttpEndpoint | undefined;
  private change: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: HttpSwitchOptions) {}

  /** Where the API listens, when it is on. */
  get endpoint(): HttpEndpoint | undefined {
    return this.info;
  }

  /** Requests being answered now. */
  active(): number {
    return this.api?.active() ?? 0;
  }

  /** Turns the API on at `port` (0: any free port; an API already on stays where it is) or off (null). */
  set(port: number | null): Promise<HttpEndpoint | null> {
    const next = this.change.then(() => this.apply(port));
    this.change = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    await this.api?.close();
  }

  private async apply(port: number | null): Promise<HttpEndpoint | null> {
    if (port !== null && this.api && (port === 0 || new URL(this.api.url).port === String(port))) {
      return this.info ?? null;
    }
    if (this.api) {
      await this.api.close();
      this.api = undefined;
      this.info = undefined;
    }
    if (port !== null) {
      const token = readOrCreateToken(this.options.tokenFile);
      this.api = await startHttpApi({ port, token, logPrompts: this.options.logPrompts, ...this.options.limits }, this.options.deps);
      this.info = { url: this.api.url, tokenFile: this.options.tokenFile };
      this.options.logger.info('HTTP API listening', { url: this.api.url });
    }
    this.options.onChange(this.info);
    return this.info ?? null;
  }
}
