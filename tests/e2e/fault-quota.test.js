// Issue 7, faults / quota: a write that runs out of room mid-way, (1) against the hub's own
// quota (hub-config.json quotaBytes) and (2) against the browser's real storage quota for
// the hub origin (CDP Storage.overrideQuotaForOrigin), fails with QuotaExceededError,
// leaves nothing partial (no tmp/ file, no blob, no entry), and the store still serves reads.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchBrowser } from './lib/browser.js';
import { startProductServer } from './lib/product.js';
import { RECOMMENDED_POLICY, inspectStore, openTestSite, serveInspector, servePolicy } from './lib/attacker.js';

const MB = 1024 * 1024;
let server;
let evictedByFailedWrite = null;

before(async () => {
  server = await startProductServer();
  serveInspector(server);
});

after(async () => {
  await server?.close();
});

// In the page: write `size` seeded bytes in 1 MiB writes; {ok, name, message, written}.
async function chunkedWrite({ seed, size, origins }) {
  const b = cosT.randomBytes(size, seed);
  const hex = await cosT.sha256(b);
  let written = 0;
  try {
    const h = await navigator.crossOriginStorage.getFileHandle({ algorithm: 'SHA-256', value: hex }, { create: true, origins });
    const w = await h.createWritable();
    try {
      for (let off = 0; off < size; off += 1 << 20) { await w.write(b.subarray(off, off + (1 << 20))); written = Math.min(size, off + (1 << 20)); }
      await w.close();
    } catch (e) {
      await w.abort().catch(() => {});
      throw e;
    }
    return { hex, ok: true, written };
  } catch (e) {
    return { hex, ok: false, name: e.name, message: e.message, written };
  }
}

async function checkAfterFailure(launched, site, kept, failedHex, label) {
  const reads = await site.page.evaluate(async (list) => Promise.all(list.map((hex) => cosT.read(hex))), [...kept, failedHex]);
  kept.forEach((hex, i) => assert.equal(reads[i].hex, hex, `${label}: entry ${i} still served`));
  assert.equal(reads[kept.length].name, 'NotFoundError', `${label}: the failed write left no entry`);
  await new Promise((r) => setTimeout(r, 300));
  const store = await inspectStore(launched, server);
  assert.deepEqual(store.tmp, [], `${label}: no temporary file left`);
  assert.ok(!store.blobs.some((b) => b.name === failedHex), `${label}: no blob of the failed write`);
  for (const b of store.blobs) assert.equal(b.hex, b.name, `${label}: blob ${b.name} whole`);
  return store;
}

test('hub quota (quotaBytes) exhausted mid-write: QuotaExceededError, nothing partial, later writes that fit succeed', { timeout: 120_000 }, async () => {
  const off = servePolicy(server, { ...RECOMMENDED_POLICY, quotaBytes: 12 * MB, perSiteShare: 1 });
  const launched = await launchBrowser({ mode: 'cookies-allowed' });
  try {
    const site = await openTestSite(launched, server, 'site-a.test');
    const first = await site.page.evaluate(chunkedWrite, { seed: 1, size: 3 * MB });
    assert.equal(first.ok, true);
    const second = await site.page.evaluate(chunkedWrite, { seed: 2, size: 2 * MB });
    assert.equal(second.ok, true);
    // 16 MB: larger than the whole quota, so no eviction can make room; it fails part-way.
    const big = await site.page.evaluate(chunkedWrite, { seed: 3, size: 16 * MB });
    console.log(`# hub quota 12 MiB: a 16 MiB write failed after ${big.written / MB} MiB with ${big.name}: ${big.message}`);
    assert.equal(big.ok, false);
    assert.equal(big.name, 'QuotaExceededError');
    // What the failed write did to the entries stored before it (asserted in the test below).
    evictedByFailedWrite = (await site.page.evaluate(async (list) => Promise.all(list.map((hex) => cosT.read(hex))), [first.hex, second.hex]))
      .map((r, i) => (r.ok ? null : i)).filter((i) => i !== null);
    console.log(`# entries stored before it and gone after the failed write: ${evictedByFailedWrite.length}/2`);
    await checkAfterFailure(launched, site, [], big.hex, 'hub quota');
    // Room is still usable afterwards.
    const after = await site.page.evaluate(chunkedWrite, { seed: 4, size: 4 * MB });
    assert.equal(after.ok, true, 'a write that fits still succeeds');
  } finally {
    await launched.close();
    off();
  }
});

// Bytes in flight never evict: only a verified write (at close) may make room, so a write
// larger than the quota, or a wrong-bytes write from any site, cannot flush other entries.
test('a write that cannot fit (or fails) evicts nothing', () => {
  assert.ok(evictedByFailedWrite, 'the hub quota test ran');
  assert.deepEqual(evictedByFailedWrite, [], 'entries stored before the failed write are still served');
});

test('browser storage quota of the hub origin exhausted mid-write: QuotaExceededError, nothing partial, reads still served', { timeout: 120_000 }, async () => {
  const off = servePolicy(server, RECOMMENDED_POLICY);
  const launched = await launchBrowser({ mode: 'cookies-allowed' });
  try {
    const site = await openTestSite(launched, server, 'site-a.test');
    const kept = [];
    for (let i = 0; i < 3; i++) {
      const r = await site.page.evaluate(chunkedWrite, { seed: 10 + i, size: 2 * MB });
      assert.equal(r.ok, true);
      kept.push(r.hex);
    }
    const hubPage = await launched.newPage(server.url('hub.test', '/inspect.html'));
    const usage = await hubPage.evaluate(async () => (await navigator.storage.estimate()).usage);
    const cdp = await launched.context.newCDPSession(hubPage);  // the page's session (the browser's answers 'Internal error')
    const origin = server.origin('hub.test');
    await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: usage + 6 * MB });
    const quota = await hubPage.evaluate(async () => (await navigator.storage.estimate()).quota);
    console.log(`# hub origin usage ${(usage / MB).toFixed(1)} MiB; quota overridden to usage + 6 MiB (estimate() in the top-level page still says ${(quota / MB).toFixed(0)} MiB)`);
    const big = await site.page.evaluate(chunkedWrite, { seed: 20, size: 24 * MB });
    console.log(`# browser quota: a 24 MiB write failed after ${big.written / MB} MiB with ${big.name}: ${big.message}`);
    assert.equal(big.ok, false);
    assert.equal(big.name, 'QuotaExceededError');
    await checkAfterFailure(launched, site, kept, big.hex, 'browser quota');
    // Quota back: the same write now succeeds, and the hub is healthy.
    await cdp.send('Storage.overrideQuotaForOrigin', { origin });
    const again = await site.page.evaluate(chunkedWrite, { seed: 20, size: 24 * MB });
    assert.equal(again.ok, true, `after the quota is restored the write succeeds: ${JSON.stringify(again)}`);
    await hubPage.close();
  } finally {
    await launched.close();
    off();
  }
});
