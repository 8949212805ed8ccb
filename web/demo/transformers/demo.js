// Loaded by web/demo/transformers/index.html on each demo site: runs one Transformers.js
// pipeline with COS enabled and lists every file (hit, stored, unshared, rejected) with the
// bytes the shared store saved. Touches only this page, fetch and navigator.crossOriginStorage.
const MODEL = 'cos-demo/tiny-bert';
const $ = (id) => document.getElementById(id);
const fmt = (n) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} kB` : `${n} B`);

async function showStatus() {
  const cos = navigator.crossOriginStorage;
  for (let i = 0; i < 400 && cos?.polyfill?.status() === 'connecting'; i++) await new Promise((r) => setTimeout(r, 25));
  $('status').textContent = cos ? (cos.polyfill ? cos.polyfill.status() : 'native') : 'unavailable';
}

/** The server's view of what this page downloaded: the Resource Timing entries. */
function downloaded(since) {
  return performance.getEntriesByType('resource')
    .filter((e) => e.startTime >= since && /\/transformers\/(hf|vendor\/ort)\//.test(e.name))
    .map((e) => ({ url: e.name, bytes: e.encodedBodySize }));
}

async function run(mode) {
  $('run').disabled = true;
  $('summary').textContent = 'Loading…';
  const tbody = $('files').tBodies[0];
  tbody.replaceChildren();
  const since = performance.now();
  try {
    const { env, pipeline } = await import('/transformers/vendor/transformers.js');
    env.allowLocalModels = false;
    env.useBrowserCache = false;
    env.remoteHost = new URL('/transformers/hf/', location.href).href;
    env.remotePathTemplate = '{model}/resolve/{revision}/';
    const ort = (name) => new URL(`/transformers/vendor/ort/${name}`, location.href).href;
    env.backends.onnx.wasm.wasmPaths = { wasm: ort('ort-wasm-simd-threaded.asyncify.wasm'), mjs: ort('ort-wasm-simd-threaded.asyncify.mjs') };
    env.backends.onnx.wasm.numThreads = 1;
    let cache = null;
    if (mode === 'builtin') env.experimental_useCrossOriginStorage = true;
    if (mode === 'adapter') {
      const { useCrossOriginStorage } = await import('/dist/transformers.mjs');
      cache = useCrossOriginStorage(env, {
        manifests: [{ base: `${env.remoteHost}${MODEL}/resolve/main/`, url: '/transformers/model.cos-manifest.json' }],
      });
    }
    const extractor = await pipeline('feature-extraction', MODEL, { dtype: 'fp32', device: 'wasm' });
    const out = await extractor('hello world', { pooling: 'mean', normalize: true });
    const ms = performance.now() - since;
    const fetched = downloaded(since);
    const rows = cache ? cache.report().files : fetched.map((f) => ({ url: f.url, type: 'downloaded', bytes: f.bytes, source: '–' }));
    for (const f of rows) {
      const tr = document.createElement('tr');
      for (const [text, cls] of [[new URL(f.url).pathname.replace('/transformers/', ''), ''], [f.type + (f.error ? ` (${f.error})` : ''), f.type], [fmt(f.bytes ?? 0), ''], [f.source ?? '', '']]) {
        const td = document.createElement('td');
        td.textContent = text;
        if (cls) td.className = cls;
        tr.append(td);
      }
      tbody.append(tr);
    }
    const saved = cache ? cache.report().bytesFromStorage : 0;
    const bytesFetched = fetched.reduce((n, f) => n + f.bytes, 0);
    $('summary').textContent = `First inference in ${ms.toFixed(0)} ms. Downloaded ${fmt(bytesFetched)} of model and runtime files`
      + (cache ? `; ${fmt(saved)} saved by the shared store.` : '.');
    $('output').textContent = Array.from(out.data.slice(0, 4), (v) => v.toFixed(4)).join(', ') + ', …';
    document.body.dataset.result = JSON.stringify({ ms, bytesFetched, saved, files: rows.map((f) => [f.url, f.type]), first: out.data[0] });
  } catch (error) {
    $('summary').textContent = `Failed: ${error}`;
  } finally {
    $('run').disabled = false;
  }
}

const params = new URLSearchParams(location.search);
if (params.get('mode')) $('mode').value = params.get('mode');
$('run').addEventListener('click', () => run($('mode').value));
await showStatus();
if (params.has('autorun')) run($('mode').value);
