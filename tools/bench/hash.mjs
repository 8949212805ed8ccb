// Benchmark (no pass/fail): SHA-256 throughput of the Wasm core's Sha256Stream
// against hash-wasm, Node's crypto (OpenSSL) and WebCrypto, 256 MiB in 1 MiB and
// 64 KiB chunks, every digest checked. Run by `npm run bench` (scripts/bench.sh).
// Env: BENCH_MB (default 256), BENCH_RUNS (default 5, timed runs after one warm-up),
// BENCH_CORE (another build of cos-core.mjs, e.g. one compiled with -msimd128).
import crypto from 'node:crypto';
import os from 'node:os';
import { createSHA256 } from 'hash-wasm';

const TOTAL = (Number(process.env.BENCH_MB) || 256) << 20;
const RUNS = Math.max(5, Number(process.env.BENCH_RUNS) || 5);
const CHUNKS = [1 << 20, 64 << 10];

const data = new Uint8Array(TOTAL);
for (let off = 0; off < TOTAL; off += 65536) crypto.randomFillSync(data, off, Math.min(65536, TOTAL - off));
const expected = crypto.createHash('sha256').update(data).digest('hex');

const coreUrl = process.env.BENCH_CORE
  ? new URL(process.env.BENCH_CORE, `file://${process.cwd()}/`)
  : new URL('../../dist/cos-core.mjs', import.meta.url);
const { loadCore } = await import(coreUrl.href);
const core = await loadCore();
const hashWasm = await createSHA256();

function feed(chunk, update) {
  for (let off = 0; off < TOTAL; off += chunk) update(data.subarray(off, Math.min(off + chunk, TOTAL)));
}

// libsodium through the same Wasm module, when the bindings expose it (the reference path).
function referenceImpl() {
  if (core.Sha256Reference) {
    return (chunk) => {
      const s = new core.Sha256Reference();
      feed(chunk, (u8) => s.update(u8));
      const hex = s.digestHex();
      s.delete();
      return hex;
    };
  }
  const m = core.raw;
  if (!m || !m.Sha256ReferenceRaw) return null;
  const ptr = m.inputBuffer(), cap = m.inputBufferBytes();
  return (chunk) => {
    const s = new m.Sha256ReferenceRaw();
    feed(chunk, (u8) => {
      for (let off = 0; off < u8.length; off += cap) {
        const n = Math.min(cap, u8.length - off);
        m.HEAPU8.set(u8.subarray(off, off + n), ptr);
        s.updateFromInput(n);
      }
    });
    const hex = s.digestHex();
    s.delete();
    return hex;
  };
}

const impls = [
  ['ours: Wasm Sha256Stream', (chunk) => {
    const s = new core.Sha256Stream();
    feed(chunk, (u8) => s.update(u8));
    const hex = s.digestHex();
    s.delete();
    return hex;
  }],
  ['ours: Wasm libsodium reference', referenceImpl()],
  ['hash-wasm createSHA256()', (chunk) => {
    hashWasm.init();
    feed(chunk, (u8) => hashWasm.update(u8));
    return hashWasm.digest('hex');
  }],
  ["node crypto.createHash('sha256')", (chunk) => {
    const h = crypto.createHash('sha256');
    feed(chunk, (u8) => h.update(u8));
    return h.digest('hex');
  }],
].filter(([, run]) => run);

// [label, chunk label, async run] for every case, WebCrypto once (it has no chunks).
const cases = [];
for (const chunk of CHUNKS) {
  for (const [name, run] of impls) cases.push({ name, chunk: `${chunk >> 10} KiB`, run: async () => run(chunk) });
}
cases.push({
  name: 'WebCrypto subtle.digest (one-shot)', chunk: 'whole',
  run: async () => Buffer.from(await crypto.webcrypto.subtle.digest('SHA-256', data)).toString('hex'),
});

// Interleaved rounds so drift and other load spread over every case alike.
// CPU time (all threads of this process) is reported beside wall time: on a shared
// machine it is far less disturbed by other processes.
for (const c of cases) { c.mbs = []; c.cpuMbs = []; }
for (let round = 0; round <= RUNS; round++) {
  for (const c of cases) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const hex = await c.run();
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    if (hex !== expected) throw new Error(`${c.name} (${c.chunk}): digest ${hex} != ${expected}`);
    if (round > 0) {  // round 0 warms up (JIT tier-up)
      c.mbs.push(TOTAL / 1e6 / seconds);
      c.cpuMbs.push(TOTAL / 1e6 / ((cpu.user + cpu.system) / 1e6));
    }
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const hashWasmMedian = {};
for (const c of cases) if (c.name.startsWith('hash-wasm')) hashWasmMedian[c.chunk] = median(c.mbs);

console.log(`SHA-256, ${TOTAL >> 20} MiB, median of ${RUNS} runs (MB/s = 10^6 bytes/s); ` +
  `node ${process.version}, ${os.cpus()[0].model.trim()}, ${os.cpus().length} cores, ` +
  `load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}; core ${coreUrl.pathname}`);
const rows = cases.map((c) => {
  const m = median(c.mbs);
  const base = hashWasmMedian[c.chunk];
  return [c.name, c.chunk, m.toFixed(0), `${Math.min(...c.mbs).toFixed(0)}–${Math.max(...c.mbs).toFixed(0)}`,
    base ? `${(m / base).toFixed(2)}×` : '', median(c.cpuMbs).toFixed(0)];
});
const header = ['implementation', 'chunk', 'MB/s', 'min–max', 'vs hash-wasm', 'MB per CPU-s'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r) => `| ${r.map((x, i) => (i >= 2 ? x.padStart(widths[i]) : x.padEnd(widths[i]))).join(' | ')} |`;
console.log(line(header));
console.log(`|${widths.map((w, i) => (i >= 2 ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2))).join('|')}|`);
for (const r of rows) console.log(line(r));
console.log(`all ${cases.length} digests agree: ${expected}`);
