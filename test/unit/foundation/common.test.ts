import * as assert from 'node:assert/strict';
import { delay } from '../../../src/common/async';
import { Disposable, toDisposable } from '../../../src/common/disposable';
import { ModelLoadError, isAbortError } from '../../../src/common/errors';
import { MemoryLogger, SinkLogger, type LogRecord } from '../../../src/common/logger';
import { isHostToWebview, isWebviewToHost } from '../../../src/protocol/webview';

describe('logger', () => {
  it('drops records below the current level and keeps bound fields', () => {
    const records: LogRecord[] = [];
    let level: 'info' | 'debug' = 'info';
    const log = new SinkLogger((r) => records.push(r), () => level).child({ traceId: 't1' });
    log.debug('hidden');
    log.info('shown', { n: 1 });
    level = 'debug';
    log.debug('now shown');
    assert.deepEqual(records.map((r) => [r.level, r.msg, r.traceId, r['n']]), [['info', 'shown', 't1', 1], ['debug', 'now shown', 't1', undefined]]);
  });

  it('logs an error with its name, message and stack', () => {
    const log = new MemoryLogger();
    log.error('load failed', { error: new ModelLoadError('/m/config.json', 'invalid JSON') });
    const r = log.records[0]!;
    assert.equal(r['errorName'], 'ModelLoadError');
    assert.equal(r['errorMessage'], '/m/config.json: invalid JSON');
    assert.match(String(r['stack']), /ModelLoadError/);
  });
});

describe('disposables and cancellation', () => {
  it('disposes what it registered in reverse order, once, and late registrations at once', () => {
    const order: number[] = [];
    class Owner extends Disposable {
      own(n: number): void {
        this.register(toDisposable(() => order.push(n)));
      }
    }
    const owner = new Owner();
    owner.own(1);
    owner.own(2);
    owner.dispose();
    owner.dispose();
    owner.own(3);
    assert.deepEqual(order, [2, 1, 3]);
  });

  it('disposes every item even when one throws, then reports the failure', () => {
    const order: number[] = [];
    class Owner extends Disposable {
      constructor() {
        super();
        this.register(toDisposable(() => order.push(1)));
        this.register(toDisposable(() => {
          throw new Error('broken');
        }));
        this.register(toDisposable(() => order.push(3)));
      }
    }
    assert.throws(() => new Owner().dispose(), (err: unknown) => err instanceof AggregateError && err.errors.length === 1);
    assert.deepEqual(order, [3, 1]);
  });

  it('rejects a delay with an AbortError when its signal aborts', async () => {
    const ctl = new AbortController();
    const pending = delay(10_000, ctl.signal);
    ctl.abort();
    await assert.rejects(pending, (err: unknown) => isAbortError(err));
  });
});

describe('webview protocol guards', () => {
  it('accept well-formed messages and reject everything else', () => {
    assert.equal(isWebviewToHost({ type: 'webview/ready' }), true);
    assert.equal(isWebviewToHost({ type: 'webview/unknown' }), false);
    assert.equal(isWebviewToHost(null), false);
    const status = { modelName: 'm', modelPath: '/m', bundled: true, variant: 'auto', executionProvider: 'cpu', loaded: false };
    assert.equal(isHostToWebview({ type: 'host/status', status }), true);
    assert.equal(isHostToWebview({ type: 'host/status', status: { ...status, loaded: 'no' } }), false);
  });
});
