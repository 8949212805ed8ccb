// Issue 6, SPEC §7 fetch: fetch(url, {integrity, crossOriginStorage}) answers from
// cross-origin storage first; a miss fetches (the browser checks integrity), stores and
// responds; a hit streams the stored File with a stable Content-Type (application/wasm, so
// WebAssembly.instantiateStreaming works) and no invented caching headers.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { launchBrowser } from './lib/browser.js';
import { openSite, startProductServer } from './lib/product.js';

// A module exporting add(i32, i32) -> i32, then a custom section of random bytes so each
// run stores a fresh entry.
function wasmModule() {
  const code = Buffer.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f,
    0x03, 0x02, 0x01, 0x00,
    0x07, 0x07, 0x01, 0x03, 0x61, 0x64, 0x64, 0x00, 0x00,
    0x0a, 0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b,
  ]);
  const payload = randomBytes(100_000);
  const name = Buffer.from('r');
  const body = Buffer.concat([Buffer.from([name.length]), name, payload]);
  return Buffer.concat([code, Buffer.from([0x00]), leb128(body.length), body]);
}

function leb128(n) {
  const out = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n) byte |= 0x80;
    out.push(byte);
  } while (n);
  return Buffer.from(out);
}

const sri = (bytes) => `sha256-${createHash('sha256').update(bytes).digest('base64')}`;
const hex = (bytes) => createHash('sha256').update(bytes).digest('hex');

let server;
const wasm = wasmModule();
const script = Buffer.from(`window.answer = ${Math.random()};`);
const other = randomBytes(5000);

before(async () => {
  server = await startProductServer();
  for (const host of ['site-a.test', 'site-b.test']) {
    const serve = (path, bytes, type) => server.route(host, path, (req, res) => {
      res.setHeader('Content-Type', type);
      res.setHeader('Access-Control-Allow-Origin', '*');
      res.end(bytes);
    });
    serve('/add.wasm', wasm, 'application/wasm');
    serve('/add-no-extension', wasm, 'application/octet-stream');
    serve('/lib.js', script, 'text/javascript');
    serve('/wrong.bin', other, 'application/octet-stream'); // served bytes ≠ the integrity asked for
    server.route(host, '/broken.wasm', (req) => req.socket.destroy());
  }
});

after(async () => {
  await server?.close();
});

