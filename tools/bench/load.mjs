// Load benchmark (issue 7): several tabs on several sites read and write files of 1 KB–100 MB
// through the real hub in Chromium, then tell whether memory stayed stable.
//
// The load generator holds no file: a writer makes its bytes chunk by chunk from a seed (the
// hashes are computed here in Node from the same chunks, before the run), a reader hashes the
// File's stream() as it arrives. So what grows is the browser's and the hub's, not the test's.
// Every read is checked (its bytes must hash to the hash); any failure is an error.
//
// Prints throughput, p50/p99 latency per operation and size, errors (must be 0: exit status 1
// otherwise), and memory sampled every LOAD_SAMPLE_SECONDS: PSS per Chromium process
// (/proc/<pid>/smaps_rollup; each renderer is placed by which one grows while a target holds a
// 64 MiB probe), V8 heap and ArrayBuffer bytes of each page, the hub frames, the hub
// SharedWorker and the write workers (CDP Runtime.getHeapUsage), and the same right after a
// forced GC (HeapProfiler.collectGarbage, every LOAD_GC_EVERY samples) so garbage is not taken
// for growth; heap snapshots of the hub side before, at the end and after the load count live
// objects. The verdict compares the median of the last third of the run with the first third
// (after a warm-up) and fits a slope, for the PSS as sampled ("under load") and for what a GC
// leaves or what is not bytes in flight ("retained"). Timing and memory never fail the run.
//
// Run: `BENCH=load npm run bench` or `node tools/bench/load.mjs`. Env: LOAD_SECONDS (180),
// LOAD_SAMPLE_SECONDS (5), LOAD_GC_EVERY (2; 0 = never), LOAD_WARMUP_SECONDS (30),
// LOAD_IDLE_SECONDS (10: idle after the load, then a last sample).
import fs from 'node:fs';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { launchBrowser, processMemory } from '../../tests/e2e/lib/browser.js';
import { startProductServer } from '../../tests/e2e/lib/product.js';
import { RECOMMENDED_POLICY, openTestSite, servePolicy, summarize } from '../../tests/e2e/lib/attacker.js';

const env = (name, fallback) => (process.env[name] !== undefined && process.env[name] !== '' ? Number(process.env[name]) : fallback);
const SECONDS = env('LOAD_SECONDS', env('COS_LOAD_SECONDS', 180));
const SAMPLE_S = env('LOAD_SAMPLE_SECONDS', 5);
const GC_EVERY = env('LOAD_GC_EVERY', 2);
const WARMUP_S = env('LOAD_WARMUP_SECONDS', Math.min(30, Math.round(SECONDS / 6)));
const IDLE_S = env('LOAD_IDLE_SECONDS', 10);
const TABS = ['site-a.test', 'x.site-a.test', 'site-b.test', 'evil.test'];
const KB = 1024;
const MB = 1024 * KB;
const CHUNK = 4 * MB;  // what a writer hands write() at a time: the protocol's largest chunk
// Size classes: [bytes, weight, files in the pool]. 100 MB is rare and its pool small.
const CLASSES = [[1 * KB, 30, 8], [64 * KB, 25, 8], [1 * MB, 25, 6], [10 * MB, 15, 4], [100 * MB, 5, 2]];
const READ_SHARE = 0.7;
const seedOf = (ci, k) => (ci + 1) * 1000 + k;
const sizeName = (b) => (b >= MB ? `${b / MB} MB` : `${b / KB} KB`);

// Deterministic file content, one chunk at a time (no file is ever held whole): chunk j of the
// file (seed, size) is a fixed pseudo-random block whose first 16 bytes are (seed, j, size,
// magic). Runs in Node (to hash) and in the pages (to write): the same source.
function makeGen(chunkBytes) {
  const words = new Uint32Array(chunkBytes / 4);
  let x = 0x9e3779b9 | 0;
  for (let i = 0; i < words.length; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; words[i] = x >>> 0; }
  const base = new Uint8Array(words.buffer);
  return {
    count: (size) => Math.ceil(size / chunkBytes),
    chunk(seed, size, j) {
      const n = Math.min(chunkBytes, size - j * chunkBytes);
      const out = base.slice(0, n);
      const head = new Uint8Array(new Uint32Array([seed, j, size, 0x434f5321]).buffer);
      out.set(head.subarray(0, Math.min(16, n)));
      return out;
    },
  };
}

