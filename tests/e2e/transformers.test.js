// Issue 5: Transformers.js (the real npm package, 4.3.1 and 4.2.0) on a page that loaded
// our polyfill. A tiny BERT model generated here is served by a Hub-shaped route on each
// site; site A runs a feature-extraction pipeline, then site B (another site, another tab)
// runs the same. Built-in path (env.experimental_useCrossOriginStorage): site B fetches no
// LFS bytes. Adapter (cos-polyfill/transformers): site B fetches no model file and no ONNX
// Runtime wasm/mjs. A hostile site cannot plant wrong bytes under the model's hash.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { collectNetwork, launchBrowser } from './lib/browser.js';
import { REPO_ROOT } from './lib/certs.js';
import { mountHfHub, runTransformersPipeline, serveTransformers } from './lib/hf-hub.js';
import { openSite, startProductServer } from './lib/product.js';
import { embeddingValue, expectedEmbedding, sha256Hex, tinyModelFiles } from './lib/tiny-model.js';

const MODEL = 'tiny/bert';
const TEXT = 'Hello world cross origin storage';
const HOSTS = ['site-a.test', 'x.site-a.test', 'site-b.test', 'evil.test'];
const files = tinyModelFiles();
const manifest = Object.fromEntries(Object.entries(files).map(([p, b]) => [p, { sha256: sha256Hex(b), size: b.length }]));
const modelHex = manifest['onnx/model.onnx'].sha256;
let server;
let hub;

before(async () => {
  server = await startProductServer();
  // evil.test mirrors the repo with tampered weights (same length) but the genuine pointer.
  // Zeroing the first embedding row keeps a valid model, so evil's own pipeline still runs.
  const tampered = Buffer.from(files['onnx/model.onnx']);
  const row0 = Buffer.from(new Float32Array([embeddingValue(0, 0), embeddingValue(0, 1)]).buffer);
  tampered.fill(0, tampered.indexOf(row0), tampered.indexOf(row0) + 32);
  hub = mountHfHub(server, {
    hosts: HOSTS, models: { [MODEL]: files },
    override: (host, model, file) => (host === 'evil.test' && file === 'onnx/model.onnx' ? tampered : undefined),
  });
  serveTransformers(server, HOSTS, REPO_ROOT);
  for (const host of HOSTS) {
    server.route(host, '/tiny-bert.cos-manifest.json', (req, res) => {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(manifest));
    });
  }
});

after(async () => {
  await server?.close();
});

const runPipeline = (page, host, { version, mode }) => runTransformersPipeline(page, {
  version, mode, remoteHost: hub.remoteHost(host), model: MODEL, text: TEXT, manifestUrl: '/tiny-bert.cos-manifest.json',
});

function assertExpected(out, label) {
  const want = expectedEmbedding(TEXT);
  assert.deepEqual(out.dims, [1, want.length], `${label}: shape`);
  out.data.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-5, `${label}: element ${i} ${v} vs ${want[i]}`));
}

/** Bytes the server sent to `host` since `mark`, split into model files, ORT files, the rest. */
function bytesFetched(host, mark) {
  const sum = { model: 0, lfs: 0, ort: 0, other: 0, modelRequests: [] };
  for (const r of server.requestsFor({ host, since: mark })) {
    if (r.path.startsWith(`/hf/${MODEL}/resolve/`)) {
      sum.model += r.bytes;
      sum.modelRequests.push(r.path);
      if (r.path.endsWith('.onnx')) sum.lfs += r.bytes;
    } else if (r.path.startsWith('/ort/')) sum.ort += r.bytes;
    else sum.other += r.bytes;
  }
  return sum;
}

/** The browser's own view: requests of the page (and its frames) for model or runtime files. */
const fetchedByBrowser = (net, re) => net.events.filter((e) => e.type === 'request' && re.test(new URL(e.url).pathname)).map((e) => e.url);

async function twoSites(t, { version, mode, second = 'site-b.test' }) {
  const launched = await launchBrowser({ mode: 'cookies-allowed' });
  try {
    const a = await openSite(launched, server, 'site-a.test');
    assert.equal(a.status, 'shared');
    const markA = server.mark();
    const outA = await runPipeline(a.page, 'site-a.test', { version, mode });
    assertExpected(outA, 'site A');
    const fetchedA = bytesFetched('site-a.test', markA);
    assert.ok(fetchedA.lfs > 0, 'site A downloaded the weights');
    // The built-in path stores non-LFS files in the background after put() returns.
    await new Promise((r) => setTimeout(r, 1500));

    const markB = server.mark();
    const b = await openSite(launched, server, second);
    assert.equal(b.status, 'shared');
    const net = collectNetwork(b.page);
    const outB = await runPipeline(b.page, second, { version, mode });
    net.stop();
    assert.deepEqual(outB.data, outA.data, 'site B computes exactly what site A did');
    const fetchedB = bytesFetched(second, markB);
    t.diagnostic(`[${version} ${mode}] site A fetched model ${fetchedA.model} B, ORT ${fetchedA.ort} B in ${outA.ms.toFixed(0)} ms; `
      + `${second} fetched model ${fetchedB.model} B (${fetchedB.modelRequests.join(' ') || 'none'}), ORT ${fetchedB.ort} B in ${outB.ms.toFixed(0)} ms`);
    return { outA, outB, fetchedA, fetchedB, net };
  } finally {
    await launched.close();
  }
}

