// Benchmark (figures only, never pass/fail): Transformers.js 4.3.1 in real Chromium, site A
// runs a feature-extraction pipeline, then site B runs the same; we report site B's time to
// first inference (import → first output, in the page) and the bytes the server sent to site
// B, without COS, with the built-in COS flag, and with our adapter, each in a fresh profile.
// The model is the tests' tiny BERT widened to ~MODEL_MB so weights weigh like a small model.
// Each row runs twice: on the raw localhost link (the network costs ~nothing, so this shows
// COS's own overhead) and with the page's network throttled through CDP to MBPS Mbit/s
// (what the bytes cost a user; the hub frame's own requests are not throttled).
// Run: npm run bench (or BENCH=transformers npm run bench), or
//      node tools/bench/transformers.mjs [modelMB=26] [runs=1] [mbps=50]
import { launchBrowser } from '../../tests/e2e/lib/browser.js';
import { REPO_ROOT } from '../../tests/e2e/lib/certs.js';
import { mountHfHub, runTransformersPipeline, serveTransformers } from '../../tests/e2e/lib/hf-hub.js';
import { openSite, startProductServer } from '../../tests/e2e/lib/product.js';
import { sha256Hex, tinyModelFiles, VOCAB } from '../../tests/e2e/lib/tiny-model.js';

const MODEL_MB = Number(process.argv[2] ?? 26);
const RUNS = Number(process.argv[3] ?? 1);
const MBPS = Number(process.argv[4] ?? 50);
const MODEL = 'bench/bert';
const TEXT = 'hello world';
const HOSTS = ['site-a.test', 'site-b.test'];
const VERSION = '4.3';

const hidden = Math.max(8, Math.round((MODEL_MB * 1e6) / (VOCAB.length * 4)));
const files = tinyModelFiles({ hidden });
const manifest = Object.fromEntries(Object.entries(files).map(([p, b]) => [p, { sha256: sha256Hex(b), size: b.length }]));
const server = await startProductServer();
const hub = mountHfHub(server, { hosts: HOSTS, models: { [MODEL]: files } });
serveTransformers(server, HOSTS, REPO_ROOT);
for (const host of HOSTS) {
  server.route(host, '/bench.cos-manifest.json', (req, res) => {
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify(manifest));
  });
}

function fetched(host, since) {
  const sum = { total: 0, model: 0, ort: 0 };
  for (const r of server.requestsFor({ host, since })) {
    sum.total += r.bytes;
    if (r.path.startsWith(`/hf/${MODEL}/resolve/`)) sum.model += r.bytes;
    if (r.path.startsWith('/ort/')) sum.ort += r.bytes;
  }
  return sum;
}

async function scenario(mode, mbps) {
  const launched = await launchBrowser({ mode: 'cookies-allowed' });
  try {
    const run = async (host) => {
      const since = server.mark();
      const { page } = await openSite(launched, server, host);
      if (mbps) {
        const cdp = await page.context().newCDPSession(page);
        await cdp.send('Network.emulateNetworkConditions', {
          offline: false, latency: 20, downloadThroughput: (mbps * 1e6) / 8, uploadThroughput: (mbps * 1e6) / 8,
        });
      }
      const out = await runTransformersPipeline(page, {
        version: VERSION, mode, remoteHost: hub.remoteHost(host), model: MODEL, text: TEXT, manifestUrl: '/bench.cos-manifest.json',
      });
      // The built-in path finishes storing non-LFS files after the pipeline resolves.
      await new Promise((r) => setTimeout(r, 1000));
      return { ms: out.ms, bytes: fetched(host, since), first: out.data[0] };
    };
    const a = await run('site-a.test');
    const b = await run('site-b.test');
    if (a.first !== b.first) throw new Error(`outputs differ: ${a.first} vs ${b.first}`);
    return { a, b };
  } finally {
    await launched.close();
  }
}

const MB = (n) => (n / 1e6).toFixed(2).padStart(7);
const modelBytes = Object.values(files).reduce((n, b) => n + b.length, 0);
console.log(`Transformers.js ${VERSION}, feature-extraction, model files ${MB(modelBytes)} MB + ORT asyncify wasm/mjs; `
  + `Chromium headless, cookies-allowed; ${RUNS} run(s) per row, fresh profile each`);
console.log('link       | scenario          | site B first inference | site B fetched:   total      model        ORT | site A first inference');
try {
  for (const mbps of [0, MBPS]) {
    for (const [mode, label] of [['none', 'without COS'], ['builtin', 'COS built-in flag'], ['adapter', 'COS adapter']]) {
      for (let i = 0; i < RUNS; i++) {
        const { a, b } = await scenario(mode, mbps);
        const link = mbps ? `${mbps} Mbit/s` : 'localhost';
        console.log(`${link.padEnd(10)} | ${label.padEnd(17)} | ${b.ms.toFixed(0).padStart(19)} ms | ${MB(b.bytes.total)} MB ${MB(b.bytes.model)} MB ${MB(b.bytes.ort)} MB | ${a.ms.toFixed(0).padStart(19)} ms`);
      }
    }
  }
} finally {
  await server.close();
}
