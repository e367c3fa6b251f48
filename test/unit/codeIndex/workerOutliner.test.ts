import * as assert from 'node:assert/strict';
import { syntaxAssetsFromPackages } from '../../../src/codeIndex/packageAssets';
import { SyntaxOutliner } from '../../../src/codeIndex/syntax';
import { WorkerOutliner } from '../../../src/codeIndex/workerOutliner';

const FILE = { path: 'src/cart.ts', languageId: 'typescript', text: 'export interface CartItem {\n  price: number;\n}\n\nexport function priceOf(item: CartItem): number {\n  return item.price;\n}\n' };

describe('codeIndex/workerOutliner', () => {
  it('cuts a file in its worker exactly as the outliner does on this thread', async () => {
    const here = await SyntaxOutliner.create(syntaxAssetsFromPackages());
    const worker = new WorkerOutliner(syntaxAssetsFromPackages(), 'test');
    try {
      assert.deepEqual(await worker.outline(FILE), here.outline(FILE));
      assert.deepEqual((await worker.outline(FILE)).definitions.map((d) => d.name), ['CartItem', 'priceOf']);
    } finally {
      worker.dispose();
      here.dispose();
    }
  });

  it('cuts a file by lines when its job runs past the time limit, and ends that worker without harm to a new one', async () => {
    const worker = new WorkerOutliner(syntaxAssetsFromPackages(), 'test', { jobTimeoutMs: 1 });
    try {
      await worker.start();
      const late = await worker.outline({ ...FILE, text: FILE.text.repeat(2000) });
      assert.equal(late.cutBy, 'lines');
      assert.equal(late.reason, 'timeout');
    } finally {
      worker.dispose();
    }
    const fresh = new WorkerOutliner(syntaxAssetsFromPackages(), 'test');
    try {
      assert.equal((await fresh.outline(FILE)).cutBy, 'syntax');
    } finally {
      fresh.dispose();
    }
  });

  it('answers with line windows once disposed', async () => {
    const worker = new WorkerOutliner(syntaxAssetsFromPackages(), 'test');
    worker.dispose();
    const outline = await worker.outline(FILE);
    assert.equal(outline.cutBy, 'lines');
    assert.equal(outline.chunks.map((c) => c.text).join('\n').includes('priceOf'), true);
  });
});
