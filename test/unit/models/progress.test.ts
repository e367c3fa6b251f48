import * as assert from 'node:assert/strict';
import { runPool } from '../../../src/models/pool';
import { ProgressMeter, type DownloadProgress } from '../../../src/models/progress';

describe('models/progress and pool', () => {
  it('reports bytes, a windowed rate, time left and the files in flight', () => {
    let now = 0;
    const reports: DownloadProgress[] = [];
    const meter = new ProgressMeter(1000, 2, (p) => reports.push(p), () => now);
    meter.present(100);
    meter.started('a');
    for (let i = 0; i < 10; i++) {
      now += 100;
      meter.received(20);
    }
    const p = meter.snapshot();
    assert.equal(p.bytesDone, 300);
    assert.deepEqual(p.currentFiles, ['a']);
    assert.equal(Math.round(p.bytesPerSecond), 200, 'resumed bytes are not part of the rate');
    assert.equal(Math.round(p.secondsLeft!), 4);
    meter.finished('a');
    assert.equal(meter.snapshot().filesDone, 1);
    assert.ok(reports.length >= 3 && reports.length <= 8, `reports are throttled: ${reports.length}`);
  });

  it('knows no time left before any byte arrives', () => {
    const meter = new ProgressMeter(1000, 1, undefined, () => 0);
    assert.equal(meter.snapshot().secondsLeft, undefined);
    assert.equal(meter.snapshot().bytesPerSecond, 0);
  });

  it('runs at most `limit` at once, keeps order, and rethrows the first failure after the others stop', async () => {
    let running = 0;
    let peak = 0;
    const results = await runPool([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setImmediate(r));
      running--;
      return n * 2;
    });
    assert.deepEqual(results, [2, 4, 6, 8, 10, 12, 14]);
    assert.equal(peak, 3);
    const aborted: boolean[] = [];
    await assert.rejects(
      runPool([1, 2, 3], 3, async (n, signal) => {
        if (n === 1) {
          throw new Error('first');
        }
        await new Promise((r) => setImmediate(r));
        aborted.push(signal.aborted);
      }),
      /first/,
    );
    assert.deepEqual(aborted, [true, true]);
  });
});
