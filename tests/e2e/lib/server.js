// One HTTPS server for every test host. Chromium maps *.test to 127.0.0.1
// (--host-resolver-rules), so https://site-a.test:PORT/ and https://hub.test:PORT/ reach
// this one socket; the Host header picks the handler. Every response is recorded so a test
// can assert what each site did or did not fetch.

import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { ensureCerts } from './certs.js';

export const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.cjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.bin': 'application/octet-stream',
  '.onnx': 'application/octet-stream',
};

export function contentTypeFor(file) {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] || 'application/octet-stream';
}

/** 'hub.test' matches itself; '*.site-a.test' matches any subdomain (not the bare name); '*' anything. */
function hostMatches(pattern, host) {
  if (pattern === '*') return true;
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1));
  return pattern === host;
}

/** More specific patterns win: exact > longer wildcard > shorter wildcard > '*'. */
function specificity(pattern) {
  if (pattern === '*') return 0;
  if (pattern.startsWith('*.')) return pattern.length;
  return 10000;
}

function pathMatches(matcher, pathname) {
  if (matcher instanceof RegExp) return matcher.test(pathname);
  if (typeof matcher === 'function') return matcher(pathname);
  if (matcher.endsWith('*')) return pathname.startsWith(matcher.slice(0, -1));
  return matcher === pathname;
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const parts = [];
    req.on('data', (c) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

/**
 * Start the server. Options: {certs (from ensureCerts), port = 0, listenHost = '127.0.0.1',
 * noStore = true (static files get Cache-Control: no-store unless a header rule says otherwise)}.
 *
 * Returns an object with:
 *   port, origin(host), url(host, pathAndQuery)
 *   serveStatic(hostPattern, dir, {prefix = '/', headers = {}})
 *   route(hostPattern, pathMatcher, handler, {method})   handler(req, res, ctx) may be async;
 *       ctx = {host, url (URL), body(): Promise<Buffer>}; pathMatcher: exact string,
 *       'prefix/*', RegExp, or predicate
 *   setHeaders(hostPattern, pathMatcher, headers)         added to every matching response
 *   requests (array of records, in completion order), mark() (current sequence number),
 *   requestsFor({host, path, method, status, since}) (since: a mark(); seq > since), clearRequests()
 *   waitForRequest(predicate, timeoutMs)
 *   close()
 * A record: {seq, time, host, path, search, method, status, bytes, headers} where headers
 * holds the request's origin, referer and sec-fetch-* values, and bytes counts body bytes sent.
 */
export async function startServer({ certs = ensureCerts(), port = 0, listenHost = '127.0.0.1', noStore = true } = {}) {
  const statics = []; // {host, dir, prefix, headers}
  const routes = []; // {host, matcher, handler, method}
  const headerRules = []; // {host, matcher, headers}
  const requests = [];
  const waiters = new Set();
  let seq = 0;

  function candidates(list, host) {
    return list
      .filter((e) => hostMatches(e.host, host))
      .sort((a, b) => specificity(b.host) - specificity(a.host));
  }

  async function serveFile(req, res, file, extraHeaders) {
    let stat;
    try {
      stat = await fs.promises.stat(file);
      if (stat.isDirectory()) {
        file = path.join(file, 'index.html');
        stat = await fs.promises.stat(file);
      }
    } catch {
      return false;
    }
    if (!stat.isFile()) return false;
    res.statusCode = 200;
    res.setHeader('Content-Type', contentTypeFor(file));
    res.setHeader('Content-Length', stat.size);
    if (noStore && !res.hasHeader('Cache-Control')) res.setHeader('Cache-Control', 'no-store');
    for (const [k, v] of Object.entries(extraHeaders || {})) res.setHeader(k, v);
    if (req.method === 'HEAD') {
      res.end();
      return true;
    }
    await new Promise((resolve) => {
      const stream = fs.createReadStream(file);
      stream.on('error', () => { res.destroy(); resolve(); });
      res.on('close', resolve);
      stream.pipe(res);
    });
    return true;
  }

  async function handle(req, res) {
    const host = (req.headers.host || '').replace(/:\d+$/, '').toLowerCase();
    const url = new URL(req.url, `https://${host || 'unknown'}`);
    const pathname = decodeURIComponent(url.pathname);

    // Count body bytes actually handed to the socket layer.
    let bytes = 0;
    const write = res.write.bind(res);
    const end = res.end.bind(res);
    const size = (chunk, enc) => (chunk == null || typeof chunk === 'function' ? 0
      : typeof chunk === 'string' ? Buffer.byteLength(chunk, typeof enc === 'string' ? enc : 'utf8')
        : chunk.byteLength);
    res.write = (chunk, enc, cb) => { bytes += size(chunk, enc); return write(chunk, enc, cb); };
    res.end = (chunk, enc, cb) => { bytes += size(chunk, enc); return end(chunk, enc, cb); };

    const record = {
      seq: ++seq, time: Date.now(), host, path: pathname, search: url.search, method: req.method,
      status: 0, bytes: 0,
      headers: Object.fromEntries(Object.entries(req.headers)
        .filter(([k]) => k === 'origin' || k === 'referer' || k === 'range' || k.startsWith('sec-fetch-'))),
    };
    res.on('close', () => {
      record.status = res.statusCode;
      record.bytes = bytes;
      record.aborted = !res.writableFinished;
      requests.push(record);
      for (const w of waiters) w(record);
    });

    for (const rule of candidates(headerRules, host)) {
      if (pathMatches(rule.matcher, pathname)) {
        for (const [k, v] of Object.entries(rule.headers)) res.setHeader(k, v);
      }
    }

    try {
      for (const r of candidates(routes, host)) {
        if (r.method && r.method !== req.method) continue;
        if (!pathMatches(r.matcher, pathname)) continue;
        await r.handler(req, res, { host, url, body: () => readBody(req) });
        if (!res.headersSent && !res.writableEnded) res.end();
        return;
      }
      if (req.method === 'GET' || req.method === 'HEAD') {
        for (const s of candidates(statics, host)) {
          if (!pathname.startsWith(s.prefix)) continue;
          const rel = pathname.slice(s.prefix.length);
          const file = path.resolve(s.dir, `.${path.posix.normalize(`/${rel}`)}`);
          if (file !== s.dir && !file.startsWith(s.dir + path.sep)) continue;
          if (await serveFile(req, res, file, s.headers)) return;
        }
      }
      res.statusCode = 404;
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.end(`no handler for ${host}${pathname}\n`);
    } catch (err) {
      if (!res.headersSent) {
        res.statusCode = 500;
        res.setHeader('Content-Type', 'text/plain; charset=utf-8');
        res.end(`handler error: ${err && err.stack}\n`);
      } else {
        res.destroy(err);
      }
    }
  }

  const server = https.createServer({ key: certs.key, cert: certs.cert }, (req, res) => {
    handle(req, res);
  });
  server.keepAliveTimeout = 5000;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, listenHost, resolve);
  });
  const actualPort = server.address().port;

  const api = {
    port: actualPort,
    certs,
    origin: (host) => `https://${host}:${actualPort}`,
    url: (host, p = '/') => `https://${host}:${actualPort}${p.startsWith('/') ? '' : '/'}${p}`,
    serveStatic(host, dir, { prefix = '/', headers = {} } = {}) {
      statics.push({ host, dir: path.resolve(dir), prefix: prefix.endsWith('/') ? prefix : `${prefix}/`, headers });
      return api;
    },
    route(host, matcher, handler, { method } = {}) {
      const entry = { host, matcher, handler, method };
      routes.push(entry);
      return () => { const i = routes.indexOf(entry); if (i >= 0) routes.splice(i, 1); };
    },
    setHeaders(host, matcher, headers) {
      const entry = { host, matcher, headers };
      headerRules.push(entry);
      return () => { const i = headerRules.indexOf(entry); if (i >= 0) headerRules.splice(i, 1); };
    },
    requests,
    /** The sequence number of the last request seen; pass it as `since` to requestsFor. */
    mark: () => seq,
    requestsFor({ host, path: p, method, status, since } = {}) {
      return requests.filter((r) => (since === undefined || r.seq > since)
        && (host === undefined || hostMatches(host, r.host))
        && (p === undefined || pathMatches(p, r.path))
        && (method === undefined || r.method === method)
        && (status === undefined || r.status === status));
    },
    clearRequests() { requests.length = 0; },
    waitForRequest(predicate, timeoutMs = 10000) {
      const hit = requests.find(predicate);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => { waiters.delete(w); reject(new Error('waitForRequest timed out')); }, timeoutMs);
        const w = (r) => { if (predicate(r)) { clearTimeout(timer); waiters.delete(w); resolve(r); } };
        waiters.add(w);
      });
    },
    async close() {
      await new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
  return api;
}
