// Loaded by web/demo/serve.mjs (Node): the three loopback origins of the demo, plain http.
// Serves dist/hub/ on the hub origin and web/demo/ + dist/ + one generated file on each site.
//
// Layout: different hosts are different sites, and every one of them is a secure context
// (localhost, 127.0.0.0/8 and ::1 are potentially trustworthy), so no certificate is needed:
//   hub    http://[::1]:PORT_H      site A  http://localhost:PORT_A      site B  http://127.0.0.1:PORT_B

import { createCipheriv, createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { contentTypeFor } from '../../tests/e2e/lib/server.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEMO_DIR = path.join(REPO_ROOT, 'web', 'demo');
export const DIST_DIR = path.join(REPO_ROOT, 'dist');
/** The demo hub's hub-config.json: see serveHub. */
export const DEMO_HUB_CONFIG = Object.freeze({ greaseRate: 0 });

/** Stable ports: the browser's store is keyed by the hub origin, port included. */
export const DEFAULT_PORTS = Object.freeze({ hub: 7800, a: 7801, b: 7802 });
export const FILE_NAME = 'demo-model.bin';
/** Dynamic routes of the Transformers.js demo pages (their owner's module), under /transformers/. */
export const TRANSFORMERS_ROUTES = path.join(DEMO_DIR, 'transformers', 'routes.mjs');
/** Placeholders replaced in every .html served from web/demo/ (docs/demo.md). */
export const TEMPLATE_KEYS = ['COS_HUB', 'COS_SITE', 'COS_SITE_NAME', 'COS_OTHER_SITE', 'COS_OTHER_SITE_NAME', 'COS_HUB_PAGE'];

const SITES = Object.freeze({
  a: { name: 'Site A', title: 'Alder Notes', listen: ['127.0.0.1', '::1'], host: 'localhost' },
  b: { name: 'Site B', title: 'Birch Translate', listen: ['127.0.0.1'], host: '127.0.0.1' },
});

/**
 * The demo's shared file: `bytes` of an AES-256-CTR keystream under a fixed key, so every
 * run (and every machine) serves the same file with the same SHA-256, and a browser that
 * stored it in an earlier run finds it again. Incompressible, like model weights.
 */
export function makeDemoFile(bytes) {
  const cipher = createCipheriv('aes-256-ctr', Buffer.alloc(32, 0x42), Buffer.alloc(16, 0));
  const data = Buffer.concat([cipher.update(Buffer.alloc(bytes)), cipher.final()]);
  return { name: FILE_NAME, data, size: data.length, sha256: createHash('sha256').update(data).digest('hex') };
}

function listen(server, port, host) {
  return new Promise((resolve, reject) => {
    const onError = (err) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve(server.address().port);
    });
  });
}

/**
 * Listen on every address with one port. With port 0 the first address picks a free port,
 * which may be taken on a later address (a port free on 127.0.0.1 can be in use on ::1);
 * then all are closed and another port is picked, a few times.
 */
export async function listenAll(handler, wanted, hosts, { attempts = 8, bind = listen } = {}) {
  for (let attempt = 1; ; attempt++) {
    const servers = [];
    let port = wanted;
    try {
      for (const host of hosts) {
        const server = http.createServer(handler);
        servers.push(server);
        port = await bind(server, port, host);
      }
      return { servers, port };
    } catch (err) {
      await Promise.all(servers.map(closeServer));
      const pickedHere = wanted === 0 && servers.length > 1;
      if (!(pickedHere && err.code === 'EADDRINUSE' && attempt < attempts)) throw err;
    }
  }
}

function closeServer(server) {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections?.();
  });
}