// In the page: wrap fetch with the integration module, as install({fetch: true}) does.
const withFetch = (page) => page.evaluate(async () => {
  const { installFetch } = await import('/fetch.mjs');
  installFetch();
  window.waitStored = async (value) => {
    for (let i = 0; i < 200; i++) {
      try {
        await navigator.crossOriginStorage.getFileHandle({ algorithm: 'SHA-256', value });
        return true;
      } catch (error) {
        if (error.name !== 'NotFoundError') throw error;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return false;
  };
});

test('fetch integration: miss stores, hit on another site streams with a stable Content-Type', { timeout: 120_000 }, async () => {
  const launched = await launchBrowser({ mode: 'cookies-allowed' });
  try {
    const a = await openSite(launched, server, 'site-a.test');
    assert.equal(a.status, 'shared');
    await withFetch(a.page);

    // Site A: a miss. The network answers (and the browser checks integrity), the body is stored.
    let mark = server.mark();
    const miss = await a.page.evaluate(async ({ integrity, value }) => {
      const progress = [];
      const response = await fetch('/add.wasm', {
        integrity, crossOriginStorage: '*', onprogress: (p) => progress.push(p),
      });
      const { instance } = await WebAssembly.instantiateStreaming(response);
      const stored = await window.waitStored(value);
      // The store's progress arrives with the verified close.
      for (let i = 0; i < 100 && !progress.some((p) => p.verified); i++) await new Promise((r) => setTimeout(r, 20));
      return { sum: instance.exports.add(2, 3), stored, type: response.headers.get('content-type'), url: response.url, progress };
    }, { integrity: sri(wasm), value: hex(wasm) });
    assert.equal(miss.sum, 5);
    assert.equal(miss.stored, true, 'the verified network body became an entry');
    assert.equal(miss.type, 'application/wasm');
    assert.match(miss.url, /^https:\/\/site-a\.test:\d+\/add\.wasm$/, 'a miss is the genuine network Response');
    assert.equal(server.requestsFor({ host: 'site-a.test', path: '/add.wasm', since: mark }).length, 1);
    const last = miss.progress.at(-1);
    assert.deepEqual({ phase: last.phase, loaded: last.loaded, verified: last.verified }, { phase: 'store', loaded: wasm.length, verified: true });

    // Site B: a hit. No network; ok, streams, application/wasm, no caching headers.
    const b = await openSite(launched, server, 'site-b.test');
    await withFetch(b.page);
    mark = server.mark();
    const hit = await b.page.evaluate(async ({ integrity }) => {
      const progress = [];
      const response = await fetch('/add.wasm', { integrity, crossOriginStorage: '*', onprogress: (p) => progress.push(p) });
      const headers = [...response.headers.keys()].sort();
      const info = {
        ok: response.ok, status: response.status, type: response.headers.get('content-type'),
        length: response.headers.get('content-length'), headers, streams: response.body instanceof ReadableStream,
        url: response.url,
      };
      const { instance } = await WebAssembly.instantiateStreaming(response);
      // Same bytes, no .wasm in the URL: the hub's sniffed type still says application/wasm.
      const bare = await fetch('/add-no-extension', { integrity, crossOriginStorage: '' });
      return { ...info, sum: instance.exports.add(20, 22), bareType: bare.headers.get('content-type'), progress };
    }, { integrity: sri(wasm) });
    assert.equal(hit.ok, true);
    assert.equal(hit.status, 200);
    assert.equal(hit.type, 'application/wasm');
    assert.equal(hit.length, String(wasm.length));
    assert.deepEqual(hit.headers, ['content-length', 'content-type'], 'no invented caching headers');
    assert.equal(hit.streams, true);
    assert.match(hit.url, /\/add\.wasm$/);
    assert.equal(hit.sum, 42);
    assert.equal(hit.bareType, 'application/wasm');
    assert.equal(hit.progress.at(-1).loaded, wasm.length, 'read progress reaches the full size');
    assert.equal(hit.progress.at(-1).phase, 'read');
    assert.deepEqual(server.requestsFor({ host: 'site-b.test', since: mark }).filter((r) => r.path !== '/page.html').map((r) => r.path), [],
      'site B fetched nothing: both answers came from cross-origin storage');

    // Without crossOriginStorage the wrapper stays out of the way.
    mark = server.mark();
    const plain = await b.page.evaluate(async () => (await fetch('/add.wasm')).status);
    assert.equal(plain, 200);
    // Recorded when the response closes, which may come just after the page saw the body.
    await server.waitForRequest((r) => r.seq > mark && r.host === 'site-b.test' && r.path === '/add.wasm', 5000);
    assert.equal(server.requestsFor({ host: 'site-b.test', path: '/add.wasm', since: mark }).length, 1);
  } finally {
    await launched.close();
  }
});

test('fetch integration: type by extension, SRI mismatch stores nothing, network failure is a TypeError', { timeout: 120_000 }, async () => {
  const launched = await launchBrowser({ mode: 'cookies-allowed' });
  try {
    const a = await openSite(launched, server, 'site-a.test');
    await withFetch(a.page);
    const stored = await a.page.evaluate(async ({ integrity, value }) => {
      const response = await fetch('/lib.js', { integrity, crossOriginStorage: '' });
      await response.text();
      return window.waitStored(value);
    }, { integrity: sri(script), value: hex(script) });
    assert.equal(stored, true);
    // Same-site page: a hit whose stored type is empty gets its type from the extension.
    const x = await openSite(launched, server, 'x.site-a.test');
    await withFetch(x.page);
    const mark = server.mark();
    const js = await x.page.evaluate(async ({ integrity }) => {
      const response = await fetch('/lib.js', { integrity, crossOriginStorage: '' });
      return { type: response.headers.get('content-type'), text: await response.text() };
    }, { integrity: sri(script) });
    assert.equal(js.type, 'text/javascript');
    assert.equal(js.text, script.toString());
    assert.equal(server.requestsFor({ path: '/lib.js', since: mark }).length, 0);

    const failures = await a.page.evaluate(async ({ wrongIntegrity, wrongValue, wasmIntegrity, brokenIntegrity }) => {
      const outcome = async (promise) => {
        try { await promise; return 'resolved'; } catch (error) { return error.constructor.name; }
      };
      const mismatch = await outcome(fetch('/wrong.bin', { integrity: wrongIntegrity, crossOriginStorage: '*' }));
      let lookup;
      try {
        await navigator.crossOriginStorage.getFileHandle({ algorithm: 'SHA-256', value: wrongValue });
        lookup = 'found';
      } catch (error) { lookup = error.name; }
      const broken = await outcome(fetch('/broken.wasm', { integrity: brokenIntegrity, crossOriginStorage: '*' }));
      const badOrigins = await outcome(fetch('/lib.js', { integrity: wasmIntegrity, crossOriginStorage: ['data:,x'] }));
      return { mismatch, lookup, broken, badOrigins };
    }, {
      wrongIntegrity: sri(Buffer.from('not these bytes')), wrongValue: hex(Buffer.from('not these bytes')),
      wasmIntegrity: sri(wasm), brokenIntegrity: sri(randomBytes(64)),
    });
    assert.equal(failures.mismatch, 'TypeError', 'an integrity mismatch fails like SRI');
    assert.equal(failures.lookup, 'NotFoundError', 'and stores nothing');
    assert.equal(failures.broken, 'TypeError', 'a miss that fails on the network is a plain TypeError');
    assert.equal(failures.badOrigins, 'TypeError', 'an opaque origin in crossOriginStorage is a TypeError');
  } finally {
    await launched.close();
  }
});
