// Self-test of the e2e harness: host routing, content types, headers, the request log,
// page-side collectors, and that closing leaves no Chromium process or profile behind.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { collectConsole, collectNetwork, launchBrowser, pidsOfLaunch, processMemory } from './lib/browser.js';
import { startServer } from './lib/server.js';

const here = path.dirname(fileURLToPath(import.meta.url));

test('server routes by Host, serves typed static files and records requests', { timeout: 30000 }, async () => {
  const server = await startServer();
  try {
    server.serveStatic('site-a.test', path.join(here, 'fixtures/harness'), { headers: { 'X-Static': 'yes' } });
    server.route('*.site-b.test', '/dyn', (req, res, { host }) => { res.end(`dynamic ${host}`); });
    server.setHeaders('*', '/empty.wasm', { 'Cross-Origin-Resource-Policy': 'cross-origin' });
    const get = (host, p) => new Promise((resolve, reject) => {
      https.get({ host: '127.0.0.1', port: server.port, path: p, servername: host, headers: { host: `${host}:${server.port}` }, ca: server.certs.ca }, (res) => {
        const parts = [];
        res.on('data', (c) => parts.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(parts) }));
      }).on('error', reject);
    });
    const wasm = await get('site-a.test', '/empty.wasm');
    assert.equal(wasm.status, 200);
    assert.equal(wasm.headers['content-type'], 'application/wasm');
    assert.equal(wasm.headers['x-static'], 'yes');
    assert.equal(wasm.headers['cross-origin-resource-policy'], 'cross-origin');
    assert.equal((await get('site-a.test', '/mod.mjs')).headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal((await get('site-a.test', '/../harness.test.js')).status, 404);
    assert.equal((await get('site-b.test', '/empty.wasm')).status, 404, 'static dirs are per host');
    const dyn = await get('x.site-b.test', '/dyn');
    assert.equal(dyn.body.toString(), 'dynamic x.site-b.test');
    assert.equal((await get('site-b.test', '/dyn')).status, 404, '*.site-b.test does not match the bare site');
    // A request is recorded when its response closes, which may come after the client's 'end'.
    await server.waitForRequest((r) => r.host === 'site-a.test' && r.path === '/empty.wasm', 5000);
    const rec = server.requestsFor({ host: 'site-a.test', path: '/empty.wasm' });
    assert.equal(rec.length, 1);
    assert.equal(rec[0].bytes, 8);
    assert.equal(rec[0].status, 200);
    const mark = server.mark();
    await get('site-a.test', '/index.html');
    await server.waitForRequest((r) => r.seq > mark && r.path === '/index.html', 5000);
    assert.deepEqual(server.requestsFor({ since: mark }).map((r) => r.path), ['/index.html']);
  } finally {
    await server.close();
  }
});

test('browser: trusts the test leaf, maps *.test, collects network and console, cleans up', { timeout: 30000 }, async (t) => {
  const server = await startServer();
  const browser = await launchBrowser();
  const { profileDir, pid } = browser;
  try {
    server.serveStatic('site-a.test', path.join(here, 'fixtures/harness'));
    const page = await browser.newPage();
    const net = collectNetwork(page);
    const log = collectConsole(page);
    await page.goto(server.url('site-a.test', '/index.html'));
    await page.waitForFunction(() => window.modLoaded === true);
    const instantiated = await page.evaluate(async () => {
      const { instance } = await WebAssembly.instantiateStreaming(fetch('/empty.wasm'));
      console.log('wasm ok');
      return typeof instance.exports;
    });
    assert.equal(instantiated, 'object', 'application/wasm lets instantiateStreaming work');
    const urls = net.events.filter((e) => e.type === 'response').map((e) => new URL(e.url).pathname);
    assert.ok(urls.includes('/index.html') && urls.includes('/mod.mjs') && urls.includes('/empty.wasm'), urls.join());
    assert.ok(log.messages.some((m) => m.text === 'wasm ok'));
    const mem = processMemory(browser);
    t.diagnostic(`idle browser with one page: ${mem.processes.length} processes, PSS ${(mem.totalPssBytes / 2 ** 20).toFixed(0)} MiB`);
  } finally {
    await browser.close();
    await server.close();
  }
  assert.equal(fs.existsSync(profileDir), false, 'profile removed');
  // Zombies (already dead, waiting for init to reap them) are not counted.
  assert.deepEqual(pidsOfLaunch(pid, profileDir), [], 'no live process left from this launch');
});
