// Benchmark (figures only, never pass/fail): where the CPU goes while a site stores a file.
// A Chromium trace (CDP Tracing, thread times on) around verified stores through
// navigator.crossOriginStorage and around the site writing the same bytes to its own OPFS
// with a sync access handle in a dedicated worker, in the same browser. Prints, per thread,
// the CPU time per store and per MB, and what the busiest threads spend it on.
// On a 2-core machine, a store whose threads together need C ms of CPU cannot finish in less
// than C / 2 ms: the "CPU / cores" row against the wall time tells whether a store is
// CPU-bound (then only less work helps) or waits (then more overlap helps).
// Run: node tools/bench/cpu-store.mjs (also in npm run bench). Env: CPU_SIZES (MB list,
// default "10,177"), CPU_RUNS (stores per size and kind, default 3).
import os from 'node:os';
import { execFileSync } from 'node:child_process';
import { launchBrowser } from '../../tests/e2e/lib/browser.js';
import { openSite, startProductServer } from '../../tests/e2e/lib/product.js';
import { CHUNK, RAW_WORKER, digestOf, preparePage } from './lib/chunks.mjs';

const SIZES = (process.env.CPU_SIZES ?? '10,177').split(',').map((s) => Math.round(Number(s) * 1e6));
const RUNS = Math.max(1, Number(process.env.CPU_RUNS) || 3);
const CATEGORIES = ['toplevel', 'v8', 'blink', 'ipc', 'mojom', 'devtools.timeline', 'disabled-by-default-devtools.timeline', 'disabled-by-default-v8.gc', 'base', 'storage'];

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const ms = (us) => (us / 1000).toFixed(1);

// Both kinds mark their window with console.timeStamp in the page (a TimeStamp trace event).
function verified(page, run, size, hex) {
  return page.evaluate(async ([run, size, hex]) => {
    console.timeStamp('cos-bench-start');
    const t0 = performance.now();
    const handle = await navigator.crossOriginStorage.getFileHandle({ algorithm: 'SHA-256', value: hex }, { create: true, origins: '*' });
    const w = await handle.createWritable();
    for (let i = 0, at = 0; at < size; i++) {
      const c = makeChunk(window.base, run, i, size);
      at += c.byteLength;
      await w.write(c);
    }
    await w.close();
    const wall = performance.now() - t0;
    console.timeStamp('cos-bench-end');
    return wall;
  }, [run, size, hex]);
}

function rawSync(page, run, size) {
  return page.evaluate(async ([run, size]) => {
    const worker = new Worker('/bench/raw-worker.js');
    await new Promise((resolve) => setTimeout(resolve, 50));  // let the worker start outside the window
    const name = `cpu-${run}-${size}`;
    console.timeStamp('cos-bench-start');
    const r = await new Promise((resolve) => {
      worker.onmessage = (e) => resolve(e.data);
      worker.postMessage({ base: window.base, run, size, name, piece: window.base.byteLength });
    });
    console.timeStamp('cos-bench-end');
    worker.terminate();
    const root = await navigator.storage.getDirectory();
    await root.removeEntry(name).catch(() => {});
    if (r.error) throw new Error(r.error);
    return r.ms;
  }, [run, size]);
}

async function traced(browser, fn) {
  const cdp = await browser.newBrowserCDPSession();
  const events = [];
  cdp.on('Tracing.dataCollected', (e) => { for (const ev of e.value) events.push(ev); });
  const complete = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
  await cdp.send('Tracing.start', { traceConfig: { includedCategories: CATEGORIES } });
  const result = await fn();
  await cdp.send('Tracing.end');
  await complete;
  await cdp.detach();
  return { events, result };
}

