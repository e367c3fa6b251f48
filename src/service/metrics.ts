/** Counters and histograms of the service, rendered in the Prometheus text format. */

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

type Labels = Record<string, string>;

function labelKey(labels: Labels): string {
  const entries = Object.entries(labels).sort(([a], [b]) => a.localeCompare(b));
  return entries.map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',');
}

class Counter {
  readonly values = new Map<string, number>();
  constructor(readonly name: string, readonly help: string) {}
  inc(labels: Labels = {}, by = 1): void {
    const key = labelKey(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }
  get(labels: Labels = {}): number {
    return this.values.get(labelKey(labels)) ?? 0;
  }
  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [key, v] of this.values) lines.push(`${this.name}${key ? `{${key}}` : ''} ${v}`);
    return lines;
  }
}

class Histogram {
  private readonly series = new Map<string, { counts: number[]; sum: number; count: number }>();
  constructor(readonly name: string, readonly help: string, readonly buckets: readonly number[] = LATENCY_BUCKETS) {}
  observe(value: number, labels: Labels = {}): void {
    const key = labelKey(labels);
    let s = this.series.get(key);
    if (!s) {
      s = { counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    this.buckets.forEach((b, i) => {
      if (value <= b) s.counts[i]!++;
    });
    s.sum += value;
    s.count++;
  }
  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [key, s] of this.series) {
      const sep = key ? `${key},` : '';
      this.buckets.forEach((b, i) => lines.push(`${this.name}_bucket{${sep}le="${b}"} ${s.counts[i]}`));
      lines.push(`${this.name}_bucket{${sep}le="+Inf"} ${s.count}`);
      lines.push(`${this.name}_sum${key ? `{${key}}` : ''} ${s.sum}`);
      lines.push(`${this.name}_count${key ? `{${key}}` : ''} ${s.count}`);
    }
    return lines;
  }
}

export interface Gauges {
  queueDepth: number;
  activeRequests: number;
  prefixCacheHitRate: number;
  prefixCacheBytes: number;
  connectedClients: number;
  modelLoads: number;
  residentMemoryBytes: number;
}

export class ServiceMetrics {
  readonly httpRequests = new Counter('autoglm_http_requests_total', 'HTTP requests by route and status code.');
  readonly generations = new Counter('autoglm_generations_total', 'Generation requests by API and outcome (ok, cancelled, busy, error).');
  readonly tokens = new Counter('autoglm_tokens_total', 'Tokens by kind: prompt, reused (from the prefix cache), generated.');
  readonly requestLatency = new Histogram('autoglm_request_duration_seconds', 'Generation time from arrival to the last token, by API.');
  readonly firstTokenLatency = new Histogram('autoglm_time_to_first_token_seconds', 'Time from arrival to the first generated token, by API.');
  private readonly recent: { at: number; tokens: number }[] = [];

  recordTokens(prompt: number, reused: number, generated: number): void {
    this.tokens.inc({ kind: 'prompt' }, prompt);
    this.tokens.inc({ kind: 'reused' }, reused);
    this.tokens.inc({ kind: 'generated' }, generated);
    const now = Date.now();
    this.recent.push({ at: now, tokens: generated });
    while (this.recent.length > 0 && this.recent[0]!.at < now - 60_000) this.recent.shift();
  }

  /** Generated tokens per second over the last minute. */
  tokensPerSecond(): number {
    const now = Date.now();
    const window = this.recent.filter((r) => r.at >= now - 60_000);
    if (window.length === 0) {
      return 0;
    }
    const span = Math.max(1, (now - window[0]!.at) / 1000);
    return window.reduce((n, r) => n + r.tokens, 0) / span;
  }

  render(g: Gauges): string {
    const gauge = (name: string, help: string, value: number): string[] => [`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name} ${value}`];
    return [
      ...this.httpRequests.render(),
      ...this.generations.render(),
      ...this.tokens.render(),
      ...this.requestLatency.render(),
      ...this.firstTokenLatency.render(),
      ...gauge('autoglm_queue_depth', 'Requests waiting for a batch slot.', g.queueDepth),
      ...gauge('autoglm_active_requests', 'Requests in the decode batch.', g.activeRequests),
      ...gauge('autoglm_prefix_cache_hit_rate', 'Prompt tokens served from the prefix cache over all prompt tokens since the model loaded.', g.prefixCacheHitRate),
      ...gauge('autoglm_prefix_cache_bytes', 'Bytes of KV state held by the prefix cache.', g.prefixCacheBytes),
      ...gauge('autoglm_connected_clients', 'Editor windows connected over RPC.', g.connectedClients),
      ...gauge('autoglm_model_loads_total', 'Models loaded since the service started.', g.modelLoads),
      ...gauge('process_resident_memory_bytes', 'Resident memory of the service process.', g.residentMemoryBytes),
      '',
    ].join('\n');
  }
}
