/**
 * The service's engine host on the real bundled model when loads overlap: the service's first load
 * still running when a window switches models (a fresh service started for a window that had just
 * changed its model), two switches under way at once, and a switch to the model already loading.
 * Loads are held back at a gate, so that the order in which they finish is the test's to choose.
 */
import * as assert from 'node:assert/strict';
import { silentLogger } from '../../../src/common/logger';
import { Engine, type EngineOptions } from '../../../src/engine';
import type { ModelSpec } from '../../../src/protocol/service';
import { EngineHost } from '../../../src/service/engineHost';
import { ServiceMetrics } from '../../../src/service/metrics';
import { modelDir } from './serviceProcess';

const FP32: ModelSpec = { modelDir, variant: 'fp32', provider: 'cpu', threads: 1 };
const Q4: ModelSpec = { ...FP32, variant: 'q4' };

interface Loads {
  host: EngineHost;
  /** Variants asked for, in order. */
  asked: string[];
  /** Variants of the engines released, in order. */
  disposed: string[];
  /** Lets the held-back load of `variant` go on. */
  release(variant: string): void;
}

/** A host whose loads of the `held` variants wait for `release`. */
function hostWithGate(initial: ModelSpec, held: readonly string[]): Loads {
  const gates = new Map<string, () => void>();
  const opened = new Map<string, Promise<void>>(held.map((v) => [v, new Promise<void>((r) => gates.set(v, r))]));
  const asked: string[] = [];
  const disposed: string[] = [];
  const load = async (options: EngineOptions): Promise<Engine> => {
    const variant = String(options.variant);
    asked.push(variant);
    const engine = await Engine.load(options);
    await opened.get(variant);
    const dispose = engine.dispose.bind(engine);
    engine.dispose = () => {
      disposed.push(variant);
      return dispose();
    };
    return engine;
  };
  const host = new EngineHost(initial, silentLogger, new ServiceMetrics(), { load, drainMs: 0 });
  return { host, asked, disposed, release: (variant) => gates.get(variant)?.() };
}

async function until(what: string, test: () => boolean): Promise<void> {
  const end = Date.now() + 20_000;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('engine host: overlapping loads and switches (bundled model)', function () {
  this.timeout(60_000);
  let hosts: EngineHost[] = [];
  afterEach(async () => {
    await Promise.all(hosts.map((h) => h.dispose()));
    hosts = [];
  });

  it('a switch that finishes before the first load keeps the switched model, and the first load is released', async () => {
    const loads = hostWithGate(FP32, ['fp32']);
    hosts.push(loads.host);
    const first = loads.host.engine();
    const info = await loads.host.switchModel(Q4);
    assert.equal(info.variant, 'q4');
    loads.release('fp32');
    const answered = await first;
    assert.equal(answered.model.variant, 'q4', 'whoever waited on the first load gets the switched model');
    assert.equal(loads.host.loaded?.model.variant, 'q4');
    assert.equal(loads.host.modelInfo().variant, 'q4');
    await until('the first load to be released', () => loads.disposed.includes('fp32'));
    assert.deepEqual(loads.disposed, ['fp32']);
    const events = [];
    for await (const event of (await loads.host.engine()).generate({ prompt: 'def add(a, b):', maxTokens: 4, temperature: 0 })) events.push(event);
    assert.equal(events.at(-1)?.type, 'done', 'the switched model answers');
  });

  it('a first load that finishes before the switch is replaced by it', async () => {
    const loads = hostWithGate(FP32, ['q4']);
    hosts.push(loads.host);
    const first = await loads.host.engine();
    assert.equal(first.model.variant, 'fp32');
    const switching = loads.host.switchModel(Q4);
    loads.release('q4');
    assert.equal((await switching).variant, 'q4');
    assert.equal(loads.host.loaded?.model.variant, 'q4');
    await until('the replaced model to be released', () => loads.disposed.includes('fp32'));
  });

  it('of two switches under way, the later one asked for wins even when the earlier finishes last', async () => {
    const loads = hostWithGate(Q4, ['fp32']);
    hosts.push(loads.host);
    await loads.host.engine();
    const earlier = loads.host.switchModel(FP32);
    await until('the earlier switch to start loading', () => loads.asked.length === 2);
    const later = await loads.host.switchModel(Q4);
    assert.equal(later.variant, 'q4');
    loads.release('fp32');
    const earlierInfo = await earlier;
    assert.equal(earlierInfo.variant, 'q4', 'the overtaken switch reports the model in use');
    assert.equal(loads.host.loaded?.model.variant, 'q4');
    assert.equal(loads.host.modelSpec.variant, 'q4');
    await until('the overtaken load to be released', () => loads.disposed.includes('fp32'));
  });

  it('a switch to the model that is loading already waits for that load instead of loading it again', async () => {
    const loads = hostWithGate(Q4, ['q4']);
    hosts.push(loads.host);
    const first = loads.host.engine();
    const switching = loads.host.switchModel({ ...Q4 });
    loads.release('q4');
    const [engine, info] = await Promise.all([first, switching]);
    assert.equal(info.variant, 'q4');
    assert.equal(loads.host.loaded, engine);
    assert.deepEqual(loads.asked, ['q4'], 'one load');
    assert.equal(loads.host.modelLoads, 1);
    assert.deepEqual(loads.disposed, []);
  });
});
