// Issue 4, item 4: a 1 GiB write streams through the real polyfill and hub without being
// held whole anywhere. Site A generates the bytes in the page, 1 MiB at a time, and pipes
// them into the writable; memory of the page, the hub worker and every Chromium process is
// sampled during the write and compared with idle. Site B then reads the entry back and
// checks every byte against Node's digests of the same 64 MiB slices.
import assert from 'node:assert/strict';
import { createHash, randomFillSync } from 'node:crypto';
import { after, before, test } from 'node:test';
import { getMetrics, launchBrowser, processMemory } from './lib/browser.js';
import { openSite, startProductServer } from './lib/product.js';

const MiB = 1024 * 1024;
const CHUNKS = 1024;            // 1 MiB each: 1 GiB in all
const SLICE = 64 * MiB;         // read-back granularity
const PAGE_HEAP_BOUND = 64 * MiB;
const WORKER_HEAP_BOUND = 64 * MiB;
const RENDERER_PSS_BOUND = 256 * MiB;

let server;
let base;       // chunk i = base with its first 4 bytes replaced by i (little-endian)
let fullHex;
let sliceHexes;

/** Node's view of the same bytes: the whole digest and one per 64 MiB slice. */
function digests() {
  const whole = createHash('sha256');
  const slices = [];
  let slice = createHash('sha256');
  const chunk = Buffer.from(base);
  for (let i = 0; i < CHUNKS; i++) {
    chunk.writeUInt32LE(i, 0);
    whole.update(chunk);
    slice.update(chunk);
    if (((i + 1) * MiB) % SLICE === 0) {
      slices.push(slice.digest('hex'));
      slice = createHash('sha256');
    }
  }
  return { fullHex: whole.digest('hex'), sliceHexes: slices };
}

before(async () => {
  server = await startProductServer();
  base = randomFillSync(Buffer.alloc(MiB));
  const started = Date.now();
  ({ fullHex, sliceHexes } = digests());
  console.log(`# Node hashed 1 GiB in ${Date.now() - started} ms`);
});

after(async () => {
  await server?.close();
});

/** The hub SharedWorker's JS heap through CDP (non-flat session to the worker target). */
async function attachWorkerHeap(browser) {
  const cdp = await browser.newBrowserCDPSession();
  const { targetInfos } = await cdp.send('Target.getTargets');
  const target = targetInfos.find((t) => t.type === 'shared_worker' && t.url.includes('hub-worker.js'));
  if (!target) {
    await cdp.detach();
    return null;
  }
  const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: target.targetId, flatten: false });
  let nextId = 1;
  const waiting = new Map();
  cdp.on('Target.receivedMessageFromTarget', (event) => {
    if (event.sessionId !== sessionId) return;
    const msg = JSON.parse(event.message);
    const w = waiting.get(msg.id);
    if (w) { waiting.delete(msg.id); w(msg.result ?? null); }
  });
  const send = (method, params = {}) => new Promise((resolve) => {
    const id = nextId++;
    waiting.set(id, resolve);
    cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params }) }).catch(() => resolve(null));
  });
  return {
    url: target.url,
    async heapUsed() { return (await send('Runtime.getHeapUsage'))?.usedSize ?? null; },
    async close() { await cdp.detach().catch(() => {}); },
  };
}

function pssByPid(launched) {
  const out = new Map();
  for (const p of processMemory(launched).processes) if (p.pssBytes !== null) out.set(p.pid, p);
  return out;
}

const mb = (bytes) => `${(bytes / MiB).toFixed(1)} MiB`;