for (const version of ['4.3', '4.2']) {
  test(`[${version} built-in] experimental_useCrossOriginStorage: the second site fetches no LFS bytes`, { timeout: 180_000 }, async (t) => {
    // 4.2 writes with no `origins`, which is the same-site tier (SPEC §5): it shares with
    // x.site-a.test, not with site-b.test. 4.3 writes with origins '*'.
    const second = version === '4.2' ? 'x.site-a.test' : 'site-b.test';
    const { fetchedB, net } = await twoSites(t, { version, mode: 'builtin', second });
    assert.equal(fetchedB.lfs, 0, `${second} fetched no byte of onnx/model.onnx`);
    assert.deepEqual(fetchedByBrowser(net, /\/resolve\/main\/onnx\//), [], 'the browser requested no LFS file');
  });
}

test('[4.2 built-in] no origins given: another site does not see the entries (same-site tier)', { timeout: 180_000 }, async (t) => {
  const { fetchedB } = await twoSites(t, { version: '4.2', mode: 'builtin', second: 'site-b.test' });
  assert.ok(fetchedB.lfs > 0, 'site B downloads the weights again: 4.2 never widens visibility');
});

for (const version of ['4.3', '4.2']) {
  test(`[${version} adapter] site B fetches no model file and no ONNX Runtime wasm/mjs`, { timeout: 180_000 }, async (t) => {
    const { outA, outB, fetchedA, fetchedB, net } = await twoSites(t, { version, mode: 'adapter' });
    assert.ok(fetchedA.ort > 1_000_000, 'site A downloaded the runtime');
    assert.deepEqual(fetchedB.modelRequests, [], 'site B requested no model file from the server');
    assert.equal(fetchedB.ort, 0, 'site B fetched no ORT byte');
    assert.deepEqual(fetchedByBrowser(net, /^\/(hf|ort)\//), [], 'the browser requested no model or runtime file');
    const stored = outA.report.files.filter((f) => f.type === 'stored').map((f) => new URL(f.url).pathname).sort();
    assert.deepEqual(stored, [
      `/hf/${MODEL}/resolve/main/config.json`, `/hf/${MODEL}/resolve/main/onnx/model.onnx`,
      `/hf/${MODEL}/resolve/main/tokenizer.json`, `/hf/${MODEL}/resolve/main/tokenizer_config.json`,
      `/ort/${version}/ort-wasm-simd-threaded.asyncify.mjs`, `/ort/${version}/ort-wasm-simd-threaded.asyncify.wasm`,
    ], 'site A stored every file');
    assert.ok(outB.report.files.every((f) => f.type === 'hit'), 'every file is a hit on site B');
    assert.equal(outB.report.bytesFromStorage, outA.report.bytesStored);
    const sources = Object.fromEntries(outB.report.files.map((f) => [f.url.split('/').pop(), f.source]));
    assert.equal(sources['ort-wasm-simd-threaded.asyncify.wasm'], 'pinned');
    assert.equal(sources['model.onnx'], 'manifest');
    t.diagnostic(`[${version} adapter] site B read ${outB.report.bytesFromStorage} bytes from COS`);
  });
}

test('[4.3 adapter] a hostile site cannot plant wrong bytes under the model hash; site B gets the right model', { timeout: 240_000 }, async (t) => {
  const launched = await launchBrowser({ mode: 'cookies-allowed' });
  const attack = (page) => page.evaluate(async ({ value, size }) => {
    // Direct: wrong bytes of the right length under the model's hash.
    const handle = await navigator.crossOriginStorage.getFileHandle({ algorithm: 'SHA-256', value }, { create: true, origins: '*' });
    const writable = await handle.createWritable();
    await writable.write(new Uint8Array(size).fill(7));
    try {
      await writable.close();
      return 'stored';
    } catch (error) {
      return error.name;
    }
  }, { value: modelHex, size: files['onnx/model.onnx'].length });
  try {
    const evil = await openSite(launched, server, 'evil.test');
    assert.equal(await attack(evil.page), 'DataError', 'direct write of wrong bytes');
    // Through the adapter: evil's mirror serves tampered weights with the genuine pointer.
    const evilRun = await runPipeline(evil.page, 'evil.test', { version: '4.3', mode: 'adapter-lfs' });
    const model = evilRun.report.files.find((f) => f.url.endsWith('/onnx/model.onnx'));
    assert.equal(model.type, 'rejected');
    assert.equal(model.error, 'DataError');
    assert.equal(model.sha256, modelHex, 'the hash came from the LFS pointer');

    const a = await openSite(launched, server, 'site-a.test');
    const outA = await runPipeline(a.page, 'site-a.test', { version: '4.3', mode: 'adapter-lfs' });
    assertExpected(outA, 'site A');
    assert.equal(await attack(evil.page), 'DataError', 'wrong bytes after the genuine entry exists');

    const markB = server.mark();
    const b = await openSite(launched, server, 'site-b.test');
    const outB = await runPipeline(b.page, 'site-b.test', { version: '4.3', mode: 'adapter-lfs' });
    assertExpected(outB, 'site B');
    const hit = outB.report.files.find((f) => f.url.endsWith('/onnx/model.onnx'));
    assert.equal(hit.type, 'hit', 'site B read the genuine model from COS');
    assert.equal(hit.source, 'lfs-pointer');
    assert.equal(bytesFetched('site-b.test', markB).lfs, 0);
    // Without a manifest, small files have no trusted hash: they are fetched, not shared.
    const unshared = outB.report.files.filter((f) => f.type === 'unshared').map((f) => f.url.split('/').pop()).sort();
    assert.deepEqual(unshared, ['config.json', 'tokenizer.json', 'tokenizer_config.json']);
    t.diagnostic(`evil: ${JSON.stringify(evilRun.report.files.map((f) => [f.url.split('/').pop(), f.type, f.error ?? '']))}`);
  } finally {
    await launched.close();
  }
});
