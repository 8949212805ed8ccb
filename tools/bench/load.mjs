// Load benchmark (issue 7): several tabs on several sites read and write files of 1 KB–100 MB
// through the real hub in Chromium for COS_LOAD_SECONDS (default 150). Prints throughput,
// p50/p99 latency per operation and size, errors (must be 0: exit status 1 otherwise) and
// the browser's memory (PSS) over time. Run: `npm run bench` (BENCH=load) or `node tools/bench/load.mjs`.
import { launchBrowser, processMemory } from '../../tests/e2e/lib/browser.js';
import { startProductServer } from '../../tests/e2e/lib/product.js';
import { RECOMMENDED_POLICY, openTestSite, servePolicy, summarize } from '../../tests/e2e/lib/attacker.js';

const SECONDS = Number(process.env.COS_LOAD_SECONDS ?? 150);
const TABS = ['site-a.test', 'x.site-a.test', 'site-b.test', 'evil.test'];
const KB = 1024;
const MB = 1024 * KB;
// Size classes: [bytes, weight, files in the pool]. 100 MB is rare and its pool small.
const CLASSES = [[1 * KB, 30, 8], [64 * KB, 25, 8], [1 * MB, 25, 6], [10 * MB, 15, 4], [100 * MB, 5, 2]];
const READ_SHARE = 0.7;

// Runs in each tab: the op loop until `until`; returns every op's record.
async function tabLoop({ classes, readShare, until, tabSeed }) {
  let x = tabSeed;
  const rnd = () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return (x >>> 0) / 4294967296; };
  const total = classes.reduce((s, c) => s + c[1], 0);
  const pickClass = () => { let r = rnd() * total; for (let i = 0; i < classes.length; i++) { r -= classes[i][1]; if (r < 0) return i; } return 0; };
  const cache = new Map();  // seed → {bytes, hex}: generated once per tab
  const fileFor = async (ci, k) => {
    const seed = (ci + 1) * 1000 + k;
    if (cache.has(seed)) return cache.get(seed);
    const bytes = cosT.randomBytes(classes[ci][0], seed);
    const f = { bytes, hex: await cosT.sha256(bytes) };
    // Keep small files (≤ 10 MB, at most 6); 100 MB files are regenerated (outside the timing).
    if (bytes.length <= 10 * 1024 * 1024) {
      cache.set(seed, f);
      for (const key of cache.keys()) { if (cache.size <= 6) break; cache.delete(key); }
    }
    return f;
  };
  const written = new Set();
  const ops = [];
  const mine = [];
  while (Date.now() < until) {
    const ci = pickClass();
    const k = Math.floor(rnd() * classes[ci][2]);
    const key = `${ci}:${k}`;
    const isRead = written.has(key) && rnd() < readShare;
    const f = await fileFor(ci, k);
    const t0 = performance.now();
    let ok = true;
    let error = null;
    try {
      if (isRead) {
        const h = await navigator.crossOriginStorage.getFileHandle({ algorithm: 'SHA-256', value: f.hex });
        const file = await h.getFile();
        const buf = await file.arrayBuffer();
        if (buf.byteLength !== f.bytes.length) throw new Error(`short read ${buf.byteLength}`);
        if (rnd() < 0.1 && (await cosT.sha256(buf)) !== f.hex) throw new Error('wrong bytes');
      } else {
        const h = await navigator.crossOriginStorage.getFileHandle({ algorithm: 'SHA-256', value: f.hex }, { create: true });
        const w = await h.createWritable();
        await w.write(new Blob([f.bytes]));
        await w.close();
        written.add(key);
      }
    } catch (e) {
      ok = false;
      error = `${e.name}: ${e.message}`;
    }
    mine.push({ op: isRead ? 'read' : 'write', ci, bytes: f.bytes.length, ms: performance.now() - t0, ok, error });
  }
  ops.push(...mine);
  return { ops, heap: performance.memory ? performance.memory.usedJSHeapSize : null };
}

async function main() {
  const server = await startProductServer();
  servePolicy(server, RECOMMENDED_POLICY);
  const launched = await launchBrowser({ mode: 'cookies-allowed' });
  const memory = [];
  let timer;
  try {
    const tabs = [];
    for (const host of TABS) tabs.push(await openTestSite(launched, server, host));
    console.log(`load: ${TABS.length} tabs (${TABS.join(', ')}), ${SECONDS} s, reads ${READ_SHARE * 100} % once written, sizes ${CLASSES.map(([b, w]) => `${b >= MB ? `${b / MB} MB` : `${b / KB} KB`}×${w}`).join(' ')}`);
    const sample = () => {
      const m = processMemory(launched);
      memory.push({ t: Math.round((Date.now() - started) / 1000), pssMiB: Math.round(m.totalPssBytes / MB) });
    };
    const started = Date.now();
    sample();
    timer = setInterval(sample, 10_000);
    const until = Date.now() + SECONDS * 1000;
    const results = await Promise.all(tabs.map((t, i) => t.page.evaluate(tabLoop, { classes: CLASSES, readShare: READ_SHARE, until, tabSeed: 1234 + i * 77 })));
    clearInterval(timer);
    sample();
    const elapsed = (Date.now() - started) / 1000;
    const ops = results.flatMap((r) => r.ops);
    const errors = ops.filter((o) => !o.ok);
    const bytes = (list) => list.reduce((s, o) => s + o.bytes, 0);
    console.log(`ops ${ops.length} in ${elapsed.toFixed(0)} s: ${(ops.length / elapsed).toFixed(1)} ops/s; read ${(bytes(ops.filter((o) => o.op === 'read' && o.ok)) / MB / elapsed).toFixed(1)} MiB/s, written (verified) ${(bytes(ops.filter((o) => o.op === 'write' && o.ok)) / MB / elapsed).toFixed(1)} MiB/s; errors ${errors.length}`);
    for (const op of ['read', 'write']) {
      for (let ci = 0; ci < CLASSES.length; ci++) {
        const list = ops.filter((o) => o.op === op && o.ci === ci && o.ok);
        if (!list.length) continue;
        const s = summarize(list.map((o) => o.ms));
        const size = CLASSES[ci][0] >= MB ? `${CLASSES[ci][0] / MB} MB` : `${CLASSES[ci][0] / KB} KB`;
        console.log(`  ${op.padEnd(5)} ${size.padStart(6)}: n=${String(s.n).padStart(5)}  p50 ${s.p50.toFixed(1).padStart(8)} ms  p99 ${s.p99.toFixed(1).padStart(8)} ms  max ${s.max.toFixed(1).padStart(8)} ms`);
      }
    }
    console.log(`memory (PSS of every browser process, MiB) over time: ${memory.map((m) => `${m.t}s:${m.pssMiB}`).join(' ')}`);
    const firstHalf = memory.slice(1, Math.ceil(memory.length / 2)).map((m) => m.pssMiB);
    const secondHalf = memory.slice(Math.ceil(memory.length / 2)).map((m) => m.pssMiB);
    if (firstHalf.length && secondHalf.length) {
      console.log(`memory: max of the first half ${Math.max(...firstHalf)} MiB, max of the second half ${Math.max(...secondHalf)} MiB`);
    }
    if (errors.length) {
      console.log(`ERRORS (${errors.length}): ${[...new Set(errors.map((e) => `${e.op} ${e.bytes}: ${e.error}`))].slice(0, 10).join(' | ')}`);
      process.exitCode = 1;
    }
  } finally {
    clearInterval(timer);
    await launched.close();
    await server.close();
  }
}

await main();