/** `dir` + the request path, or null when it leaves `dir` or is not a file. */
function fileIn(dir, pathname) {
  let decoded;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  let file = path.join(dir, path.normalize(`/${decoded}`));
  if (file !== dir && !file.startsWith(dir + path.sep)) return null;
  try {
    if (fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    return fs.statSync(file).isFile() ? file : null;
  } catch {
    return null;
  }
}

function send(res, status, type, body, headers = {}) {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store', ...headers });
  res.end(body);
}

function sendFile(req, res, file, template) {
  const type = contentTypeFor(file);
  if (template && file.endsWith('.html')) {
    const html = fs.readFileSync(file, 'utf8').replace(/%(COS_[A-Z_]+)%/g, (m, key) => (Object.hasOwn(template, key) ? escapeAttr(template[key]) : m));
    return send(res, 200, type, html);
  }
  const size = fs.statSync(file).size;
  res.writeHead(200, { 'Content-Type': type, 'Content-Length': size, 'Cache-Control': 'no-store' });
  if (req.method === 'HEAD') return res.end();
  fs.createReadStream(file).pipe(res);
}

function escapeAttr(value) {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Start the hub and the two sites.
 * @param {{ports?: {hub?: number, a?: number, b?: number}, fileBytes?: number, file?: object,
 *          onRequest?: (entry: object) => void}} [options] ports 0 = any free port
 * @returns {Promise<Demo>}
 */
export async function startDemo({ ports = DEFAULT_PORTS, fileBytes = 50 * 1000 * 1000, file, onRequest } = {}) {
  if (!fs.existsSync(path.join(DIST_DIR, 'cos-polyfill.js')) || !fs.existsSync(path.join(DIST_DIR, 'hub', 'frame.html'))) {
    throw new Error('dist/ is not built: run `npm run build` (or `node scripts/bundle.mjs`) first');
  }
  const demoFile = file ?? makeDemoFile(fileBytes);
  const stats = { a: { fileBytesSent: 0, fileRequests: 0 }, b: { fileBytesSent: 0, fileRequests: 0 } };
  const all = [];
  const urls = {};
  const close = async () => { await Promise.all(all.map(closeServer)); };

  try {
    const hub = await listenAll((req, res) => serveHub(req, res).catch((error) => {
      console.error(`hub ${req.url}: ${error.stack ?? error}`);
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'server error');
      else res.destroy();
    }), ports.hub ?? 0, ['::1']);
    all.push(...hub.servers);
    urls.hub = `http://[::1]:${hub.port}/`;
    for (const key of ['a', 'b']) {
      const site = SITES[key];
      const bound = await listenAll((req, res) => serveSite(key, req, res).catch((error) => {
        console.error(`${SITES[key].name} ${req.url}: ${error.stack ?? error}`);
        if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'server error');
        else res.destroy();
      }), ports[key] ?? 0, site.listen);
      all.push(...bound.servers);
      urls[key] = `http://${site.host}:${bound.port}`;
    }
  } catch (err) {
    await close();
    throw err;
  }

  function log(entry) {
    onRequest?.(entry);
  }

  async function serveHub(req, res) {
    const { pathname } = new URL(req.url, 'http://hub');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'method not allowed');
    // The demo hub's operator policy: the built-in defaults (the Public Hash List gates '*'
    // entries, probe budget) except GREASE, off so that site B's hit shows on every run.
    if (pathname === '/hub-config.json') {
      log({ origin: 'hub', path: pathname, status: 200 });
      return send(res, 200, 'application/json; charset=utf-8', `${JSON.stringify(DEMO_HUB_CONFIG)}\n`);
    }
    // Its Public Hash List: the files its demo sites share with '*'.
    if (pathname === '/public-hash-list.txt') {
      log({ origin: 'hub', path: pathname, status: 200 });
      const hashes = [demoFile.sha256];
      if (fs.existsSync(TRANSFORMERS_ROUTES)) {
        try {
          hashes.push(...(await import(pathToFileURL(TRANSFORMERS_ROUTES).href)).demoPublicHashes());
        } catch (error) {
          console.error(`demo hub: the Transformers.js demo files are not on the PHL (${error.message})`);
        }
      }
      return send(res, 200, 'text/plain; charset=utf-8', `# cos-polyfill demo hub: files its demo sites share\n${hashes.join('\n')}\n`);
    }
    const found = fileIn(path.join(DIST_DIR, 'hub'), pathname);
    log({ origin: 'hub', path: pathname, status: found ? 200 : 404 });
    if (!found) return send(res, 404, 'text/plain; charset=utf-8', 'not found');
    return sendFile(req, res, found, null);
  }

  function siteTemplate(key) {
    const other = key === 'a' ? 'b' : 'a';
    return {
      COS_HUB: urls.hub,
      COS_HUB_PAGE: urls.hub,
      COS_SITE: urls[key],
      COS_SITE_NAME: `${SITES[key].name} · ${SITES[key].title}`,
      COS_OTHER_SITE: urls[other],
      COS_OTHER_SITE_NAME: `${SITES[other].name} · ${SITES[other].title}`,
    };
  }

  let transformersRoutes = null; // imported on the first /transformers/ request (it builds a model)
  async function transformersRoute(req, res, pathname) {
    if (!pathname.startsWith('/transformers/') || !fs.existsSync(TRANSFORMERS_ROUTES)) return false;
    transformersRoutes ??= import(pathToFileURL(TRANSFORMERS_ROUTES).href);
    return (await transformersRoutes).handleTransformersDemo(req, res, pathname);
  }

  async function serveSite(key, req, res) {
    const { pathname } = new URL(req.url, 'http://site');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'method not allowed');
    if (pathname === '/demo-config.json') {
      const other = key === 'a' ? 'b' : 'a';
      log({ origin: key, path: pathname, status: 200 });
      return send(res, 200, 'application/json; charset=utf-8', JSON.stringify({
        site: { key, name: SITES[key].name, title: SITES[key].title, url: urls[key] },
        other: { key: other, name: SITES[other].name, title: SITES[other].title, url: urls[other] },
        hub: urls.hub,
        file: { name: demoFile.name, url: `/files/${demoFile.name}`, size: demoFile.size, sha256: demoFile.sha256 },
      }));
    }
    if (pathname === `/files/${demoFile.name}`) {
      stats[key].fileRequests++;
      log({ origin: key, path: pathname, status: 200 });
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': demoFile.size, 'Cache-Control': 'no-store' });
      if (req.method === 'HEAD') return res.end();
      // Count what actually left the server, so an aborted download is not a full one.
      const body = demoFile.data;
      let sent = 0;
      const step = 1 << 20;
      const pump = () => {
        while (sent < body.length) {
          const chunk = body.subarray(sent, sent + step);
          sent += chunk.length;
          stats[key].fileBytesSent += chunk.length;
          if (!res.write(chunk)) return res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => res.removeAllListeners('drain'));
      return pump();
    }
    try {
      if (await transformersRoute(req, res, pathname)) return log({ origin: key, path: pathname, status: 200 });
    } catch (error) {
      console.error(`transformers demo route ${pathname}: ${error.stack ?? error}`);
      if (!res.headersSent) return send(res, 500, 'text/plain; charset=utf-8', 'server error');
      return res.destroy();
    }
    const dist = pathname.startsWith('/dist/') ? fileIn(DIST_DIR, pathname.slice('/dist'.length)) : null;
    const found = dist ?? (pathname === '/cos-polyfill.js' ? fileIn(DIST_DIR, pathname) : fileIn(DEMO_DIR, pathname));
    // Only the browser-facing tree: never the Node modules that run this server (*.mjs; pages use .js).
    const isServerCode = found && found.startsWith(DEMO_DIR + path.sep) && found.endsWith('.mjs');
    log({ origin: key, path: pathname, status: found && !isServerCode ? 200 : 404 });
    if (!found || isServerCode) return send(res, 404, 'text/plain; charset=utf-8', 'not found');
    return sendFile(req, res, found, siteTemplate(key));
  }

  return {
    urls,
    file: { name: demoFile.name, size: demoFile.size, sha256: demoFile.sha256 },
    stats,
    /** Bytes of the demo file each site's server has sent so far. */
    fileBytesSent: (key) => stats[key].fileBytesSent,
    close,
  };
}

/**
 * @typedef {{urls: {hub: string, a: string, b: string}, file: {name: string, size: number, sha256: string},
 *            stats: object, fileBytesSent: (key: 'a'|'b') => number, close: () => Promise<void>}} Demo
 */
