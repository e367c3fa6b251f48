import * as assert from 'node:assert/strict';
import { gigabytes, percentDone, progressMessage } from '../../../src/host/models/progressText';

describe('download progress words', () => {
  it('says percent, size, rate and time left', () => {
    assert.equal(progressMessage({ bytesDone: 420_000_000, bytesTotal: 1_000_000_000, bytesPerSecond: 12_300_000, secondsLeft: 65.2 }), '42% of 1000.0 MB · 12.3 MB/s · 1 min 5 s left');
    assert.equal(progressMessage({ bytesDone: 0, bytesTotal: 0, bytesPerSecond: 0, secondsLeft: undefined }), '0% · 0.0 MB/s · time left unknown');
    assert.equal(progressMessage({ bytesDone: 1, bytesTotal: 2, bytesPerSecond: 1, secondsLeft: 7322 }), '50% of 0.0 MB · 0.0 MB/s · 2 h 2 min left');
  });

  it('never passes 100 percent, even when more arrives than announced', () => {
    assert.equal(percentDone({ bytesDone: 12, bytesTotal: 10, bytesPerSecond: 0, secondsLeft: 0 }), 100);
  });

  it('writes sizes in GB, or MB below one', () => {
    assert.deepEqual([gigabytes(3_087_000_000), gigabytes(986_000_000), gigabytes(10)], ['3.1 GB', '986 MB', '1 MB']);
  });
});
