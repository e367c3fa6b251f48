import assert from 'node:assert/strict';
import { CompletionCache } from '../../../src/completion/completionCache';
import { AdaptiveDebounce } from '../../../src/completion/debounce';
import { LatestRequest } from '../../../src/completion/latestRequest';
import { TypedAhead } from '../../../src/completion/typedAhead';
import { snapshot } from './fixtures';

describe('completion/debounce, cancellation, cache, typed-ahead', () => {
  it('starts at 100 ms and follows measured latency within bounds', () => {
    const d = new AdaptiveDebounce('adaptive');
    assert.equal(d.delayMs, 100);
    d.recordLatency(20);
    assert.equal(d.delayMs, 50);
    for (let i = 0; i < 20; i++) d.recordLatency(180);
    assert.ok(d.delayMs > 170 && d.delayMs <= 180, String(d.delayMs));
    for (let i = 0; i < 20; i++) d.recordLatency(5000);
    assert.equal(d.delayMs, 300);
  });

  it('learns from aborted generations that ran longer than the average, not from shorter ones', () => {
    const d = new AdaptiveDebounce('adaptive');
    d.recordLatency(60);
    d.recordLowerBound(30);
    assert.equal(d.delayMs, 60);
    d.recordLowerBound(400);
    assert.equal(d.delayMs, Math.round(60 + 0.3 * 340));
  });

  it('uses a fixed debounce as set', () => {
    const d = new AdaptiveDebounce(40);
    d.recordLatency(500);
    assert.equal(d.delayMs, 40);
  });

  it('aborts the previous request when a new one begins, and follows the caller signal', () => {
    const latest = new LatestRequest();
    const outer1 = new AbortController();
    const first = latest.begin(outer1.signal);
    const outer2 = new AbortController();
    const second = latest.begin(outer2.signal);
    assert.equal(first.signal.aborted, true);
    assert.equal(second.signal.aborted, false);
    outer2.abort();
    assert.equal(second.signal.aborted, true);
  });

  it('caches by prefix tail, suffix head and template', () => {
    const cache = new CompletionCache(2);
    const k1 = CompletionCache.key({ family: 'qwen2.5-coder', mode: 'single', path: 'a', prefix: 'x'.repeat(5000) + 'let a = ', suffix: '' });
    const k2 = CompletionCache.key({ family: 'codellama', mode: 'single', path: 'a', prefix: 'let a = ', suffix: '' });
    cache.set(k1, '1;');
    assert.equal(cache.get(k1), '1;');
    assert.equal(cache.get(k2), undefined);
    cache.set(k2, '');
    assert.equal(cache.get(k2), '');
    cache.set('k3', 'z');
    assert.equal(cache.get(k1), undefined, 'least recently used entry evicted');
  });

  it('serves the rest of a suggestion while the user types it', () => {
    const reuse = new TypedAhead();
    const shown = snapshot('const total = ║\nreturn total;');
    reuse.remember(shown, 'items.length;', { start: shown.offset, end: shown.offset }, 'c7');
    const typed = snapshot('const total = ite║\nreturn total;');
    assert.deepEqual(reuse.match(typed), { text: 'ms.length;', range: { start: typed.offset, end: typed.offset }, origin: 'c7' }, 'the rest, from the generation that made it');
    assert.equal(reuse.match(snapshot('const total = itx║\nreturn total;')), undefined, 'diverged');
    assert.equal(reuse.match(snapshot('const total = items.length;║\nreturn total;')), undefined, 'fully typed');
    assert.equal(reuse.match(snapshot('const total = ite║\nreturn sum;')), undefined, 'suffix changed');
    assert.equal(reuse.match(snapshot('const total = ite║\nreturn total;', { path: 'other.ts' })), undefined, 'other file');
  });

  it('returns to the interrupted suggestion after a typo is deleted', () => {
    const reuse = new TypedAhead();
    const shown = snapshot('let n = ║');
    reuse.remember(shown, 'items.length;', { start: shown.offset, end: shown.offset });
    const typo = snapshot('let n = itx║');
    assert.equal(reuse.match(typo), undefined);
    reuse.remember(typo, ' + 1;', { start: typo.offset, end: typo.offset });
    assert.equal(reuse.match(snapshot('let n = it║'))?.text, 'ems.length;');
  });

  it('reuses across CRLF line breaks of a multi-line suggestion', () => {
    const reuse = new TypedAhead();
    const shown = snapshot('if (a) {║\r\n}');
    reuse.remember(shown, '\r\n    go();', { start: shown.offset, end: shown.offset });
    assert.equal(reuse.match(snapshot('if (a) {\r\n    g║\r\n}'))?.text, 'o();');
  });
});
