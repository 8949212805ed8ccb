// Benchmark (figures only, never pass/fail): what the hops of a verified store cost by
// themselves, in the same Chromium. A verified store moves every chunk page → hub frame (a
// cross-site iframe: another renderer process) → hub SharedWorker → write worker (both in
// the hub's process). This measures each kind of hop alone, with 64 × 4 MiB chunks and
// nothing else running, and what a fresh 4 MiB buffer costs against a reused one.
// Run: node tools/bench/hops.mjs (also in npm run bench). Env: HOPS_RUNS (default 5).
import { launchBrowser } from '../../tests/e2e/lib/browser.js';
import { startProductServer } from '../../tests/e2e/lib/product.js';

const RUNS = Math.max(1, Number(process.env.HOPS_RUNS) || 5);
const COUNT = 64;
const CHUNK = 4 << 20;

// A receiver that counts chunks and answers once all arrived, on whichever channel asked.
const SINK_WORKER = `
let n = 0, bytes = 0, want = 0, reply = null;
const got = (d, to) => {
  if (d && d.want) { want = d.want; n = 0; bytes = 0; reply = to; return; }
  n++; bytes += d.byteLength;
  if (n === want) reply.postMessage({ bytes });
};
onmessage = (e) => {
  if (e.data && e.data.port) { const port = e.data.port; port.onmessage = (m) => got(m.data, port); return; }
  got(e.data, self);
};`;
const SINK_FRAME = `<!doctype html><script>
let n = 0, bytes = 0, want = 0, source = null;
onmessage = (e) => {
  if (e.data && e.data.want) { want = e.data.want; n = 0; bytes = 0; source = e.source; return; }
  n++; bytes += e.data.byteLength;
  if (n === want) source.postMessage({ bytes }, '*');
};
</script>`;

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const range = (xs, digits = 0) => `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;

const server = await startProductServer();
server.route('site-a.test', '/hops/page.html', (req, res) => { res.setHeader('Content-Type', 'text/html'); res.end('<!doctype html><title>hops</title>'); });
server.route('site-a.test', '/hops/sink.js', (req, res) => { res.setHeader('Content-Type', 'text/javascript'); res.end(SINK_WORKER); });
server.route('site-b.test', '/hops/frame.html', (req, res) => { res.setHeader('Content-Type', 'text/html'); res.end(SINK_FRAME); });
const launched = await launchBrowser({ mode: 'cookies-allowed' });

try {
  const page = await launched.newPage(server.url('site-a.test', '/hops/page.html'));
  await page.evaluate(async (frameUrl) => {
    window.sink = new Worker('/hops/sink.js');
    window.channel = new MessageChannel();
    sink.postMessage({ port: channel.port2 }, [channel.port2]);
    window.frame = document.createElement('iframe');
    frame.src = frameUrl;
    document.body.append(frame);
    await new Promise((resolve) => { frame.onload = resolve; });
  }, server.url('site-b.test', '/hops/frame.html'));

  const rows = {};
  for (let r = 0; r < RUNS; r++) {
    const out = await page.evaluate(async ([COUNT, CHUNK]) => {
      const source = new Uint8Array(CHUNK).fill(3);
      const reused = new Uint8Array(CHUNK);
      const result = {};

      // Memory: a fresh buffer per chunk (allocated, filled, dropped) vs one reused buffer.
      for (const [name, fill] of [
        ['fresh 4 MiB buffer per chunk, filled', () => { const b = new Uint8Array(CHUNK); b.set(source); return b; }],
        ['one reused 4 MiB buffer, filled', () => { reused.set(source); return reused; }],
      ]) {
        const t0 = performance.now();
        for (let i = 0; i < COUNT; i++) fill();
        const ms = performance.now() - t0;
        result[name] = { mbps: COUNT * CHUNK / 1e6 / (ms / 1000), pageMsPerMB: ms / (COUNT * CHUNK / 1e6) };
      }

      const toWorker = { post: (m, t) => sink.postMessage(m, t), listen: (cb) => { sink.onmessage = (e) => cb(e.data); } };
      const toPort = { post: (m, t) => channel.port1.postMessage(m, t), listen: (cb) => { channel.port1.onmessage = (e) => cb(e.data); } };
      const toFrame = { post: (m, t) => frame.contentWindow.postMessage(m, '*', t), listen: (cb) => { window.onmessage = (e) => cb(e.data); } };
      const freshCopy = (size) => () => { const b = new Uint8Array(size); b.set(source.subarray(0, size)); return [b.buffer, [b.buffer]]; };
      const routes = [
        // Prepared before the clock: only the hop is timed.
        ['same process: page → dedicated worker, transferred', toWorker, CHUNK, null],
        ['same process: MessageChannel port → worker, transferred', toPort, CHUNK, null],
        ['cross-site frame (other process): prepared buffers, transferred', toFrame, CHUNK, null],
        // What a page does per chunk, timed with the hop.
        ['cross-site frame: fresh copy + transfer (the polyfill today)', toFrame, CHUNK, freshCopy(CHUNK)],
        ['cross-site frame: reused buffer, cloned', toFrame, CHUNK, () => { reused.set(source); return [reused.buffer, []]; }],
        ['cross-site frame: 896 KiB fresh copies + transfer', toFrame, 896 << 10, freshCopy(896 << 10)],
      ];
      for (const [name, route, size, make] of routes) {
        const count = Math.round(COUNT * CHUNK / size);
        const prepared = make ? null : Array.from({ length: count }, () => { const b = new Uint8Array(size); b.set(source.subarray(0, size)); return b.buffer; });
        route.post({ want: count }, []);
        await new Promise((resolve) => setTimeout(resolve, 50));
        const done = new Promise((resolve) => route.listen(resolve));
        const t0 = performance.now();
        let pageMs = 0;
        for (let i = 0; i < count; i++) {
          const s = performance.now();
          const [message, transfer] = make ? make() : [prepared[i], [prepared[i]]];
          route.post(message, transfer);
          pageMs += performance.now() - s;
        }
        const { bytes } = await done;
        const ms = performance.now() - t0;
        if (bytes !== count * size) throw new Error(`${name}: ${bytes} bytes arrived, ${count * size} sent`);
        result[name] = { mbps: count * size / 1e6 / (ms / 1000), pageMsPerMB: pageMs / (count * size / 1e6) };
      }
      return result;
    }, [COUNT, CHUNK]);
    for (const [name, v] of Object.entries(out)) (rows[name] ??= []).push(v);
  }

  console.log(`## Hops alone (${COUNT} × 4 MiB = ${(COUNT * CHUNK / 1e6).toFixed(0)} MB per route, ${RUNS} runs; MB/s until the receiver has all, and the page's main-thread time)`);
  console.log();
  console.log('| route | MB/s median (min–max) | page main thread, ms per MB |');
  console.log('|---|---:|---:|');
  for (const [name, list] of Object.entries(rows)) {
    console.log(`| ${name} | ${range(list.map((x) => x.mbps))} | ${range(list.map((x) => x.pageMsPerMB), 2)} |`);
  }
} finally {
  await launched.close();
  await server.close();
}
