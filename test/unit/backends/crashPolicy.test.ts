/** When the service client starts the service again after crashes, and when it stops trying. */
import * as assert from 'node:assert/strict';
import { CrashPolicy } from '../../../src/backends/crashPolicy';

describe('service crash policy', () => {
  it('waits longer after each crash in a row, repeating the last backoff', () => {
    const p = new CrashPolicy(10, [5, 20]);
    assert.equal(p.nextBackoffMs(), 0);
    const waits = [];
    for (let i = 0; i < 3; i++) {
      p.crashed(undefined);
      waits.push(p.nextBackoffMs());
    }
    assert.deepEqual(waits, [5, 20, 20]);
    p.succeeded();
    assert.equal(p.nextBackoffMs(), 0);
    assert.equal(p.count, 0);
  });

  it('gives up after maxCrashes with no success between, naming the log; reset tries again', () => {
    const p = new CrashPolicy(2);
    assert.equal(p.crashed('/logs/service.log'), false);
    assert.equal(p.gaveUp === undefined, true);
    assert.equal(p.crashed('/logs/service.log'), true);
    assert.equal(p.gaveUp?.code, 'service-gave-up');
    assert.equal(p.gaveUp?.message, 'The Open AutoGLM service stopped unexpectedly 2 times in a row; it is not restarted again. See its log (/logs/service.log), then restart it.');
    p.reset();
    assert.equal(p.gaveUp, undefined);
    assert.equal(p.count, 0);
  });

  it('a success between crashes starts the count again', () => {
    const p = new CrashPolicy(2);
    p.crashed(undefined);
    p.succeeded();
    assert.equal(p.crashed(undefined), false);
    assert.equal(p.gaveUp, undefined);
  });
});
