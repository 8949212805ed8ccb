// Loaded by the demo server (Node), never by a page: serves what web/demo/transformers/
// needs besides its own static files, on every demo site, under /transformers/:
//   vendor/transformers.js   @huggingface/transformers' self-contained browser bundle
//   vendor/ort/<file>        onnxruntime-web's dist/ (the version that bundle embeds)
//   hf/<model>/resolve/main/<file>, hf/<model>/raw/main/<file>
//                            a Hub-shaped route with the tests' tiny BERT model (no internet)
//   model.cos-manifest.json  the site's hash manifest for that model (as cos-manifest writes it)
// Usage from a server: `if (await handleTransformersDemo(req, res, pathname)) return;`
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { contentTypeFor } from '../../../tests/e2e/lib/server.js';
import { isLfsPath, lfsPointer } from '../../../tests/e2e/lib/hf-hub.js';
import { sha256Hex, tinyModelFiles } from '../../../tests/e2e/lib/tiny-model.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const VENDOR = {
  '/transformers/vendor/transformers.js': path.join(ROOT, 'node_modules/@huggingface/transformers/dist/transformers.js'),
};
const ORT_DIR = path.join(ROOT, 'node_modules/onnxruntime-web/dist');
export const DEMO_MODEL = 'cos-demo/tiny-bert';
// ~8 MB of weights, so the saved bytes show; the ORT wasm adds ~27 MB.
const files = tinyModelFiles({ hidden: 80000 });
const manifest = Object.fromEntries(Object.entries(files).map(([p, b]) => [p, { sha256: sha256Hex(b), size: b.length }]));

/**
 * The SHA-256 of every file this demo shares across sites (the tiny model's files and the
 * ORT wasm/mjs it may load), for the demo hub's Public Hash List. Computed once.
 */
let publicHashes = null;
export function demoPublicHashes() {
  publicHashes ??= [
    ...Object.values(manifest).map((m) => m.sha256),
    ...fs.readdirSync(ORT_DIR).filter((name) => /^ort-wasm-simd-threaded[a-z.]*\.(?:wasm|mjs)$/.test(name))
      .map((name) => sha256Hex(fs.readFileSync(path.join(ORT_DIR, name)))),
  ];
  return publicHashes;
}

function send(req, res, type, body) {
  res.writeHead(200, { 'Content-Type': type, 'Content-Length': body.length, 'Cache-Control': 'no-store', 'Access-Control-Allow-Origin': '*' });
  res.end(req.method === 'HEAD' ? undefined : body);
  return true;
}

function sendFile(req, res, file) {
  let size;
  try {
    size = fs.statSync(file).size;
  } catch {
    return false;
  }
  res.writeHead(200, { 'Content-Type': contentTypeFor(file), 'Content-Length': size, 'Cache-Control': 'no-store' });
  if (req.method === 'HEAD') res.end();
  else fs.createReadStream(file).pipe(res);
  return true;
}

/** Serves one of the paths above and returns true, or returns false for anything else. */
export async function handleTransformersDemo(req, res, pathname) {
  if (VENDOR[pathname]) return sendFile(req, res, VENDOR[pathname]);
  const ort = /^\/transformers\/vendor\/ort\/(ort-wasm-simd-threaded[a-z.]*\.(?:wasm|mjs))$/.exec(pathname);
  if (ort) return sendFile(req, res, path.join(ORT_DIR, ort[1]));
  if (pathname === '/transformers/model.cos-manifest.json') {
    return send(req, res, 'application/json; charset=utf-8', Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`));
  }
  const hub = /^\/transformers\/hf\/(.+?)\/(resolve|raw)\/main\/(.+)$/.exec(pathname);
  if (hub && hub[1] === DEMO_MODEL && files[hub[3]]) {
    const bytes = files[hub[3]];
    if (hub[2] === 'raw' && isLfsPath(hub[3], bytes)) return send(req, res, 'text/plain; charset=utf-8', Buffer.from(lfsPointer(bytes)));
    return send(req, res, contentTypeFor(hub[3]), bytes);
  }
  return false;
}