test('a 1 GiB write streams through with bounded memory and verifies on another site', { timeout: 170_000 }, async () => {
  const launched = await launchBrowser({ mode: 'cookies-allowed' });
  let worker = null;
  try {
    const a = await openSite(launched, server, 'site-a.test');
    assert.equal(a.status, 'shared');
    // Wake the worker (a miss) so its target exists, then let everything settle.
    await a.page.evaluate((hex) => navigator.crossOriginStorage.getFileHandle({ algorithm: 'SHA-256', value: hex }).catch((e) => e.name), '0'.repeat(64));
    await a.page.evaluate((b64) => {
      const bin = atob(b64);
      window.base = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    }, base.toString('base64'));
    worker = await attachWorkerHeap(launched.browser);
    await new Promise((r) => setTimeout(r, 1000));

    const idle = {
      page: (await getMetrics(a.page)).JSHeapUsedSize,
      worker: worker ? await worker.heapUsed() : null,
      pss: pssByPid(launched),
      total: processMemory(launched).totalPssBytes,
    };
    const peak = { page: idle.page, worker: idle.worker, pss: new Map(), total: idle.total };
    let sampling = true;
    let samples = 0;
    const sampler = (async () => {
      while (sampling) {
        samples++;
        try {
          peak.page = Math.max(peak.page, (await getMetrics(a.page)).JSHeapUsedSize);
          if (worker) {
            const used = await worker.heapUsed();
            if (used !== null) peak.worker = Math.max(peak.worker ?? 0, used);
          }
          const now = pssByPid(launched);
          for (const [pid, p] of now) {
            const prev = peak.pss.get(pid);
            if (!prev || p.pssBytes > prev.pssBytes) peak.pss.set(pid, p);
          }
          peak.total = Math.max(peak.total, [...now.values()].reduce((s, p) => s + p.pssBytes, 0));
        } catch { /* a sample may race a navigation; the next one counts */ }
        await new Promise((r) => setTimeout(r, 500));
      }
    })();

    const write = await a.page.evaluate(async ([hex, chunks]) => {
      const started = performance.now();
      const handle = await navigator.crossOriginStorage.getFileHandle({ algorithm: 'SHA-256', value: hex }, { create: true, origins: '*' });
      let i = 0;
      const source = new ReadableStream({
        pull(controller) {
          if (i === chunks) { controller.close(); return; }
          const chunk = window.base.slice();
          new DataView(chunk.buffer).setUint32(0, i++, true);
          controller.enqueue(chunk);
        },
      }, { highWaterMark: 1 });
      try {
        await source.pipeTo(await handle.createWritable());
      } catch (e) {
        return { error: `${e.name}: ${e.message}` };
      }
      const file = await handle.getFile();
      return { size: file.size, ms: performance.now() - started };
    }, [fullHex, CHUNKS]);
    sampling = false;
    await sampler;
    assert.equal(write.error, undefined, `the write failed: ${write.error}`);
    assert.equal(write.size, CHUNKS * MiB, 'the verified entry has every byte');
    console.log(`# wrote and verified 1 GiB in ${(write.ms / 1000).toFixed(1)} s (${(CHUNKS / (write.ms / 1000)).toFixed(0)} MiB/s), ${samples} memory samples`);

    // Memory: report every figure, then assert the bounds.
    const pageGrowth = peak.page - idle.page;
    console.log(`# page JS heap: idle ${mb(idle.page)}, peak ${mb(peak.page)}, growth ${mb(pageGrowth)}`);
    let workerGrowth = null;
    if (worker && idle.worker !== null) {
      workerGrowth = peak.worker - idle.worker;
      console.log(`# hub worker JS heap: idle ${mb(idle.worker)}, peak ${mb(peak.worker)}, growth ${mb(workerGrowth)}`);
    } else {
      console.log('# hub worker JS heap: not measured (no shared_worker target found)');
    }
    const growth = [];
    for (const [pid, p] of peak.pss) {
      const before = idle.pss.get(pid)?.pssBytes ?? 0;
      growth.push({ pid, type: p.type, idle: before, peak: p.pssBytes, growth: p.pssBytes - before });
    }
    growth.sort((x, y) => y.growth - x.growth);
    for (const g of growth.slice(0, 6)) {
      console.log(`# pid ${g.pid} ${g.type}: PSS idle ${mb(g.idle)}, peak ${mb(g.peak)}, growth ${mb(g.growth)}`);
    }
    console.log(`# all processes: PSS idle ${mb(idle.total)}, peak ${mb(peak.total)}, growth ${mb(peak.total - idle.total)}`);

    assert.ok(pageGrowth < PAGE_HEAP_BOUND, `page JS heap grew ${mb(pageGrowth)} (bound ${mb(PAGE_HEAP_BOUND)})`);
    if (workerGrowth !== null) {
      assert.ok(workerGrowth < WORKER_HEAP_BOUND, `hub worker JS heap grew ${mb(workerGrowth)} (bound ${mb(WORKER_HEAP_BOUND)})`);
    }
    for (const g of growth.filter((x) => x.type === 'renderer')) {
      assert.ok(g.growth < RENDERER_PSS_BOUND, `renderer ${g.pid} PSS grew ${mb(g.growth)} (bound ${mb(RENDERER_PSS_BOUND)})`);
    }
    assert.ok(peak.total - idle.total < 512 * MiB, `all processes together grew ${mb(peak.total - idle.total)}: a 1 GiB copy would not fit`);

    // Site B reads it back: size, name, and every 64 MiB slice against Node's digest.
    const b = await openSite(launched, server, 'site-b.test');
    assert.equal(b.status, 'shared');
    const read = await b.page.evaluate(async ([hex, slice]) => {
      const started = performance.now();
      const file = await (await navigator.crossOriginStorage.getFileHandle({ algorithm: 'SHA-256', value: hex })).getFile();
      const slices = [];
      for (let off = 0; off < file.size; off += slice) {
        const digest = await crypto.subtle.digest('SHA-256', await file.slice(off, off + slice).arrayBuffer());
        slices.push([...new Uint8Array(digest)].map((x) => x.toString(16).padStart(2, '0')).join(''));
      }
      return { size: file.size, name: file.name, slices, ms: performance.now() - started };
    }, [fullHex, SLICE]);
    assert.equal(read.size, CHUNKS * MiB);
    assert.equal(read.name, fullHex);
    assert.deepEqual(read.slices, sliceHexes, 'every 64 MiB slice matches');
    console.log(`# site B read and checked 1 GiB in ${(read.ms / 1000).toFixed(1)} s`);
  } finally {
    await worker?.close();
    await launched.close();
  }
});
