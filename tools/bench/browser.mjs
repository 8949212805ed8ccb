// Benchmark (figures only, never pass/fail): what a site feels, in one real Chromium run.
// 1. hashing in the page: our Wasm SHA-256 vs hash-wasm vs WebCrypto digest (one-shot);
// 2. storing 10 MB / 177 MB / 1 GB through navigator.crossOriginStorage (verified in the
//    hub) vs writing the same bytes to the site's own OPFS (createWritable in the page, a
//    sync access handle in a dedicated worker from fresh chunks and from one reused buffer,
//    the fastest raw write), and the WebCrypto verifier for files that fit in memory; peak
//    page and hub-worker memory while storing 1 GB;
// 3. cache hit from another site: getFileHandle(hash) → getFile() → first byte, vs the
//    site's own Cache API, for 1 KB … 1 GB;
// 4. first call on a cold hub (journal with 10k entries): script tag → resolved getFileHandle.
// Run: npm run bench (BENCH=browser npm run bench), or node tools/bench/browser.mjs.
// Env: BENCH_RUNS (default 5; 1 GB rows run max(2, RUNS/2)), BENCH_SIZES (MB list, default
// "10,177,1000"), BENCH_SECTIONS (default "hash,store,hit,first"), BENCH_WRITE_MD=1 rewrites
// docs/benchmarks.md with this run's tables (only meaningful with every section).
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { getMetrics, launchBrowser, processMemory } from '../../tests/e2e/lib/browser.js';
import { REPO_ROOT } from '../../tests/e2e/lib/certs.js';
import { openSite, startProductServer } from '../../tests/e2e/lib/product.js';
import { loadCore } from '../../dist/cos-core.mjs';
import { CHUNK, CHUNK_SOURCE, RAW_WORKER, digestOf, preparePage } from './lib/chunks.mjs';

const MiB = 1 << 20;
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS) || 5);
// Sections to run (default all): hash, store, hit, first. Without hash, the store target uses
// BENCH_HASH_MBPS (default 564, the last measured Wasm SHA-256 rate in the page).
const SECTIONS = new Set((process.env.BENCH_SECTIONS ?? 'hash,store,hit,first').split(','));
const SIZES = (process.env.BENCH_SIZES ?? '10,177,1000').split(',').map((s) => Math.round(Number(s) * 1e6));
// CHUNK (4 MiB, what the page hands write()) comes with the bytes from ./lib/chunks.mjs.
const SMALL_PIECE = 64 << 10;   // a network stream's chunk size
const HASH_BYTES = 256 * MiB;   // hashing section
const HIT_RUNS = 15;
const FIRST_RUNS = 7;
const JOURNAL_ENTRIES = 10_000;
const WEBCRYPTO_MAX = 400e6;    // the one-shot verifier only for files that fit in memory

const out = [];                 // markdown for docs/benchmarks.md
const say = (line = '') => { console.log(line); out.push(line); };