/** CPU (thread time) of top-level slices inside the marked windows, per thread, and self wall time per event name. */
function account(events) {
  const stamps = events.filter((e) => e.name === 'TimeStamp' && /cos-bench-(start|end)/.test(JSON.stringify(e.args ?? {})))
    .map((e) => ({ start: JSON.stringify(e.args).includes('cos-bench-start'), ts: e.ts, pid: e.pid }))
    .sort((a, b) => a.ts - b.ts);
  const windows = [];
  for (let i = 0; i + 1 < stamps.length; i++) if (stamps[i].start && !stamps[i + 1].start) windows.push([stamps[i].ts, stamps[i + 1].ts]);
  const inside = (ts) => windows.some(([a, b]) => ts >= a && ts < b);
  const threadName = new Map();
  const pidOf = {};
  for (const e of events) {
    if (e.ph !== 'M' || e.name !== 'thread_name') continue;
    threadName.set(`${e.pid}/${e.tid}`, e.args.name);
    if (e.args.name === 'CrBrowserMain') pidOf.browser = e.pid;
    if (e.args.name === 'SharedWorker thread') pidOf.hub = e.pid;
  }
  pidOf.page = stamps[0]?.pid;
  const role = (pid) => (pid === pidOf.page ? 'site page' : pid === pidOf.hub ? 'hub renderer' : pid === pidOf.browser ? 'browser' : 'other');
  const perThread = new Map();
  for (const e of events) {
    if (e.ph !== 'X' || e.dur == null || !inside(e.ts)) continue;
    const key = `${e.pid}/${e.tid}`;
    if (!perThread.has(key)) perThread.set(key, []);
    perThread.get(key).push(e);
  }
  const threads = [];
  for (const [key, list] of perThread) {
    list.sort((a, b) => a.ts - b.ts || b.dur - a.dur);
    const stack = [];
    const self = new Map();
    let cpu = 0;
    for (const e of list) {
      while (stack.length && stack.at(-1).ts + stack.at(-1).dur <= e.ts) stack.pop();
      if (stack.length) self.set(stack.at(-1), (self.get(stack.at(-1)) ?? 0) - e.dur);
      else cpu += e.tdur ?? 0;
      self.set(e, (self.get(e) ?? 0) + e.dur);
      stack.push(e);
    }
    const byName = new Map();
    for (const [e, us] of self) byName.set(e.name, (byName.get(e.name) ?? 0) + us);
    const pid = Number(key.split('/')[0]);
    const name = `${role(pid)}: ${threadName.get(key) ?? 'thread'}`;
    threads.push({ name, cpu, top: [...byName].sort((a, b) => b[1] - a[1]).slice(0, 4) });
  }
  // Threads of one kind (e.g. pool workers) add up under one name.
  const merged = new Map();
  for (const t of threads) {
    const m = merged.get(t.name) ?? { name: t.name, cpu: 0, top: [] };
    m.cpu += t.cpu;
    if (t.cpu > (m.topCpu ?? -1)) { m.top = t.top; m.topCpu = t.cpu; }
    merged.set(t.name, m);
  }
  return { windows: windows.length, threads: [...merged.values()].sort((a, b) => b.cpu - a.cpu) };
}

const server = await startProductServer();
server.route('site-a.test', '/bench/raw-worker.js', (req, res) => { res.setHeader('Content-Type', 'text/javascript'); res.end(RAW_WORKER); });
const launched = await launchBrowser({ mode: 'cookies-allowed' });
try {
  const { page, status } = await openSite(launched, server, 'site-a.test');
  if (status !== 'shared') throw new Error(`hub access: ${status} (expected shared)`);
  await preparePage(page);
  let run = 1;
  for (let i = 0; i < 2; i++, run++) await verified(page, run, 10e6, digestOf(run, 10e6));  // warm-up
  await rawSync(page, run++, 10e6);
  console.log(`## Where the CPU goes while storing (${os.cpus().length} cores; ${RUNS} stores per row, thread CPU time inside the stores' windows)\n`);
  for (const size of SIZES) {
    const kinds = {};
    for (const [kind, fn] of [['verified', (r) => verified(page, r, size, digestOf(r, size))], ['raw sync handle', (r) => rawSync(page, r, size)]]) {
      const { events, result } = await traced(launched.browser, async () => {
        const walls = [];
        for (let i = 0; i < RUNS; i++, run++) {
          execFileSync('sync');  // no writeback of the previous store still running
          walls.push(await fn(run));
        }
        return walls;
      });
      kinds[kind] = { walls: result, ...account(events) };
    }
    const mb = size / 1e6;
    console.log(`### ${mb} MB in ${CHUNK >> 20} MiB writes\n`);
    console.log('| thread | verified: CPU ms per store | per MB | raw sync handle: CPU ms per store | per MB |');
    console.log('|---|---:|---:|---:|---:|');
    const names = [...new Set([...kinds.verified.threads, ...kinds['raw sync handle'].threads].map((t) => t.name))];
    const cpuOf = (kind, name) => (kinds[kind].threads.find((t) => t.name === name)?.cpu ?? 0) / kinds[kind].windows;
    const rows = names.map((n) => [n, cpuOf('verified', n), cpuOf('raw sync handle', n)]).filter(([, v, r]) => v >= 500 || r >= 500);
    rows.sort((a, b) => b[1] - a[1]);
    for (const [n, v, r] of rows) console.log(`| ${n} | ${ms(v)} | ${(v / 1000 / mb).toFixed(2)} | ${ms(r)} | ${(r / 1000 / mb).toFixed(2)} |`);
    const total = (kind) => kinds[kind].threads.reduce((a, t) => a + t.cpu, 0) / kinds[kind].windows;
    const wall = (kind) => median(kinds[kind].walls);
    console.log(`| **all threads** | ${ms(total('verified'))} | ${(total('verified') / 1000 / mb).toFixed(2)} | ${ms(total('raw sync handle'))} | ${(total('raw sync handle') / 1000 / mb).toFixed(2)} |`);
    console.log(`| CPU / ${os.cpus().length} cores (the least wall time this work can take) | ${ms(total('verified') / os.cpus().length)} | | ${ms(total('raw sync handle') / os.cpus().length)} | |`);
    console.log(`| wall time, median of ${RUNS} | ${wall('verified').toFixed(1)} | | ${wall('raw sync handle').toFixed(1)} | |\n`);
    console.log('Busiest threads of the verified store, self wall time per trace event (ms per store):');
    for (const t of kinds.verified.threads.slice(0, 5)) {
      console.log(`- ${t.name}: ${t.top.map(([n, us]) => `${n} ${ms(us / kinds.verified.windows)}`).join(', ')}`);
    }
    console.log();
  }
} finally {
  await launched.close();
  await server.close();
}
