// Issue 7, faults / concurrency: (1) 8 tabs on 4 sites write the same hash at once, with 2
// wrong writers mixed in, while 3 other tabs keep reading it: one entry, every correct writer
// resolves and is a storer, no reader ever sees partial bytes. (2) Two hub worker instances
// over one store (the frames' instance and a second one started by a top-level hub.test page
// without sameSiteCookies:'none') commit at the same time: no update is lost.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchBrowser } from './lib/browser.js';
import { RECOMMENDED_POLICY, hubWorkerConsole, inspectStore, openTestSite, startInspectedServer } from './lib/attacker.js';

const MB = 1024 * 1024;
let server;

before(async () => {
  server = await startInspectedServer(RECOMMENDED_POLICY);
});

after(async () => {
  await server?.close();
});

test('8 tabs write one hash at once (2 wrong writers too) while 3 tabs read: one entry, every correct writer resolves, no partial read', { timeout: 180_000 }, async () => {
  const launched = await launchBrowser({ mode: 'cookies-allowed' });
  try {
    const hosts = ['site-a.test', 'x.site-a.test', 'site-b.test', 'evil.test'];
    const writers = [];
    for (let i = 0; i < 8; i++) writers.push(await openTestSite(launched, server, hosts[i % 4]));
    const wrong = [await openTestSite(launched, server, 'site-b.test'), await openTestSite(launched, server, 'evil.test')];
    const readers = [await openTestSite(launched, server, 'site-a.test'), await openTestSite(launched, server, 'x.site-a.test'), await openTestSite(launched, server, 'site-b.test')];
    const size = 6 * MB;
    const seed = 4242;
    const startAt = Date.now() + 1500;  // every tab starts its write at the same wall-clock time

    const write = ({ seed, size, startAt, flip }) => (async () => {
      const b = cosT.randomBytes(size, seed);
      const hex = await cosT.sha256(b);
      if (flip) b[size >> 1] ^= 1;
      await new Promise((r) => setTimeout(r, Math.max(0, startAt - Date.now())));
      const t0 = performance.now();
      try {
        const h = await navigator.crossOriginStorage.getFileHandle({ algorithm: 'SHA-256', value: hex }, { create: true, origins: '*' });
        const w = await h.createWritable();
        for (let off = 0; off < size; off += 1 << 20) await w.write(b.subarray(off, off + (1 << 20)));
        await w.close();
        return { ok: true, hex, ms: performance.now() - t0 };
      } catch (e) {
        return { ok: false, name: e.name, hex, ms: performance.now() - t0 };
      }
    })();
    // Readers poll until every writer is done; every successful read is checked byte for byte.
    const poll = ({ seed, size, startAt }) => (async () => {
      const hex = await cosT.sha256(cosT.randomBytes(size, seed));
      await new Promise((r) => setTimeout(r, Math.max(0, startAt - Date.now() - 200)));
      const out = { reads: 0, hits: 0, bad: 0, misses: 0 };
      const until = Date.now() + 15_000;
      while (Date.now() < until && !window.stopPolling) {
        const r = await cosT.read(hex);
        out.reads++;
        if (r.ok) { out.hits++; if (r.hex !== hex || r.size !== size) out.bad++; }
        else if (r.name === 'NotFoundError') out.misses++;
        else out.bad++;
      }
      return out;
    })();

    const readerRuns = readers.map((r) => r.page.evaluate(poll, { seed, size, startAt }));
    const results = await Promise.all([
      ...writers.map((w) => w.page.evaluate(write, { seed, size, startAt, flip: false })),
      ...wrong.map((w) => w.page.evaluate(write, { seed, size, startAt, flip: true })),
    ]);
    await Promise.all(readers.map((r) => r.page.evaluate(() => { window.stopPolling = true; })));
    const reads = await Promise.all(readerRuns);
    const correct = results.slice(0, 8);
    const wrongResults = results.slice(8);
    console.log(`# 8 correct writers: ${correct.map((r) => (r.ok ? `ok ${r.ms.toFixed(0)} ms` : r.name)).join(', ')}; wrong: ${wrongResults.map((r) => r.name).join(', ')}`);
    console.log(`# readers during the race: ${JSON.stringify(reads)}`);
    assert.ok(correct.every((r) => r.ok), 'every correct writer resolves');
    assert.ok(wrongResults.every((r) => !r.ok && r.name === 'DataError'), 'the wrong writers get DataError');
    assert.ok(reads.every((r) => r.bad === 0), 'no reader ever saw partial or wrong bytes');
    // Every correct writer is a storer: reads deterministically (never GREASEd, never charged).
    const own = await Promise.all(writers.map((w) => w.page.evaluate(async ({ seed, size }) => {
      const hex = await cosT.sha256(cosT.randomBytes(size, seed));
      const out = [];
      for (let i = 0; i < 5; i++) out.push((await cosT.read(hex)).hex === hex);
      return out.every(Boolean);
    }, { seed, size })));
    assert.deepEqual(own, Array(8).fill(true), 'every correct writer reads its entry, every time');
    const store = await inspectStore(launched, server);
    assert.equal(store.blobs.length, 1, 'one entry on disk');
    assert.equal(store.blobs[0].hex, store.blobs[0].name);
    assert.equal(store.blobs[0].size, size);
    assert.deepEqual(store.tmp, [], 'no temporary file left');
  } finally {
    await launched.close();
  }
});