function poolHashes() {
  const gen = makeGen(CHUNK);
  const hashes = {};
  CLASSES.forEach(([size, , files], ci) => {
    for (let k = 0; k < files; k++) {
      const h = createHash('sha256');
      for (let j = 0; j < gen.count(size); j++) h.update(gen.chunk(seedOf(ci, k), size, j));
      hashes[`${ci}:${k}`] = h.digest('hex');
    }
  });
  return hashes;
}

// Runs in each tab: the op loop until `until`; returns every op's record.
async function tabLoop({ classes, readShare, until, tabSeed, hashes }) {
  let x = tabSeed;
  const rnd = () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return (x >>> 0) / 4294967296; };
  const total = classes.reduce((s, c) => s + c[1], 0);
  const pickClass = () => { let r = rnd() * total; for (let i = 0; i < classes.length; i++) { r -= classes[i][1]; if (r < 0) return i; } return 0; };
  const gen = window.loadGen;
  const hasher = await window.hashwasm.createSHA256();
  const cos = navigator.crossOriginStorage;
  const written = new Set();
  const ops = [];
  while (Date.now() < until) {
    const ci = pickClass();
    const k = Math.floor(rnd() * classes[ci][2]);
    const key = `${ci}:${k}`;
    const seed = (ci + 1) * 1000 + k;
    const size = classes[ci][0];
    const value = hashes[key];
    const isRead = written.has(key) && rnd() < readShare;
    let aux = 0;      // ms spent by the test itself: generating bytes, or hashing what was read
    let openMs = null;
    let error = null;
    const t0 = performance.now();
    try {
      if (isRead) {
        const h = await cos.getFileHandle({ algorithm: 'SHA-256', value });
        const file = await h.getFile();
        openMs = performance.now() - t0;
        if (file.size !== size) throw new Error(`size ${file.size}, expected ${size}`);
        hasher.init();
        let got = 0;
        const reader = file.stream().getReader();
        for (;;) {
          const { done, value: piece } = await reader.read();
          if (done) break;
          const a = performance.now();
          hasher.update(piece);
          aux += performance.now() - a;
          got += piece.byteLength;
        }
        if (got !== size) throw new Error(`short read ${got} of ${size}`);
        if (hasher.digest('hex') !== value) throw new Error('wrong bytes');
      } else {
        const h = await cos.getFileHandle({ algorithm: 'SHA-256', value }, { create: true });
        const w = await h.createWritable();
        for (let j = 0; j < gen.count(size); j++) {
          const a = performance.now();
          const piece = gen.chunk(seed, size, j);
          aux += performance.now() - a;
          await w.write(piece);
        }
        await w.close();
        written.add(key);
      }
    } catch (e) {
      error = `${e.name}: ${e.message}`;
    }
    ops.push({ op: isRead ? 'read' : 'write', ci, bytes: size, ms: performance.now() - t0, openMs, aux, ok: !error, error, end: Date.now() });
  }
  return ops;
}

// ---- CDP sessions to targets (flatten: false, through the browser session) ----

class Targets {
  constructor(cdp) {
    this.cdp = cdp;
    this.nextId = 1;
    this.waiting = new Map();
    this.chunks = new Map();  // sessionId → heap snapshot chunks being received
    cdp.on('Target.receivedMessageFromTarget', (event) => {
      const msg = JSON.parse(event.message);
      if (msg.method === 'HeapProfiler.addHeapSnapshotChunk') return this.chunks.get(event.sessionId)?.push(msg.params.chunk);
      const w = msg.id !== undefined && this.waiting.get(`${event.sessionId}:${msg.id}`);
      if (!w) return;
      this.waiting.delete(`${event.sessionId}:${msg.id}`);
      clearTimeout(w.timer);
      if (msg.error) w.reject(new Error(msg.error.message));
      else w.resolve(msg.result);
    });
  }

  async attach(targetId) {
    const { sessionId } = await this.cdp.send('Target.attachToTarget', { targetId, flatten: false });
    return {
      send: (method, params, timeoutMs) => this.send(sessionId, method, params, timeoutMs),
      snapshot: async () => {  // a heap snapshot (it collects garbage first), parsed
        this.chunks.set(sessionId, []);
        try {
          await this.send(sessionId, 'HeapProfiler.takeHeapSnapshot', { reportProgress: false }, 120_000);
          return JSON.parse(this.chunks.get(sessionId).join(''));
        } finally {
          this.chunks.delete(sessionId);
        }
      },
    };
  }