// ---- statistics and tables ----
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const stats = (xs) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length });
const fmt = (x, digits = 0) => (x >= 100 || digits === 0 ? x.toFixed(digits === 0 && x < 10 ? 1 : digits) : x.toFixed(digits));
const range = (s, d) => `${fmt(s.median, d)} (${fmt(s.min, d)}–${fmt(s.max, d)})`;
function table(header, rows) {
  say(`| ${header.join(' | ')} |`);
  say(`|${header.map((h, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
  for (const r of rows) say(`| ${r.join(' | ')} |`);
  say();
}
const mbps = (bytes, ms) => bytes / 1e6 / (ms / 1000);
const label = (bytes) => (bytes >= 1e9 ? `${bytes / 1e9} GB` : bytes >= 1e6 ? `${bytes / 1e6} MB` : `${bytes / 1e3} KB`);

// ---- server: the product, plus the bench's own assets ----
const server = await startProductServer();
const HASH_WASM = readFileSync(path.join(REPO_ROOT, 'node_modules/hash-wasm/dist/sha256.umd.min.js'));
for (const host of ['site-a.test', 'site-b.test']) {
  server.route(host, '/bench/hash-wasm.js', (req, res) => { res.setHeader('Content-Type', 'text/javascript'); res.end(HASH_WASM); });
  server.route(host, '/bench/raw-worker.js', (req, res) => { res.setHeader('Content-Type', 'text/javascript'); res.end(RAW_WORKER); });
}


function machine() {
  const cpu = os.cpus()[0]?.model?.trim() ?? 'unknown CPU';
  let chromium = 'chromium';
  try { chromium = execFileSync('/usr/bin/chromium', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { /* keep */ }
  return `${cpu}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB; ${chromium} headless; node ${process.version}; load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`;
}

// ---- CDP: JS heap of worker targets (hub SharedWorker, write worker) ----
async function workerHeaps(browser) {
  const cdp = await browser.newBrowserCDPSession();
  const sessions = [];
  let nextId = 1;
  const waiting = new Map();
  cdp.on('Target.receivedMessageFromTarget', (event) => {
    const msg = JSON.parse(event.message);
    const w = waiting.get(`${event.sessionId}:${msg.id}`);
    if (w) { waiting.delete(`${event.sessionId}:${msg.id}`); w(msg.result ?? null); }
  });
  const seen = new Set();
  // Workers that start during a write (the hub's write worker) are attached when they appear.
  const attachNew = async () => {
    const { targetInfos: now } = await cdp.send('Target.getTargets');
    for (const t of now.filter((x) => /worker/.test(x.type) && !seen.has(x.targetId))) {
      seen.add(t.targetId);
      try {
        const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: t.targetId, flatten: false });
        sessions.push({ name: `${t.type} ${t.url.split('/').pop()}`, sessionId });
      } catch { /* gone */ }
    }
  };
  await attachNew();
  const send = (sessionId, method, params, ms = 2000) => new Promise((resolve) => {
    const id = nextId++;
    waiting.set(`${sessionId}:${id}`, resolve);
    cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params }) }).catch(() => resolve(null));
    setTimeout(() => resolve(null), ms);
  });
  return {
    names: sessions.map((s) => s.name),
    /** Runs `expression` in the worker whose name matches `re` (for finding its process). */
    async evaluate(re, expression) {
      const s = sessions.find((x) => re.test(x.name));
      return s ? send(s.sessionId, 'Runtime.evaluate', { expression, returnByValue: true }, 5000) : null;
    },
    async sample() {
      await attachNew().catch(() => {});
      const o = {};
      for (const s of sessions) o[s.name] = (await send(s.sessionId, 'Runtime.getHeapUsage'))?.usedSize ?? null;
      return o;
    },
    close: () => cdp.detach().catch(() => {}),
  };
}

// ---- which renderer is which: burn CPU in one context, see whose CPU time moved ----
function cpuTicks(launched) {
  const o = {};
  for (const p of processMemory(launched).processes) {
    try { const f = readFileSync(`/proc/${p.pid}/stat`, 'utf8').split(') ')[1].split(' '); o[p.pid] = Number(f[11]) + Number(f[12]); } catch { /* gone */ }
  }
  return o;
}
const BURN = '(() => { const t = performance.now(); while (performance.now() - t < 400) {} return 1; })()';
async function burnerPid(launched, burn) {
  const before = cpuTicks(launched);
  await burn();
  const after = cpuTicks(launched);
  let best = null;
  for (const [pid, t] of Object.entries(after)) if (before[pid] !== undefined && (best === null || t - before[pid] > after[best] - before[best])) best = pid;
  return best;
}
/** pid → what runs there: the site's page, the hub frame, the hub worker (labels joined). */
async function processRoles(launched, page, heaps) {
  const roles = {};
  const add = (pid, role) => { if (pid) roles[pid] = roles[pid] ? `${roles[pid]} + ${role}` : role; };
  add(await burnerPid(launched, () => page.evaluate(BURN)), 'site page');
  const hubFrame = page.frames().find((f) => f.url().includes('hub.test'));
  if (hubFrame) add(await burnerPid(launched, () => hubFrame.evaluate(BURN)), 'hub frame');
  add(await burnerPid(launched, () => heaps.evaluate(/hub-worker/, BURN)), 'hub worker');
  return roles;
}

/** Samples page heap, worker heaps and renderer PSS while `fn` runs; returns growth over idle. */
async function withMemory(launched, page, fn) {
  const heaps = await workerHeaps(launched.browser);
  const roles = await processRoles(launched, page, heaps).catch(() => ({}));
  const pss = () => {
    const o = {};
    for (const p of processMemory(launched).processes) if (p.pssBytes !== null) o[p.pid] = p.pssBytes;
    return o;
  };
  const idle = { page: (await getMetrics(page)).JSHeapUsedSize, workers: await heaps.sample(), pss: pss() };
  const peak = { page: idle.page, workers: { ...idle.workers }, pss: { ...idle.pss } };
  let on = true;
  const sampler = (async () => {
    while (on) {
      try {
        peak.page = Math.max(peak.page, (await getMetrics(page)).JSHeapUsedSize);
        for (const [k, v] of Object.entries(await heaps.sample())) if (v !== null) peak.workers[k] = Math.max(peak.workers[k] ?? 0, v);
        for (const [pid, v] of Object.entries(pss())) peak.pss[pid] = Math.max(peak.pss[pid] ?? 0, v);
      } catch { /* next sample */ }
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  let result;
  try { result = await fn(); } finally { on = false; await sampler; await heaps.close(); }
  const workers = {};
  for (const k of Object.keys(peak.workers)) workers[k] = (peak.workers[k] ?? 0) - (idle.workers[k] ?? 0);
  const types = Object.fromEntries(processMemory(launched).processes.map((p) => [p.pid, p.type]));
  const pssGrowth = Object.keys(peak.pss).map((pid) => ({ pid, type: roles[pid] ?? types[pid] ?? '?', growth: peak.pss[pid] - (idle.pss[pid] ?? 0) }))
    .sort((x, y) => y.growth - x.growth).slice(0, 3);
  // Workers that started during the write (the write worker) have no idle sample: their peak counts whole.
  return { result, page: peak.page - idle.page, workers, pss: pssGrowth };
}

/** Writes back every dirty page first: each timed store starts without the previous one's writeback. */
function settleDisk() {
  execFileSync('sync');
}

// ---- page-side measurements ----
// `reused`: the page writes every chunk from one reused buffer (no garbage of its own).
async function verifiedStore(page, run, size, hex, piece = CHUNK, reused = false) {
  return page.evaluate(async ([run, size, hex, piece, reused]) => {
    const t0 = performance.now();
    const handle = await navigator.crossOriginStorage.getFileHandle({ algorithm: 'SHA-256', value: hex }, { create: true, origins: '*' });
    const w = await handle.createWritable();
    for (let i = 0, at = 0; at < size; i++) {
      const c = (reused ? reusedChunk : makeChunk)(window.base, run, i, size, piece);
      at += c.byteLength;
      await w.write(c);
    }
    await w.close();
    return performance.now() - t0;
  }, [run, size, hex, piece, reused]);
}

async function rawWritable(page, run, size, piece = CHUNK, reused = false) {
  return page.evaluate(async ([run, size, piece, reused]) => {
    const root = await navigator.storage.getDirectory();
    const name = `raw-${run}-${size}`;
    const t0 = performance.now();
    const fh = await root.getFileHandle(name, { create: true });
    const w = await fh.createWritable();
    for (let i = 0, at = 0; at < size; i++) {
      const c = (reused ? reusedChunk : makeChunk)(window.base, run, i, size, piece);
      at += c.byteLength;
      await w.write(c);
    }
    await w.close();
    const ms = performance.now() - t0;
    await root.removeEntry(name);
    return ms;
  }, [run, size, piece, reused]);
}

/** Sync access handle in a dedicated worker of the site, then (small files) the one-shot verifier. */
async function rawSync(page, run, size, hex, withDigest, piece = CHUNK, reused = false) {
  return page.evaluate(async ([run, size, hex, withDigest, piece, reused]) => {
    const worker = new Worker('/bench/raw-worker.js');
    const name = `sync-${run}-${size}`;
    const r = await new Promise((resolve) => {
      worker.onmessage = (e) => resolve(e.data);
      worker.postMessage({ base: window.base, run, size, name, piece, reused });
    });
    worker.terminate();
    const root = await navigator.storage.getDirectory();
    if (!r.error && withDigest) {
      const t0 = performance.now();
      const file = await (await root.getFileHandle(name)).getFile();
      const d = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
      r.digestMs = performance.now() - t0;
      r.digestOk = [...new Uint8Array(d)].map((x) => x.toString(16).padStart(2, '0')).join('') === hex;
    }
    await root.removeEntry(name).catch(() => {});
    return r;
  }, [run, size, hex, withDigest, piece, reused]);
}

async function hashing(page, runs) {
  return page.evaluate(async ([total, runs]) => {
    await new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = '/bench/hash-wasm.js';
      s.onload = resolve;
      s.onerror = reject;
      document.head.append(s);
    });
    const { loadCore } = await import('/cos-core.mjs');
    const core = await loadCore({ locateFile: (n) => `/${n}` });
    const data = new Uint8Array(total);
    for (let off = 0, i = 0; off < total; off += window.base.byteLength, i++) data.set(makeChunk(window.base, 7, i, total), off);
    const hex = (buf) => [...new Uint8Array(buf)].map((x) => x.toString(16).padStart(2, '0')).join('');
    const hw = await hashwasm.createSHA256();
    const impls = {
      'ours (Wasm, -msimd128), 4 MiB updates': () => {
        const s = new core.Sha256Stream();
        for (let off = 0; off < total; off += 4 << 20) s.update(data.subarray(off, off + (4 << 20)));
        const d = s.digestHex();
        s.delete();
        return d;
      },
      'hash-wasm createSHA256(), 4 MiB updates': () => {
        hw.init();
        for (let off = 0; off < total; off += 4 << 20) hw.update(data.subarray(off, off + (4 << 20)));
        return hw.digest('hex');
      },
      'WebCrypto subtle.digest, one-shot': async () => hex(await crypto.subtle.digest('SHA-256', data)),
    };
    const res = {};
    for (const [name, fn] of Object.entries(impls)) {
      res[name] = { ms: [], digest: await fn() };  // warm-up
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        const d = await fn();
        res[name].ms.push(performance.now() - t0);
        if (d !== res[name].digest) throw new Error(`${name}: digest changed`);
      }
    }
    return res;
  }, [HASH_BYTES, runs]);
}

// ---- sections ----
async function sectionHashing(page) {
  const res = await hashing(page, RUNS);
  const digests = new Set(Object.values(res).map((r) => r.digest));
  const rows = [];
  let ours = null;
  for (const [name, r] of Object.entries(res)) {
    const rates = r.ms.map((ms) => mbps(HASH_BYTES, ms));
    const s = stats(rates);
    if (name.startsWith('ours')) ours = s.median;
    rows.push([name, range(s), `${(s.median / ours).toFixed(2)}×`]);
  }
  say(`### Hashing in the page (${HASH_BYTES / MiB} MiB in memory, ${RUNS} runs after a warm-up; ${digests.size === 1 ? 'all digests equal' : 'DIGESTS DIFFER'})`);
  say();
  table(['implementation', 'MB/s median (min–max)', 'vs ours'], rows);
  return ours;
}

async function sectionStore(launched, a, hashMBps) {
  const rows = [];
  const memory = [];
  const rawMemory = [];  // the same samples around the site's own createWritable of the same bytes
  const reusedMemory = [];  // both again, the page writing from one reused buffer
  const stored = {};
  let runId = 100;
  const cases = SIZES.map((size) => ({ size, piece: CHUNK }));
  // What a fetch body piped into the writable looks like: small chunks.
  const mid = SIZES.find((x) => x >= 1e8 && x < 5e8);
  if (mid) cases.push({ size: mid, piece: SMALL_PIECE });
  for (const { size, piece } of cases) {
    const runs = size >= 5e8 || piece !== CHUNK ? Math.max(2, Math.ceil(RUNS / 2)) : RUNS;
    const t = { verified: [], writable: [], sync: [], syncReused: [], oneshot: [] };
    for (let i = 0; i < runs; i++) {
      const run = runId++;
      const hex = digestOf(run, size, piece);
      const big = size >= 5e8;
      settleDisk();
      const m = big
        ? await withMemory(launched, a, () => verifiedStore(a, run, size, hex, piece))
        : { result: await verifiedStore(a, run, size, hex, piece) };
      t.verified.push(m.result);
      if (big) memory.push(m);
      if (piece === CHUNK) stored[size] = hex;
      settleDisk();
      const mw = big
        ? await withMemory(launched, a, () => rawWritable(a, run, size, piece))
        : { result: await rawWritable(a, run, size, piece) };
      t.writable.push(mw.result);
      if (big) rawMemory.push(mw);
      if (big) {
        const reusedRun = runId++;
        settleDisk();
        const mv = await withMemory(launched, a, () => verifiedStore(a, reusedRun, size, digestOf(reusedRun, size, piece), piece, true));
        settleDisk();
        const mr = await withMemory(launched, a, () => rawWritable(a, reusedRun, size, piece, true));
        reusedMemory.push({ verified: mv, raw: mr });
      }
      settleDisk();
      const s = await rawSync(a, run, size, hex, size <= WEBCRYPTO_MAX && piece === CHUNK, piece);
      if (s.error) throw new Error(`sync access handle: ${s.error}`);
      t.sync.push(s.ms);
      if (s.digestMs !== undefined) {
        if (!s.digestOk) throw new Error('WebCrypto digest mismatch');
        t.oneshot.push(s.ms + s.digestMs);
      }
      settleDisk();
      const sr = await rawSync(a, run, size, hex, false, piece, true);
      if (sr.error) throw new Error(`sync access handle: ${sr.error}`);
      t.syncReused.push(sr.ms);
    }
    const rate = (ms) => stats(ms.map((x) => mbps(size, x)));
    const v = rate(t.verified);
    const w = rate(t.writable);
    const y = rate(t.sync);
    const yr = rate(t.syncReused);
    const fastest = Math.max(w.median, y.median, yr.median);
    const bound = Math.min(fastest, hashMBps);
    rows.push([`${label(size)} in ${piece >= MiB ? `${piece / MiB} MiB` : `${piece >> 10} KiB`} writes ×${runs}`, range(v), range(w), range(y), range(yr),
      t.oneshot.length ? range(rate(t.oneshot)) : '—',
      `${(v.median / bound).toFixed(2)}× of ${fmt(bound)}`]);
  }
  say(`### Store: verified (navigator.crossOriginStorage, hub) vs raw OPFS of the site, MB/s median (min–max)`);
  say();
  say(`Each row writes fresh bytes in ${CHUNK / MiB} MiB \`write()\` calls generated in the page (a copy of a base chunk). Every timed store starts after \`sync\` (no writeback of the previous one still running).`);
  say(`"verified" is getFileHandle(create) → createWritable → write… → close (resolves after the hub verified and committed).`);
  say(`"raw sync handle, one buffer" writes every chunk from one reused buffer (no fresh ${CHUNK / MiB} MiB allocation per chunk; on this VM fresh memory costs host page faults, docs/benchmarks.md "This machine's memory").`);
  say(`"sync + WebCrypto" is the sync-handle write followed by \`getFile()\` → \`arrayBuffer()\` → \`subtle.digest\` (files ≤ ${WEBCRYPTO_MAX / 1e6} MB).`);
  say(`Target: verified ≥ 0.9 × min(fastest raw, Wasm SHA-256 in the page = ${fmt(hashMBps)} MB/s).`);
  say();
  table(['size', 'verified', 'raw createWritable (page)', 'raw sync handle (worker)', 'raw sync handle, one buffer (worker)', 'sync + WebCrypto digest', 'verified / min(fastest raw, hash)'], rows);
  if (memory.length) {
    const mb = (x) => (x / MiB).toFixed(1);
    const names = [...new Set(memory.flatMap((m) => Object.keys(m.workers)))].filter((n) => /hub-worker|write-worker/.test(n));
    say(`### Memory while storing ${label(SIZES[SIZES.length - 1])} (growth over idle, MiB; per run)`);
    say();
    table(['run', 'page JS heap', ...names.map((n) => `${n} JS heap`), 'largest PSS growths (process)'],
      [...memory.map((m, i) => [`verified ${i + 1}`, mb(m.page), ...names.map((n) => (m.workers[n] === undefined ? '—' : mb(m.workers[n]))),
        m.pss.map((p) => `${mb(p.growth)} (${p.type})`).join(', ')]),
      ...rawMemory.map((m, i) => [`raw createWritable ${i + 1}`, mb(m.page), ...names.map(() => '—'),
        m.pss.map((p) => `${mb(p.growth)} (${p.type})`).join(', ')]),
      ...reusedMemory.map(({ verified: m }, i) => [`verified, reused source ${i + 1}`, mb(m.page), ...names.map((n) => (m.workers[n] === undefined ? '—' : mb(m.workers[n]))),
        m.pss.map((p) => `${mb(p.growth)} (${p.type})`).join(', ')]),
      ...reusedMemory.map(({ raw: m }, i) => [`raw createWritable, reused source ${i + 1}`, mb(m.page), ...names.map(() => '—'),
        m.pss.map((p) => `${mb(p.growth)} (${p.type})`).join(', ')])]);
    say('JS heaps do not count ArrayBuffer contents (chunks in flight live outside the heap); PSS does, and also allocator pages not yet returned to the system.');
    say('Processes are named by burning CPU in each context before the write (site page, hub frame, hub worker; "renderer" when none of them). The page generates each 4 MiB chunk fresh (garbage until its next GC) in the first verified and raw rows; in the "reused source" rows it writes every chunk from one reused buffer, so the page\'s growth is what the writer itself holds.');
    say();
  }
  return stored;
}

async function sectionCacheHit(launched, a, stored) {
  // A 1 KB entry too; site A stores it, site B reads every size.
  const kb = 1000;
  const kbHex = digestOf(1, kb);
  await verifiedStore(a, 1, kb, kbHex);
  const entries = [[kb, kbHex], ...Object.entries(stored).map(([s, h]) => [Number(s), h])];
  const { page: b } = await openSite(launched, server, 'site-b.test');
  const rows = [];
  for (const [size, hex] of entries) {
    const r = await b.evaluate(async ([hex, size, runs]) => {
      const hash = { algorithm: 'SHA-256', value: hex };
      const cos = [];
      let file;
      for (let i = 0; i < runs + 1; i++) {
        const t0 = performance.now();
        file = await (await navigator.crossOriginStorage.getFileHandle(hash)).getFile();
        await file.slice(0, 1).arrayBuffer();
        if (i > 0) cos.push(performance.now() - t0);  // the first one is the site's first probe
      }
      if (file.size !== size) throw new Error(`size ${file.size} != ${size}`);
      const cache = await caches.open('bench');
      const url = `/bench/blob-${hex}`;
      await cache.put(url, new Response(file, { headers: { 'Content-Type': 'application/octet-stream' } }));
      const cached = [];
      for (let i = 0; i < runs + 1; i++) {
        const t0 = performance.now();
        const res = await cache.match(url);
        const reader = res.body.getReader();
        await reader.read();
        await reader.cancel();
        if (i > 0) cached.push(performance.now() - t0);
      }
      await cache.delete(url);
      return { cos, cached };
    }, [hex, size, HIT_RUNS]);
    const c = stats(r.cos);
    const k = stats(r.cached);
    rows.push([label(size), range(c, 2), range(k, 2), `${(c.median / k.median).toFixed(2)}×`]);
  }
  await b.close();
  say(`### Cache hit from another site (site B reads what site A stored), ms median (min–max) of ${HIT_RUNS}`);
  say();
  say('"COS": `getFileHandle(hash)` → `getFile()` → `file.slice(0, 1).arrayBuffer()`. "Cache API": site B\'s own `caches.match(url)` → first `body` read.');
  say();
  table(['size', 'COS hit', 'own Cache API hit', 'COS / Cache API'], rows);
}

/**
 * A 10k-entry journal (one commit record per entry), the 1 KB blob site-a.test stores, and
 * the names of the other entries' blobs (a hub with 10k entries holds 10k blobs: the seed
 * creates them empty, enough for a start-up that lists blobs/).
 */
async function seedJournal(siteAOrigin) {
  const core = await loadCore();
  const ix = new core.raw.Index();
  const blob = Buffer.alloc(1000, 7);
  const blobHex = createHash('sha256').update(blob).digest('hex');
  const parts = [];
  const names = [];
  const now = Date.now();
  for (let n = 0; n < JOURNAL_ENTRIES; n++) {
    const hex = n === 0 ? blobHex : createHash('sha256').update(`journal-${n}`).digest('hex');
    if (n > 0) names.push(hex);
    const writer = n === 0 ? siteAOrigin : `https://app${n % 50}.example${n % 50}.com`;
    ix.commit(hex, n === 0 ? blob.length : 1000 + n, 'application/octet-stream', writer,
      { global: n % 10 === 0, origins: n % 3 === 0 ? ['https://partner.org'] : [] }, null, now - n);
    parts.push(Buffer.from(ix.takePendingJournalBytes()));
  }
  ix.delete();
  const journal = Buffer.concat(parts);
  const check = new core.raw.Index();
  const opened = check.open(journal);
  check.delete();
  if (Number(opened.entries) !== JOURNAL_ENTRIES) throw new Error(`journal replays ${opened.entries} entries`);
  return { journal, blob, blobHex, names };
}

async function sectionFirstCall() {
  const siteA = server.origin('site-a.test');
  const { journal, blob, blobHex, names } = await seedJournal(siteA);
  server.route('hub.test', '/bench/journal.bin', (req, res) => res.end(journal));
  server.route('hub.test', '/bench/names.json', (req, res) => res.end(JSON.stringify(names)));
  server.route('hub.test', '/bench/blob.bin', (req, res) => res.end(blob));
  server.route('hub.test', '/bench/seed.html', (req, res) => {
    res.setHeader('Content-Type', 'text/html');
    res.end(`<!doctype html><script type="module">
      const root = await navigator.storage.getDirectory();
      const put = async (dir, name, url) => { const w = await (await dir.getFileHandle(name, { create: true })).createWritable(); await w.write(await (await fetch(url)).arrayBuffer()); await w.close(); };
      await put(root, 'journal', '/bench/journal.bin');
      const blobs = await (await root.getDirectoryHandle('blobs', { create: true })).getDirectoryHandle('sha256', { create: true });
      await put(blobs, '${blobHex}', '/bench/blob.bin');
      const names = await (await fetch('/bench/names.json')).json();
      for (let i = 0; i < names.length; i += 200) await Promise.all(names.slice(i, i + 200).map((n) => blobs.getFileHandle(n, { create: true })));
      document.title = 'seeded';
    </script>`);
  });
  const hubUrl = server.url('hub.test', '/');
  server.route('site-a.test', '/bench/first.html', (req, res) => {
    res.setHeader('Content-Type', 'text/html');
    res.setHeader('Cache-Control', 'no-store');
    res.end(`<!doctype html><meta charset="utf-8">
<script>window.t0 = performance.now();</script>
<script src="/cos-polyfill.js" data-hub="${hubUrl}"></script>
<script>
  const t1 = performance.now();
  const hash = { algorithm: 'SHA-256', value: '${blobHex}' };
  window.first = navigator.crossOriginStorage.getFileHandle(hash).then(async () => {
    const t2 = performance.now();
    await navigator.crossOriginStorage.getFileHandle(hash);
    const frame = performance.getEntriesByType('resource').find((e) => e.name.includes('frame.html'));
    return { script: t1 - window.t0, first: t2 - window.t0, second: performance.now() - t2, frameLoaded: frame ? frame.responseEnd - window.t0 : null };
  }, (e) => ({ error: e.name + ': ' + e.message }));
</script>`);
  });
  const launched = await launchBrowser({ mode: 'cookies-allowed' });
  const modes = ['cold', 'warm', 'cold, cached files', 'warm, cached files'];
  const rows = Object.fromEntries(modes.map((m) => [m, []]));
  try {
    const seed = await launched.newPage(server.url('hub.test', '/bench/seed.html'));
    await seed.waitForFunction(() => document.title === 'seeded', null, { timeout: 30_000 });
    await seed.close();
    const cdp = await launched.browser.newBrowserCDPSession();
    const hubWorkerAlive = async () => (await cdp.send('Target.getTargets')).targetInfos.some((t) => t.type === 'shared_worker');
    const once = async () => {
      const page = await launched.newPage(server.url('site-a.test', '/bench/first.html'));
      const r = await page.evaluate(() => window.first);
      if (r.error) throw new Error(`first call: ${r.error}`);
      return { page, r };
    };
    const measure = async (suffix, runs) => {
      for (let i = 0; i < runs; i++) {
        for (let w = 0; w < 100 && await hubWorkerAlive(); w++) await new Promise((res) => setTimeout(res, 100));
        const cold = await once();
        // Warm hub: the worker is already running (the cold page keeps it alive).
        const warm = await once();
        rows[`cold${suffix}`]?.push(cold.r);  // no row for the warm-up visits
        rows[`warm${suffix}`]?.push(warm.r);
        await warm.page.close();
        await cold.page.close();
      }
    };
    await measure('', FIRST_RUNS);
    // As deployed on a CDN: the hub's files and the site's script are cacheable, and an
    // earlier visit filled the HTTP cache and V8's code caches (two visits, not counted).
    server.setHeaders('*', () => true, { 'Cache-Control': 'public, max-age=3600' });
    await measure('-', 2);
    await measure(', cached files', FIRST_RUNS);
    await cdp.detach();
  } finally {
    await launched.close();
  }
  const col = (xs, k) => { const v = xs.map((r) => r[k]).filter((x) => typeof x === 'number'); return v.length ? range(stats(v), 1) : '—'; };
  say(`### First call: script tag → first resolved getFileHandle (site A's own 1 KB entry; hub journal of ${JOURNAL_ENTRIES} entries and as many blobs), ms median (min–max) of ${FIRST_RUNS}`);
  say();
  say('"cold": no hub worker running (frame load, storage access, worker start, Wasm init, journal replay). "warm": the same page while another tab keeps the hub worker alive. Plain rows: the server sends `Cache-Control: no-store`; "cached files": `max-age=3600` after two earlier visits (HTTP cache and V8 code caches warm, as for a returning user).');
  say();
  table(['hub', 'script executed', 'frame.html loaded', 'first getFileHandle resolved', 'second call'],
    modes.map((k) => [k, col(rows[k], 'script'), col(rows[k], 'frameLoaded'), col(rows[k], 'first'), col(rows[k], 'second')]));
}

// ---- main ----
const command = 'BENCH=browser npm run bench';
say(`## Browser benchmark (\`${command}\`, or \`node tools/bench/browser.mjs\`)`);
say();
say(`${new Date().toISOString()}; ${machine()}; BENCH_RUNS=${RUNS}`);
say();
try {
  if (SECTIONS.has('hash') || SECTIONS.has('store') || SECTIONS.has('hit')) {
    const launched = await launchBrowser({ mode: 'cookies-allowed' });
    try {
      const { page: a, status } = await openSite(launched, server, 'site-a.test');
      if (status !== 'shared') throw new Error(`hub status ${status}, expected shared`);
      await preparePage(a);
      const hashMBps = SECTIONS.has('hash') ? await sectionHashing(a) : Number(process.env.BENCH_HASH_MBPS) || 564;
      const stored = SECTIONS.has('store') ? await sectionStore(launched, a, hashMBps) : {};
      if (SECTIONS.has('hit')) await sectionCacheHit(launched, a, stored);
    } finally {
      await launched.close();
    }
  }
  if (SECTIONS.has('first')) await sectionFirstCall();
} finally {
  await server.close();
}
if (process.env.BENCH_WRITE_MD === '1') {
  const file = path.join(REPO_ROOT, 'docs', 'benchmarks.md');
  const doc = readFileSync(file, 'utf8');
  const start = doc.indexOf('<!-- browser:begin -->');
  const end = doc.indexOf('<!-- browser:end -->');
  if (start < 0 || end < 0) throw new Error('docs/benchmarks.md has no browser markers');
  writeFileSync(file, `${doc.slice(0, start)}<!-- browser:begin -->\n${out.join('\n')}\n${doc.slice(end)}`);
  console.log('wrote docs/benchmarks.md');
}