// In the top-level hub.test page: a second hub worker instance, driven with frame→worker
// messages (the page is a hub-origin document, as the frame is). Writes `count` entries as `origin`.
async function secondInstanceWrites({ count, origin, seedBase, sharedSeed }) {
  const worker = new SharedWorker('/hub-worker.js', { type: 'module', name: 'cos-hub' });
  const port = worker.port;
  const waiting = new Map();
  let ready;
  const readyP = new Promise((r) => { ready = r; });
  port.onmessage = (e) => {
    const d = e.data;
    if (d && d.type === 'ready' && !('id' in d)) return ready(d);
    if (d && waiting.has(d.id)) { waiting.get(d.id)(d); waiting.delete(d.id); }
  };
  port.start();
  const readyOrTimeout = await Promise.race([readyP.then(() => true), new Promise((r) => setTimeout(() => r(false), 15_000))]);
  if (!readyOrTimeout) return { out: [{ ok: false, error: 'the second instance never announced ready' }], instanceLocks: [] };
  let id = 1;
  const send = (m) => new Promise((r) => {
    const mid = id++;
    waiting.set(mid, r);
    port.postMessage({ v: 1, id: mid, ...m, origin });
    setTimeout(() => { if (waiting.delete(mid)) r({ ok: false, error: { name: 'Timeout', message: `${m.type} not answered in 20 s` } }); }, 20_000);
  });
  const hexOf = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');
  const writeOne = async (seed, origins) => {
    const b = new Uint8Array(20_000);
    let x = seed;
    for (let i = 0; i < b.length; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; b[i] = x & 255; }
    const hex = hexOf(await crypto.subtle.digest('SHA-256', b));
    const begin = await send({ type: 'writeBegin', hash: { algorithm: 'SHA-256', value: hex }, origins });
    if (!begin.ok) return { hex, ok: false, error: begin.error };
    const chunk = await send({ type: 'writeChunk', writeId: begin.writeId, data: b.buffer });
    if (!chunk.ok) return { hex, ok: false, error: chunk.error };
    const close = await send({ type: 'writeClose', writeId: begin.writeId });
    return { hex, ok: close.ok, error: close.error };
  };
  const locks = (await navigator.locks.query()).held.map((l) => l.name).filter((n) => n.startsWith('cos-hub-worker-'));
  const out = [];
  for (let i = 0; i < count; i++) out.push(await writeOne(seedBase + i, []));
  out.push(await writeOne(sharedSeed, []));  // the hash the frames' instance writes too
  return { out, instanceLocks: locks };
}

test('two hub worker instances commit at the same time: no lost update', { timeout: 180_000 }, async () => {
  const launched = await launchBrowser({ mode: 'cookies-allowed' });
  const COUNT = 40;
  try {
    const siteA = await openTestSite(launched, server, 'site-a.test');
    const hubPage = await launched.newPage(server.url('hub.test', '/inspect.html'));
    const siteB = server.origin('site-b.test');
    const sharedSeed = 77_777;
    const [viaFrames, viaSecond] = await Promise.all([
      siteA.page.evaluate(async ({ count, sharedSeed }) => {
        const out = [];
        const w = async (seed, origins) => { const b = cosT.randomBytes(20_000, seed); const hex = await cosT.sha256(b); return { hex, ...(await cosT.write(hex, b, origins)) }; };
        for (let i = 0; i < count; i++) out.push(await w(10_000 + i));
        out.push(await w(sharedSeed, '*'));
        return out;
      }, { count: COUNT, sharedSeed }),
      hubPage.evaluate(secondInstanceWrites, { count: COUNT, origin: siteB, seedBase: 20_000, sharedSeed }),
    ]);
    console.log(`# hub-worker life locks seen by the top-level hub page: ${viaSecond.instanceLocks.length} (two instances)`);
    if (!viaSecond.instanceLocks.length) console.log(`# second instance: ${JSON.stringify(viaSecond.out)}; hub workers' console: ${JSON.stringify(await hubWorkerConsole(launched))}`);
    assert.equal(viaSecond.instanceLocks.length, 2, 'two hub worker instances run over one store');
    assert.ok(viaFrames.every((r) => r.ok), 'every write through the frames\' instance succeeded');
    assert.ok(viaSecond.out.every((r) => r.ok), `every write through the second instance succeeded: ${JSON.stringify(viaSecond.out.find((r) => !r.ok))}`);

    // Everyone closes: both instances stop; a fresh instance replays the journal.
    await hubPage.close();
    await siteA.page.close();
    await new Promise((r) => setTimeout(r, 1500));
    const a = await openTestSite(launched, server, 'site-a.test');
    const b = await openTestSite(launched, server, 'site-b.test');
    const readAll = (site, list) => site.page.evaluate(async (hexes) => {
      const out = [];
      for (const hex of hexes) out.push((await cosT.read(hex)).hex === hex);
      return out;
    }, list);
    const aOk = await readAll(a, viaFrames.map((r) => r.hex));
    const bOk = await readAll(b, viaSecond.out.map((r) => r.hex));
    const lostA = aOk.filter((x) => !x).length;
    const lostB = bOk.filter((x) => !x).length;
    console.log(`# after replay: site-a reads ${aOk.length - lostA}/${aOk.length} of its entries, site-b ${bOk.length - lostB}/${bOk.length} (written through the second instance)`);
    assert.equal(lostA, 0, 'no entry committed through the frames\' instance is lost');
    assert.equal(lostB, 0, 'no entry committed through the second instance is lost');
    const store = await inspectStore(launched, server, { hashBlobs: false });
    assert.equal(store.blobs.length, 2 * COUNT + 1, 'one blob per entry, the shared hash once');
  } finally {
    await launched.close();
  }
});