  send(sessionId, method, params = {}, timeoutMs = 15_000) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.waiting.delete(`${sessionId}:${id}`); reject(new Error(`${method} timed out`)); }, timeoutMs);
      this.waiting.set(`${sessionId}:${id}`, { resolve, reject, timer });
      this.cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params }) })
        .catch((e) => { clearTimeout(timer); this.waiting.delete(`${sessionId}:${id}`); reject(e); });
    });
  }
}

const rssBytes = (pid) => {
  try {
    return Number(fs.readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * 4096;
  } catch {
    return 0;
  }
};

/**
 * The renderer process of each target (CDP tells no pid per target): the one whose resident
 * memory jumps while the target holds a 64 MiB buffer for a moment. Memory, unlike CPU time,
 * does not depend on how busy the machine is. Called before the load, when all is idle.
 */
async function identify(targets, launched) {
  const PROBE = 64 * MB;
  for (const t of targets) {
    const pids = processMemory(launched).processes.filter((p) => p.type === 'renderer').map((p) => p.pid);
    const before = new Map(pids.map((p) => [p, rssBytes(p)]));
    try {
      await t.sess.send('Runtime.evaluate', { expression: `globalThis.__loadProbe = new Uint8Array(${PROBE}).fill(7); 0` }, 60_000);
      const grew = pids.map((p) => [p, rssBytes(p) - before.get(p)]).sort((x, y) => y[1] - x[1]);
      t.pid = grew.length && grew[0][1] >= PROBE * 0.75 ? grew[0][0] : null;
      await t.sess.send('Runtime.evaluate', { expression: 'delete globalThis.__loadProbe; 0' });
      await t.sess.send('HeapProfiler.collectGarbage', {}, 60_000);
    } catch (e) {
      console.log(`  ${t.label}: ${e.message}`);
      t.pid = null;
    }
  }
}

/**
 * Live JS objects per constructor name in an isolate, from a heap snapshot. (Runtime.queryObjects
 * would be lighter, but it crashes the renderer of a SharedWorker in Chromium 156.)
 */
async function objectCounts(sess) {
  try {
    const snap = await sess.snapshot();
    const fields = snap.snapshot.meta.node_fields;
    const types = snap.snapshot.meta.node_types[0];
    const [typeAt, nameAt, width] = [fields.indexOf('type'), fields.indexOf('name'), fields.length];
    const counts = {};
    for (let i = 0; i < snap.nodes.length; i += width) {
      if (types[snap.nodes[i + typeAt]] !== 'object') continue;
      const name = snap.strings[snap.nodes[i + nameAt]];
      counts[name] = (counts[name] ?? 0) + 1;
    }
    return counts;
  } catch (e) {
    return { error: e.message };
  }
}
const WATCHED = ['File', 'FileSystemFileHandle', 'FileSystemSyncAccessHandle', 'ArrayBuffer', 'MessagePort', 'Promise', 'Map'];

// ---- statistics ----

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
function slopePerMin(points) {  // least squares, points [{t (s), v}] → v per minute
  const n = points.length;
  if (n < 2) return 0;
  const mt = points.reduce((s, p) => s + p.t, 0) / n;
  const mv = points.reduce((s, p) => s + p.v, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) { num += (p.t - mt) * (p.v - mv); den += (p.t - mt) ** 2; }
  return den ? (num / den) * 60 : 0;
}

// Tolerances: a series is flat when it grew by at most max(floor, 10 % of its start).
const TOLERANCE = { relative: 0.10, pssFloorMiB: 32, heapFloorMiB: 2 };

/** Verdict of one series: points [{t, v (MiB)}] after the warm-up, split in thirds by time. */
function verdict(points, floorMiB) {
  if (points.length < 3) return null;
  const t0 = points[0].t;
  const span = points[points.length - 1].t - t0;
  const first = points.filter((p) => p.t <= t0 + span / 3).map((p) => p.v);
  const last = points.filter((p) => p.t >= t0 + (2 * span) / 3).map((p) => p.v);
  const m1 = median(first);
  const m3 = median(last);
  const slope = slopePerMin(points);
  const tol = Math.max(floorMiB, TOLERANCE.relative * m1);
  const growth = m3 - m1;
  const projected = slope * (span / 60);
  const flat = growth <= tol;
  const flatSlope = projected <= tol;
  return {
    first: m1, last: m3, max: Math.max(...points.map((p) => p.v)), slope, growth, projected, tol,
    verdict: flat && flatSlope ? 'stable' : !flat && !flatSlope ? 'GROWING' : 'unclear',
  };
}

// ---- main ----

async function main() {
  const hashes = poolHashes();
  const server = await startProductServer();
  servePolicy(server, RECOMMENDED_POLICY);
  const launched = await launchBrowser({ mode: 'cookies-allowed' });
  const hashwasm = fs.readFileSync(createRequire(import.meta.url).resolve('hash-wasm/dist/sha256.umd.min.js'), 'utf8');
  const samples = [];
  const objects = {};
  let sampling = null;
  let stop = false;
  try {
    const tabs = [];
    for (const host of TABS) {
      const tab = await openTestSite(launched, server, host);
      await tab.page.evaluate(`${hashwasm};\nwindow.loadGen = (${makeGen})(${CHUNK});`);
      // One small write each, outside the measurement, so every hub frame has its write worker.
      const w = await tab.page.evaluate(async () => { const b = cosT.randomBytes(1000); return cosT.write(await cosT.sha256(b), b); });
      if (!w.ok) throw new Error(`warm-up write on ${host}: ${w.name}: ${w.message}`);
      tab.page.on('crash', () => console.log(`renderer of ${host} crashed at ${new Date().toISOString()}`));
      tabs.push({ host, ...tab });
    }
    console.log(`load: ${TABS.length} tabs (${TABS.join(', ')}), ${SECONDS} s, reads ${READ_SHARE * 100} % once written, sizes ${CLASSES.map(([b, w]) => `${sizeName(b)}×${w}`).join(' ')}; ` +
      `writers generate ${CHUNK / MB} MiB chunks, readers hash File.stream() (hash-wasm), every read verified`);

    // Targets: site pages, hub frames, the hub SharedWorker, the write workers.
    const cdp = await launched.browser.newBrowserCDPSession();
    const targetsApi = new Targets(cdp);
    const { targetInfos } = await cdp.send('Target.getTargets');
    const targets = [];
    for (const info of targetInfos) {
      const url = info.url;
      let kind = null;
      let label = null;
      if (info.type === 'page' && /\/page\.html$/.test(url)) { kind = 'page'; label = new URL(url).hostname; }
      else if (info.type === 'iframe' && /\/frame\.html/.test(url)) { kind = 'hub-frame'; label = 'hub frame'; }
      else if (info.type === 'shared_worker' && /hub-worker\.js/.test(url)) { kind = 'hub-worker'; label = 'hub worker'; }
      else if (info.type === 'worker' && /write-worker\.js/.test(url)) { kind = 'write-worker'; label = 'write worker'; }
      if (!kind) continue;
      targets.push({ kind, label, info, sess: await targetsApi.attach(info.targetId), pid: null });
    }
    await identify(targets, launched);
    const pageOfFrame = new Map(targets.filter((t) => t.kind === 'page').map((t) => [t.info.targetId, t.label]));
    for (const t of targets) {
      if (t.kind === 'hub-frame') t.label = `hub frame in ${pageOfFrame.get(t.info.parentFrameId) ?? '?'}`;
    }
    for (const t of targets) {
      if (t.kind !== 'write-worker') continue;
      const frame = targets.find((f) => f.info.targetId === t.info.parentFrameId);
      t.label = `write worker of the ${frame?.label ?? 'hub frame ?'}`;
    }

    // Processes: one class per pid.
    const roleOfPid = new Map();
    for (const t of targets) {
      if (!t.pid) continue;
      const role = t.kind === 'page' ? `site renderer ${t.label}` : 'hub renderer';
      const prev = roleOfPid.get(t.pid);
      roleOfPid.set(t.pid, prev && prev !== role ? `${prev} + ${role}` : role);
    }
    const classOf = (p) => {
      if (p.type === 'browser') return 'browser';
      if (p.type === 'renderer') return roleOfPid.get(p.pid) ?? 'other renderers';
      return 'GPU/utility';
    };
    // Isolates: workers have their own; main-thread targets in one process share one.
    const isolates = [];
    const mainIsolateOfPid = new Map();
    for (const t of targets) {
      if (t.kind === 'hub-worker' || t.kind === 'write-worker') { isolates.push({ kind: t.kind, labels: [t.label], pid: t.pid, sess: t.sess }); continue; }
      const key = t.pid ?? t.info.targetId;
      let iso = mainIsolateOfPid.get(key);
      if (!iso) { iso = { kind: t.kind, labels: [], pid: t.pid, sess: t.sess }; mainIsolateOfPid.set(key, iso); isolates.push(iso); }
      iso.labels.push(t.label);
      if (iso.kind !== t.kind) iso.kind = 'mixed';
    }
    console.log('processes and isolates:');
    for (const [pid, role] of [...roleOfPid].sort((a, b) => a[1].localeCompare(b[1]))) {
      const here = isolates.filter((i) => i.pid === pid).map((i) => `[${i.labels.join(', ')}]`);
      console.log(`  pid ${pid} ${role}: isolates ${here.join(' ')}`);
    }
    const unplaced = targets.filter((t) => !t.pid).map((t) => t.label);
    if (unplaced.length) console.log(`  not placed (no renderer grew with the probe): ${unplaced.join(', ')}`);

    const started = Date.now();
    let n = 0;
    const sample = async (phase, forceGc) => {
      const t = (Date.now() - started) / 1000;
      const pssNow = () => {
        const pss = {};
        for (const p of processMemory(launched).processes) {
          const c = classOf(p);
          pss[c] = (pss[c] ?? 0) + (p.pssBytes ?? 0) / MB;
          pss.total = (pss.total ?? 0) + (p.pssBytes ?? 0) / MB;
        }
        return pss;
      };
      const pss = pssNow();
      const heapOf = async () => Promise.all(isolates.map((i) => i.sess.send('Runtime.getHeapUsage').catch(() => null)));
      const heap = await heapOf();
      let gcHeap = null;
      let gcPss = null;
      if (forceGc) {
        await Promise.all(isolates.map((i) => i.sess.send('HeapProfiler.collectGarbage', {}, 30_000).catch(() => null)));
        gcHeap = await heapOf();
        gcPss = pssNow();
      }
      samples.push({ t, phase, pss, heap, gcHeap, gcPss });
      n++;
    };
    const gcAt = (i) => GC_EVERY > 0 && i % GC_EVERY === 0;
    objects.before = await Promise.all(isolates.map((i) => (i.kind === 'page' ? null : objectCounts(i.sess))));
    await sample('before', true);
    const until = Date.now() + SECONDS * 1000;
    sampling = (async () => {
      let next = Date.now() + SAMPLE_S * 1000;
      while (!stop) {
        await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
        if (stop) break;
        next += SAMPLE_S * 1000;
        await sample('load', gcAt(n));
      }
    })();
    const results = await Promise.all(tabs.map((t, i) => t.page.evaluate(tabLoop, {
      classes: CLASSES, readShare: READ_SHARE, until, tabSeed: 1234 + i * 77, hashes,
    })));
    stop = true;
    await sampling;
    const loadEnd = Date.now();
    const elapsed = (loadEnd - started) / 1000;
    await sample('end', true);
    objects.end = await Promise.all(isolates.map((i) => (i.kind === 'page' ? null : objectCounts(i.sess))));
    await new Promise((r) => setTimeout(r, IDLE_S * 1000));
    objects.idle = await Promise.all(isolates.map((i) => (i.kind === 'page' ? null : objectCounts(i.sess))));
    await sample('idle', true);

    // ---- operations ----
    const ops = results.flat();
    const errors = ops.filter((o) => !o.ok);
    const bytes = (list) => list.reduce((s, o) => s + o.bytes, 0);
    const okOps = ops.filter((o) => o.ok);
    const reads = okOps.filter((o) => o.op === 'read');
    const writes = okOps.filter((o) => o.op === 'write');
    const share = (list) => (list.length ? (100 * list.reduce((s, o) => s + o.aux, 0)) / list.reduce((s, o) => s + o.ms, 0) : 0);
    console.log(`ops ${ops.length} in ${elapsed.toFixed(0)} s: ${(ops.length / elapsed).toFixed(1)} ops/s; ` +
      `read (verified) ${(bytes(reads) / MB / elapsed).toFixed(1)} MiB/s, written (verified) ${(bytes(writes) / MB / elapsed).toFixed(1)} MiB/s; errors ${errors.length}`);
    console.log('latency (ms, p50 / p99): read = getFileHandle + getFile + File.stream() read and hashed in the page; open = up to getFile;');
    console.log(`  "w/o hash" = read minus the page's hashing; write = getFileHandle(create) + createWritable + write() of ${CHUNK / MB} MiB chunks made in the page + close() verified by the hub`);
    const pct = (list, key) => {
      if (!list.length) return '—'.padStart(15);
      const s = summarize(list.map(key));
      return `${s.p50.toFixed(1)} / ${s.p99.toFixed(0)}`.padStart(15);
    };
    console.log(`  ${'size'.padStart(6)} ${'reads'.padStart(5)} ${'read'.padStart(15)} ${'open'.padStart(15)} ${'w/o hash'.padStart(15)} ${'writes'.padStart(6)} ${'write'.padStart(15)}`);
    for (let ci = 0; ci < CLASSES.length; ci++) {
      const r = reads.filter((o) => o.ci === ci);
      const w = writes.filter((o) => o.ci === ci);
      console.log(`  ${sizeName(CLASSES[ci][0]).padStart(6)} ${String(r.length).padStart(5)} ${pct(r, (o) => o.ms)} ${pct(r, (o) => o.openMs)} ${pct(r, (o) => o.ms - o.aux)} ` +
        `${String(w.length).padStart(6)} ${pct(w, (o) => o.ms)}`);
    }
    console.log(`  the test's own work inside those times: hashing ${share(reads).toFixed(0)} % of read time, making bytes ${share(writes).toFixed(0)} % of write time`);
    if (errors.length) {
      console.log(`ERRORS (${errors.length}): ${[...new Set(errors.map((e) => `${e.op} ${e.bytes}: ${e.error}`))].slice(0, 10).join(' | ')}`);
      process.exitCode = 1;
    }

    // ---- memory: time series ----
    const sumHeap = (s, kinds, field = 'usedSize', gc = false) => {
      const h = gc ? s.gcHeap : s.heap;
      if (!h) return null;
      let v = 0;
      isolates.forEach((iso, i) => { if (kinds.includes(iso.kind) && h[i]) v += h[i][field] / MB; });
      return v;
    };
    const siteClasses = [...new Set([...roleOfPid.values()].filter((r) => r.startsWith('site renderer')))];
    const pssCols = ['total', 'browser', 'GPU/utility', 'hub renderer', 'sites', 'other renderers'];
    const pssOf = (s, c, gc = false) => {
      const src = gc ? s.gcPss : s.pss;
      if (!src) return null;
      return c === 'sites' ? siteClasses.reduce((a, k) => a + (src[k] ?? 0), 0) : src[c] ?? 0;
    };
    const heapCols = [['pages', ['page']], ['hub frames', ['hub-frame', 'mixed']], ['hub worker', ['hub-worker']], ['write workers', ['write-worker']]];
    console.log('memory over time (MiB):');
    console.log(`  PSS (smaps_rollup) by process class: total, browser, GPU+utility+zygotes+crashpad, hub renderer (hub frames, hub worker, write workers), the ${siteClasses.length} site renderers, other renderers (about:blank, WebUI);`);
    console.log('  JS = V8 heap used (Runtime.getHeapUsage) of the pages, hub frames, hub worker, write workers; buf = ArrayBuffer backing stores on the hub side;');
    console.log(`  GC = the same heaps right after HeapProfiler.collectGarbage (every ${GC_EVERY} samples; the PSS columns are taken before it)`);
    const head = ['t s', 'PSS', 'brws', 'gpu+', 'hub', 'sites', 'other', 'JS pg', 'hubfr', 'hubwk', 'wrwk', 'buf', 'GC pg', 'hubfr', 'hubwk', 'wrwk'];
    const w = head.map((h, i) => (i === 0 ? 9 : Math.max(5, h.length)));
    const line = (cells) => `  ${cells.map((c, i) => String(c).padStart(w[i])).join(' ')}`;
    console.log(line(head));
    const r0 = (v) => (v === null || v === undefined ? '·' : v.toFixed(v < 10 ? 1 : 0));
    const r2 = (v) => (v === null || v === undefined ? '·' : v.toFixed(2));
    const stride = Math.max(1, Math.ceil(samples.length / 40));
    samples.forEach((s, i) => {
      if (i % stride && s.phase === 'load') return;
      console.log(line([
        `${s.phase === 'load' ? '' : `${s.phase} `}${s.t.toFixed(0)}`,
        ...pssCols.map((c) => r0(pssOf(s, c))),
        ...heapCols.map(([, k]) => r2(sumHeap(s, k))),
        r0(sumHeap(s, ['hub-frame', 'hub-worker', 'write-worker', 'mixed'], 'backingStorageSize')),
        ...heapCols.map(([, k]) => r2(sumHeap(s, k, 'usedSize', true))),
      ]));
    });

    // ---- memory: verdict ----
    const during = samples.filter((s) => s.phase === 'load' && s.t >= WARMUP_S);
    const hubKinds = ['hub-frame', 'hub-worker', 'write-worker', 'mixed'];
    const bufHub = (s, gc = false) => sumHeap(s, hubKinds, 'backingStorageSize', gc);
    const noSites = (s, gc = false) => (pssOf(s, 'total', gc) === null ? null : pssOf(s, 'total', gc) - pssOf(s, 'sites', gc));
    const P = TOLERANCE.pssFloorMiB;
    const H = TOLERANCE.heapFloorMiB;
    // [name, value of a sample, floor, judged?]
    const underLoad = [
      ['PSS total', (s) => pssOf(s, 'total'), P, true],
      ['PSS total w/o site renderers', (s) => noSites(s), P, true],
      ['PSS browser', (s) => pssOf(s, 'browser'), P, true],
      ['PSS GPU+utility', (s) => pssOf(s, 'GPU/utility'), P, true],
      ['PSS hub renderer', (s) => pssOf(s, 'hub renderer'), P, true],
      ['buffers hub side', (s) => bufHub(s), P, false],
      ...siteClasses.map((c) => [`PSS ${c.replace('site renderer ', '')} (generator)`, (s) => pssOf(s, c), P, false]),
    ];
    const retained = [
      ['PSS total w/o sites (GC)', (s) => noSites(s, true), P, true],
      ['PSS hub renderer (GC)', (s) => pssOf(s, 'hub renderer', true), P, true],
      ['PSS hub renderer − buffers', (s) => pssOf(s, 'hub renderer') - bufHub(s), P, true],
      ['JS hub worker (GC)', (s) => sumHeap(s, ['hub-worker'], 'usedSize', true), H, true],
      ['JS hub frames (GC)', (s) => sumHeap(s, ['hub-frame', 'mixed'], 'usedSize', true), H, true],
      ['JS write workers (GC)', (s) => sumHeap(s, ['write-worker'], 'usedSize', true), H, true],
      ['buffers hub side (GC)', (s) => bufHub(s, true), P, true],
      ['JS pages (GC) (generator)', (s) => sumHeap(s, ['page'], 'usedSize', true), H, false],
    ];
    console.log(`memory verdict (MiB) over the samples from ${WARMUP_S} s (warm-up excluded) to the end of the load (${during.length} samples, ${during.filter((s) => s.gcHeap).length} with GC):`);
    console.log('  criterion: growth = median(last third) − median(first third); slope = least squares over the window, and its projection over the window;');
    console.log(`  stable when both ≤ tolerance = max(floor, ${TOLERANCE.relative * 100} % of the first third's median), floor ${P} MiB for PSS and buffers, ${H} MiB for a JS heap;`);
    console.log('  GROWING when both exceed it, unclear when one does. "before" / "idle" = idle before the load and after it (after GC for the GC rows).');
    console.log('  "(GC)" rows are read right after the forced GC; "− buffers" subtracts the hub side\'s ArrayBuffers (bytes in flight, and not yet collected) of the same sample.');
    const vw = Math.max(...[...underLoad, ...retained].map(([name]) => name.length));
    const fmtV = (v, heap) => (v === null || v === undefined || Number.isNaN(v) ? '·' : heap ? v.toFixed(2) : v.toFixed(0)).padStart(6);
    const judge = (title, list) => {
      console.log(`  ${title}`);
      const out = [];
      for (const [name, get, floor, counts] of list) {
        const heap = floor === H;
        const points = during.map((s) => ({ t: s.t, v: get(s) })).filter((p) => p.v !== null && p.v !== undefined && !Number.isNaN(p.v));
        const v = verdict(points, floor);
        if (!v) { console.log(`    ${name.padEnd(vw)}: too few samples`); continue; }
        const sign = (x, d) => `${x >= 0 ? '+' : ''}${x.toFixed(d)}`;
        console.log(`    ${name.padEnd(vw)}: before ${fmtV(get(samples[0]), heap)} first ${fmtV(v.first, heap)} last ${fmtV(v.last, heap)} max ${fmtV(v.max, heap)} ` +
          `growth ${sign(v.growth, heap ? 2 : 0).padStart(6)} slope ${sign(v.slope, heap ? 2 : 0).padStart(6)}/min (tol ${v.tol.toFixed(heap ? 1 : 0)}) idle ${fmtV(get(samples[samples.length - 1]), heap)}  ` +
          `${counts ? v.verdict : `(${v.verdict}, not judged)`}`);
        if (counts) out.push([name, v.verdict]);
      }
      return out;
    };
    const judgedLoad = judge('under load (PSS as sampled: garbage not yet collected and bytes in flight included):', underLoad);
    const judgedRetained = judge('retained (what a GC leaves, or what is not bytes in flight):', retained);
    // How hard the load pushed in the first and last thirds of the window (the PSS under load follows it).
    const wStart = started + WARMUP_S * 1000;  // sample times count from \`started\`
    const third = (loadEnd - wStart) / 3;
    const rate = (from, to) => ops.filter((o) => o.ok && o.end >= from && o.end < to).reduce((a, o) => a + o.bytes, 0) / MB / ((to - from) / 1000);
    console.log(`  load in the first / last third of the window: ${rate(wStart, wStart + third).toFixed(0)} / ${rate(loadEnd - third, loadEnd).toFixed(0)} MiB/s read + written`);
    // Idle after GC, after the load vs before it: an upper bound on what each operation left behind.
    const idleGrowth = ['hub-worker', 'hub-frame', 'write-worker'].map((k) => {
      const d = (sumHeap(samples[samples.length - 1], [k], 'usedSize', true) - sumHeap(samples[0], [k], 'usedSize', true)) * MB;
      return `${k} ${d >= 0 ? '+' : ''}${(d / KB).toFixed(0)} KiB (${(d / ops.length).toFixed(0)} B/op)`;
    });
    const idlePss = ['hub renderer', 'browser', 'total'].map((c) => `${c} ${(pssOf(samples[samples.length - 1], c, true) - pssOf(samples[0], c, true)).toFixed(0)} MiB`);
    console.log(`  idle after the load − idle before (after GC), over ${ops.length} ops: PSS ${idlePss.join(', ')}; JS heap ${idleGrowth.join(', ')}`);
    console.log('  live JS objects of the hub side (heap snapshots, idle before / at the end of the load / idle after):');
    for (const kind of ['hub-worker', 'hub-frame', 'mixed', 'write-worker']) {
      const idx = isolates.map((iso, i) => (iso.kind === kind ? i : -1)).filter((i) => i >= 0);
      if (!idx.length) continue;
      const sum = (phase, name) => idx.reduce((a, i) => a + (objects[phase][i]?.[name] ?? 0), 0);
      const failed = idx.flatMap((i) => ['before', 'end', 'idle'].map((ph) => objects[ph][i]?.error).filter(Boolean));
      const names = new Set(idx.flatMap((i) => [...Object.keys(objects.before[i] ?? {}), ...Object.keys(objects.idle[i] ?? {})]));
      const grew = [...names].map((nm) => [nm, sum('idle', nm) - sum('before', nm)]).filter(([, d]) => d > 0).sort((x, y) => y[1] - x[1]).slice(0, 4);
      const total = (phase) => idx.reduce((a, i) => a + Object.values(objects[phase][i] ?? {}).reduce((x, y) => x + (typeof y === 'number' ? y : 0), 0), 0);
      console.log(`    ${kind === 'mixed' || kind === 'hub-frame' ? 'hub frames' : kind.replace('-', ' ') + (idx.length > 1 ? `s (${idx.length})` : '')}: ` +
        `${WATCHED.map((nm) => `${nm} ${sum('before', nm)}/${sum('end', nm)}/${sum('idle', nm)}`).join(', ')}; all objects ${total('before')}/${total('end')}/${total('idle')}; ` +
        `most grown ${grew.map(([nm, d]) => `${nm} +${d}`).join(', ') || 'none'}${failed.length ? `; snapshot failed: ${failed[0]}` : ''}`);
    }
    const say = (list) => {
      const bad = list.filter(([, v]) => v === 'GROWING').map(([nm]) => nm);
      const unclear = list.filter(([, v]) => v === 'unclear').map(([nm]) => nm);
      return bad.length ? `GROWING (${bad.join(', ')})${unclear.length ? `; unclear: ${unclear.join(', ')}` : ''}` : unclear.length ? `no growth, unclear: ${unclear.join(', ')}` : 'STABLE';
    };
    console.log(`memory retained (after GC, or apart from bytes in flight; hub side and browser): ${say(judgedRetained)}`);
    console.log(`memory under load (PSS as sampled; hub side and whole browser): ${say(judgedLoad)}`);
  } catch (e) {
    console.log(`chromium stderr (tail):\n${launched.stderrTail().split('\n').slice(-30).join('\n')}`);
    throw e;
  } finally {
    stop = true;
    await launched.close();
    await server.close();
  }
}

await main();
