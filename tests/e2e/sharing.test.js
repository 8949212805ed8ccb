// Issue 4, scenarios 1 and 5: site A stores a 177 MB file with origins '*'; site B,
// another site in another tab, gets it by hash with identical bytes and never fetches
// it; after every tab closed (the hub worker stops), the entry is still there.
import assert from 'node:assert/strict';
import { createHash, randomFillSync } from 'node:crypto';
import { after, before, test } from 'node:test';
import { launchBrowser } from './lib/browser.js';
import { openSite, startProductServer } from './lib/product.js';

const SIZE = 177 * 1000 * 1000;
let server;
let model;
let modelHex;

before(async () => {
  server = await startProductServer();
  model = randomFillSync(Buffer.alloc(SIZE));
  modelHex = createHash('sha256').update(model).digest('hex');
  for (const host of ['site-a.test', 'site-b.test']) {
    server.route(host, '/model.bin', (req, res) => {
      res.setHeader('Content-Type', 'application/octet-stream');
      res.setHeader('Content-Length', model.length);
      res.end(model);
    });
  }
});

after(async () => {
  await server?.close();
});

// The page's own code, as a site would write it: COS first, the network on a miss.
async function loadModel(page, hex) {
  return page.evaluate(async (value) => {
    const hash = { algorithm: 'SHA-256', value };
    const started = performance.now();
    try {
      const handle = await navigator.crossOriginStorage.getFileHandle(hash);
      const file = await handle.getFile();
      const digest = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
      const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
      return { hit: true, size: file.size, name: file.name, hex, ms: performance.now() - started };
    } catch (err) {
      if (err.name !== 'NotFoundError') throw err;
    }
    const res = await fetch('/model.bin');
    const handle = await navigator.crossOriginStorage.getFileHandle(hash, { create: true, origins: '*' });
    const writable = await handle.createWritable();
    await res.body.pipeTo(writable);
    const file = await handle.getFile();
    return { hit: false, size: file.size, name: file.name, ms: performance.now() - started };
  }, hex);
}

for (const mode of ['cookies-allowed', 'seeded-grant']) {
  test(`[${mode}] a 177 MB file stored on site A is read on site B without a download`, { timeout: 240_000 }, async () => {
    const launched = await launchBrowser({ mode });
    try {
      const a = await openSite(launched, server, 'site-a.test');
      assert.equal(a.status, 'shared', 'site A reaches the unpartitioned store');
      const stored = await loadModel(a.page, modelHex);
      assert.equal(stored.hit, false);
      assert.equal(stored.size, SIZE);
      console.log(`# [${mode}] site A: downloaded and stored ${SIZE} bytes in ${stored.ms.toFixed(0)} ms`);

      const mark = server.mark();
      const b = await openSite(launched, server, 'site-b.test');
      assert.equal(b.status, 'shared');
      const read = await loadModel(b.page, modelHex);
      assert.equal(read.hit, true, 'site B finds the entry by hash');
      assert.equal(read.size, SIZE);
      assert.equal(read.name, modelHex);
      assert.equal(read.hex, modelHex, 'identical bytes');
      assert.deepEqual(server.requestsFor({ host: 'site-b.test', path: '/model.bin', since: mark }), [], 'site B never fetched the file');
      console.log(`# [${mode}] site B: cache hit, read and verified ${SIZE} bytes in ${read.ms.toFixed(0)} ms`);

      // Scenario 5: every tab closed, the hub worker goes away; the entry survives.
      await a.page.close();
      await b.page.close();
      await new Promise((r) => setTimeout(r, 1500));
      const again = await openSite(launched, server, 'site-b.test');
      const reread = await loadModel(again.page, modelHex);
      assert.equal(reread.hit, true, 'the entry survives a hub restart');
      assert.equal(reread.hex, modelHex);
    } finally {
      await launched.close();
    }
  });
}
