// A local server route shaped like the Hugging Face Hub, so Transformers.js loads models
// with no internet: `<prefix>/<model>/resolve/<rev>/<file>` serves the bytes,
// `<prefix>/<model>/raw/<rev>/<file>` serves the Git LFS pointer for LFS files (the file
// itself otherwise), as huggingface.co does. Mounted per site so the request log tells
// which site fetched what. Used by the Transformers.js e2e test and the bench.
import { contentTypeFor } from './server.js';
import { sha256Hex } from './tiny-model.js';

/** The pointer text the Hub serves at /raw/ for an LFS file. */
export function lfsPointer(buf) {
  return `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256Hex(buf)}\nsize ${buf.length}\n`;
}

/** Which files of a repo are LFS: weights and anything large, like the Hub's .gitattributes. */
export const isLfsPath = (file, buf) => /\.(onnx|onnx_data|bin|safetensors)$/.test(file) || buf.length > 10 * 1024 * 1024;

/**
 * Registers the Hub routes on `hosts` of `server`.
 * @param {object} server tests/e2e/lib/server.js server
 * @param {{hosts: string[], prefix?: string, models: Record<string, Record<string, Buffer>>,
 *   override?: (host: string, model: string, file: string) => Buffer|undefined}} options
 *   models: model id → {path: bytes}; override: per-host replacement bytes (a hostile mirror)
 * @returns {{url(host: string, path?: string): string, remoteHost(host: string): string, remotePathTemplate: string}}
 */
export function mountHfHub(server, { hosts, prefix = '/hf', models, override }) {
  const pattern = new RegExp(`^${prefix}/(.+?)/(resolve|raw)/([^/]+)/(.+)$`);
  const handler = (req, res, { host, url }) => {
    const m = pattern.exec(decodeURIComponent(url.pathname));
    const files = m && models[m[1]];
    const original = files?.[m[4]];
    if (!original || m[3] !== 'main') {
      res.statusCode = 404;
      res.setHeader('Content-Type', 'text/plain');
      res.end('Entry not found');
      return;
    }
    const [, model, kind, , file] = m;
    const served = override?.(host, model, file) ?? original;
    let body = served;
    let type = contentTypeFor(file);
    if (kind === 'raw' && isLfsPath(file, original)) {
      // The pointer names the repo's file, whatever bytes this mirror serves.
      body = Buffer.from(lfsPointer(original));
      type = 'text/plain; charset=utf-8';
    }
    res.setHeader('Content-Type', type);
    res.setHeader('Content-Length', body.length);
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Expose-Headers', 'Content-Length, ETag');
    res.setHeader('ETag', `"${sha256Hex(served)}"`);
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  for (const host of hosts) {
    server.route(host, (p) => p.startsWith(`${prefix}/`), handler, { method: 'GET' });
    server.route(host, (p) => p.startsWith(`${prefix}/`), handler, { method: 'HEAD' });
  }
  return {
    url: (host, path = '') => server.url(host, `${prefix}/${path}`),
    remoteHost: (host) => server.url(host, `${prefix}/`),
    remotePathTemplate: '{model}/resolve/{revision}/',
  };
}

/** The Transformers.js builds under test: the browser bundle and the ORT files it pins. */
export const TRANSFORMERS_VERSIONS = {
  '4.3': { pkg: 'node_modules/@huggingface/transformers', ort: 'node_modules/onnxruntime-web' },
  '4.2': { pkg: 'node_modules/transformers-4-2', ort: 'node_modules/transformers-4-2/node_modules/onnxruntime-web' },
};

/**
 * Serves, on every host in `hosts`, `/tf/<v>/` (the package's dist/, whose transformers.js
 * is the self-contained browser bundle) and `/ort/<v>/` (onnxruntime-web's dist/ of the
 * version that bundle embeds), for each v in TRANSFORMERS_VERSIONS.
 */
export function serveTransformers(server, hosts, root) {
  for (const host of hosts) {
    for (const [v, { pkg, ort }] of Object.entries(TRANSFORMERS_VERSIONS)) {
      server.serveStatic(host, `${root}/${pkg}/dist`, { prefix: `/tf/${v}/` });
      server.serveStatic(host, `${root}/${ort}/dist`, { prefix: `/ort/${v}/` });
    }
  }
}

/**
 * What a site's page does, run in `page`: import Transformers.js `version`, point it at the
 * Hub-shaped route (`remoteHost`) and the local ORT files, enable COS, run one
 * feature-extraction pipeline on `text`. mode: 'none' (no COS, no browser cache),
 * 'builtin' (env.experimental_useCrossOriginStorage), 'adapter' (our adapter with the
 * site's manifest at `manifestUrl`), 'adapter-lfs' (our adapter, LFS pointers only).
 * Resolves to {dims, data, ms (import to first output), report (adapter only)}.
 */
export function runTransformersPipeline(page, { version, mode, remoteHost, model, text, manifestUrl }) {
  return page.evaluate(async ({ version, mode, remoteHost, model, text, manifestUrl }) => {
    const started = performance.now();
    const { env, pipeline } = await import(`/tf/${version}/transformers.js`);
    env.allowLocalModels = false;
    env.useBrowserCache = false;
    env.remoteHost = remoteHost;
    env.remotePathTemplate = '{model}/resolve/{revision}/';
    const ort = (name) => new URL(`/ort/${version}/${name}`, location.href).href;
    env.backends.onnx.wasm.wasmPaths = { wasm: ort('ort-wasm-simd-threaded.asyncify.wasm'), mjs: ort('ort-wasm-simd-threaded.asyncify.mjs') };
    env.backends.onnx.wasm.numThreads = 1;
    let cache = null;
    if (mode === 'builtin') env.experimental_useCrossOriginStorage = true;
    else if (mode.startsWith('adapter')) {
      const { useCrossOriginStorage } = await import('/transformers.mjs');
      const manifests = mode === 'adapter' ? [{ base: `${remoteHost}${model}/resolve/main/`, url: manifestUrl }] : [];
      cache = useCrossOriginStorage(env, { manifests });
    }
    const extractor = await pipeline('feature-extraction', model, { dtype: 'fp32', device: 'wasm' });
    const out = await extractor(text, { pooling: 'mean', normalize: true });
    return { dims: out.dims, data: Array.from(out.data), ms: performance.now() - started, report: cache?.report() ?? null };
  }, { version, mode, remoteHost, model, text, manifestUrl });
}
