import assert from 'node:assert/strict';
import { buildContext, ContextMemo, prefixWindow, suffixWindow } from '../../../src/completion/context';
import { identifierSet, jaccard, rankSnippets } from '../../../src/completion/snippets';
import { estimateTokens } from '../../../src/common/tokens';
import { snapshot } from './fixtures';

/** One token per line: makes budgets easy to reason about. */
const perLine = (text: string): number => (text === '' ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0));

function numbered(n: number, from = 0): string {
  return Array.from({ length: n }, (_, i) => `line${i + from}`).join('\n');
}

describe('completion/context', () => {
  it('keeps whole lines nearest the cursor within the prefix budget', () => {
    const s = snapshot(`${numbered(10)}\nconst x = ║`);
    const w = prefixWindow(s.text, s.offset, 4, perLine);
    assert.equal(w.text, 'line7\nline8\nline9\nconst x = ');
    assert.equal(w.tokens, 4);
  });

  it('takes the rest of the line and whole lines after the cursor for the suffix', () => {
    const s = snapshot(`f(║a)\n${numbered(10)}`);
    assert.equal(suffixWindow(s.text, s.offset, 3, perLine).text, 'a)\nline0\nline1\n');
  });

  it('splits the budget about 75/25 in favour of the prefix in a long file', () => {
    const s = snapshot(`${numbered(400)}\n║\n${numbered(400, 1000)}`);
    const c = buildContext({ ...s, neighbours: [] }, { promptTokens: 100, reservedTokens: 0 }, perLine);
    assert.equal(c.tokens.prefix, 75);
    assert.equal(c.tokens.suffix, 25);
    assert.ok(c.prefix.endsWith('line399\n'));
    assert.ok(c.suffix.startsWith('\nline1000'));
  });

  it('gives the whole file when it fits, with an empty file giving empty windows', () => {
    const s = snapshot('a\n║b');
    const c = buildContext({ ...s, neighbours: [] }, { promptTokens: 1024, reservedTokens: 10 }, estimateTokens);
    assert.deepEqual([c.prefix, c.suffix], ['a\n', 'b']);
    const empty = buildContext({ ...snapshot('║'), neighbours: [] }, { promptTokens: 1024, reservedTokens: 10 }, estimateTokens);
    assert.deepEqual([empty.prefix, empty.suffix, empty.snippets], ['', '', []]);
  });

  it('cuts a huge single line (minified file) to the budget by characters', () => {
    const s = snapshot(`${'var a=1;'.repeat(100_000)}║`);
    const c = buildContext({ ...s, neighbours: [] }, { promptTokens: 1024, reservedTokens: 24 }, estimateTokens);
    assert.ok(c.tokens.prefix <= 1000 && c.tokens.prefix > 900, `prefix tokens ${c.tokens.prefix}`);
    assert.ok(c.prefix.length > 1500);
    assert.ok(s.text.slice(0, s.offset).endsWith(c.prefix));
  });

  it('keeps the prompt start stable while the user types, so the backend can reuse its prefix cache', () => {
    const memo = new ContextMemo();
    const body = numbered(400);
    const starts = ['x', 'xy', 'xyz', 'xyz(1, 2)'].map((typed) => {
      const s = snapshot(`${body}\n${typed}║\n${numbered(10, 1000)}`);
      return buildContext({ ...s, neighbours: [] }, { promptTokens: 100, reservedTokens: 0 }, perLine, memo).prefix.split('\n')[0];
    });
    assert.deepEqual(new Set(starts).size, 1, starts.join(','));
    const s = snapshot(`${body}\n${'a\n'.repeat(30)}║`);
    const moved = buildContext({ ...s, neighbours: [] }, { promptTokens: 100, reservedTokens: 0 }, perLine, memo);
    assert.ok(moved.tokens.prefix <= 100 && !moved.prefix.startsWith(starts[0]!), 'shifts once the window no longer fits');
  });

  it('keeps the snippet choice while the cursor line is typed', () => {
    const memo = new ContextMemo();
    const neighbours = [
      { path: 'src/users.ts', languageId: 'typescript', text: 'export function fetchUser(userId: string) {\n  return api.get(userId);\n}' },
      { path: 'src/posts.ts', languageId: 'typescript', text: 'export function fetchPosts(postId: string) {\n  return db.find(postId);\n}' },
    ];
    const pick = (line: string) => buildContext(snapshot(`const user = fetchUser(userId);\n${line}║`, { neighbours }), { promptTokens: 1024, reservedTokens: 0 }, estimateTokens, memo).snippets.map((x) => x.path);
    assert.deepEqual(pick('const p = fetchPosts(postId'), pick('c'));
  });

  it('never cuts a non-ASCII line inside a surrogate pair', () => {
    const s = snapshot(`${'👋'.repeat(3000)}║${'日本'.repeat(3000)}`);
    const c = buildContext({ ...s, neighbours: [] }, { promptTokens: 101, reservedTokens: 0 }, estimateTokens);
    assert.ok(!/^[\udc00-\udfff]/.test(c.prefix) && c.prefix.startsWith('👋'));
    assert.ok(c.suffix.startsWith('日本') && c.suffix.length > 0);
  });

  it('ranks neighbour windows by identifier similarity', () => {
    assert.equal(jaccard(identifierSet('fetchUser userId'), identifierSet('userId fetchUser other')), 2 / 3);
    const near = { path: 'src/users.ts', languageId: 'typescript', text: 'export function fetchUser(userId: string) {\n  return api.get(userId);\n}' };
    const far = { path: 'src/math.ts', languageId: 'typescript', text: 'export const pi = 3.14;\nexport function area(r: number) { return pi * r * r; }' };
    const python = { path: 'users.py', languageId: 'python', text: 'def fetchUser(userId): return api.get(userId)' };
    const ranked = rankSnippets('const user = await fetchUser(userId);\napi.get', [far, python, near], 'typescript', 'src/main.ts');
    assert.deepEqual(ranked.map((r) => r.path), ['src/users.ts']);
  });

  it('puts snippets in the prompt only within the budget', () => {
    const neighbour = { path: 'src/users.ts', languageId: 'typescript', text: 'export function fetchUser(userId: string) {\n  return api.get(userId);\n}' };
    const s = snapshot('const user = fetchUser(userId);\napi.get(║', { neighbours: [neighbour] });
    const roomy = buildContext(s, { promptTokens: 1024, reservedTokens: 10 }, estimateTokens);
    assert.equal(roomy.snippets.length, 1);
    const tight = buildContext(s, { promptTokens: 30, reservedTokens: 10 }, estimateTokens);
    assert.equal(tight.snippets.length, 0);
    assert.ok(tight.tokens.prefix + tight.tokens.suffix + tight.tokens.snippets <= 20);
  });

  it('uses neighbours of related languages (TypeScript and JavaScript) but skips the file itself', () => {
    const js = { path: 'lib/fetch.js', languageId: 'javascript', text: 'function fetchUser(userId) { return api.get(userId) }' };
    const self = { path: 'src/main.ts', languageId: 'typescript', text: 'fetchUser(userId) api.get' };
    const ranked = rankSnippets('fetchUser(userId) api.get', [self, js], 'typescript', 'src/main.ts');
    assert.deepEqual(ranked.map((r) => r.path), ['lib/fetch.js']);
  });
});
