// Issue 6, workers (SPEC §1): dedicated and shared workers that load the worker build get
// navigator.crossOriginStorage through the page that calls connectWorker(worker). The hub
// sees the page's origin, which is the worker's own: an entry a site-a worker stores with
// the same-site tier is readable on x.site-a.test and NOT on site-b.test.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchBrowser } from './lib/browser.js';
import { openSite, startProductServer } from './lib/product.js';

// The worker's own code, as a site would write it: store bytes, read them back.
const WORKER_JOB = `
async function job({ size, origins }) {
  const cos = navigator.crossOriginStorage;
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(bytes.subarray(i, Math.min(size, i + 65536)));
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  const value = [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
  const hash = { algorithm: 'SHA-256', value };
  const progress = [];
  const handle = await cos.getFileHandle(hash, { create: true, origins });
  const writable = await handle.createWritable({ onprogress: (p) => progress.push(p) });
  await writable.write(new Blob([bytes]));
  await writable.close();
  const file = await (await cos.getFileHandle(hash)).getFile();
  const back = new Uint8Array(await crypto.subtle.digest('SHA-256', await file.arrayBuffer()));
  let consent;
  try { await cos.polyfill.showConsent(); consent = 'resolved'; } catch (error) { consent = error.name; }
  return {
    installed: 'crossOriginStorage' in navigator, worker: cos.polyfill.worker, status: cos.polyfill.status(),
    value, size: file.size, name: file.name, same: back.every((b, i) => b === digest[i]),
    lastProgress: progress.at(-1), consent,
  };
}
async function run(message, reply) {
  try { reply({ ok: true, result: await job(message) }); } catch (error) { reply({ ok: false, name: error.name, message: error.message }); }
}`;

let server;

before(async () => {
  server = await startProductServer();
  const js = (res, body) => {
    res.setHeader('Content-Type', 'text/javascript');
    res.end(body);
  };
  for (const host of ['site-a.test', '*.site-a.test', 'site-b.test']) {
    server.route(host, '/dedicated.js', (req, res) => js(res, `importScripts('/cos-polyfill.worker.js');
${WORKER_JOB}
self.onmessage = (event) => run(event.data, (r) => self.postMessage(r));`));
    server.route(host, '/module-worker.js', (req, res) => js(res, `import '/cos-polyfill.worker.mjs';
${WORKER_JOB}
self.onmessage = (event) => run(event.data, (r) => self.postMessage(r));`));
    server.route(host, '/shared.js', (req, res) => js(res, `importScripts('/cos-polyfill.worker.js');
${WORKER_JOB}
self.onconnect = (event) => {
  const port = event.ports[0];
  port.onmessage = (message) => run(message.data, (r) => port.postMessage(r));
};`));
    server.route(host, '/lonely.js', (req, res) => js(res, `self.cosPolyfillOptions = { timeout: 1500 };
importScripts('/cos-polyfill.worker.js');
self.onmessage = async () => {
  try {
    await navigator.crossOriginStorage.getFileHandle({ algorithm: 'SHA-256', value: '0'.repeat(64) });
    self.postMessage({ ok: true });
  } catch (error) {
    self.postMessage({ ok: false, name: error.name, message: error.message, status: navigator.crossOriginStorage.polyfill.status() });
  }
};`));
  }
});

after(async () => {
  await server?.close();
});

// Page side: start a worker, lend it the page's hub connection, run the job.
function runInWorker(page, kind, message) {
  return page.evaluate(async ({ kind, message }) => {
    const cos = navigator.crossOriginStorage;
    let target;
    if (kind === 'shared') {
      const worker = new SharedWorker('/shared.js');
      cos.polyfill.connectWorker(worker);
      target = worker.port;
      target.start();
    } else {
      const worker = kind === 'module' ? new Worker('/module-worker.js', { type: 'module' }) : new Worker(`/${kind}.js`);
      if (kind !== 'lonely') cos.polyfill.connectWorker(worker);
      target = worker;
    }
    return new Promise((resolve) => {
      target.addEventListener('message', (event) => resolve(event.data), { once: true });
      target.postMessage(message);
    });
  }, { kind, message });
}

const canRead = (page, value) => page.evaluate(async (v) => {
  try {
    await navigator.crossOriginStorage.getFileHandle({ algorithm: 'SHA-256', value: v });
    return 'found';
  } catch (error) {
    return error.name;
  }
}, value);

test('workers: dedicated (classic and module) and shared workers store and read as their page\'s origin', { timeout: 180_000 }, async () => {
  const launched = await launchBrowser({ mode: 'cookies-allowed' });
  try {
    const a = await openSite(launched, server, 'site-a.test');
    assert.equal(a.status, 'shared');
    const stored = {};
    for (const kind of ['dedicated', 'module', 'shared']) {
      const size = 9 * 1024 * 1024 + 7; // several chunks and windows
      const reply = await runInWorker(a.page, kind, { size }); // origins omitted: the same-site tier
      assert.equal(reply.ok, true, `${kind}: ${reply.name}: ${reply.message}`);
      const r = reply.result;
      assert.equal(r.installed, true, `${kind}: the API exists in the worker`);
      assert.equal(r.worker, true);
      assert.equal(r.status, 'shared', `${kind}: the worker shares its page's status`);
      assert.equal(r.size, size);
      assert.equal(r.name, r.value);
      assert.equal(r.same, true, `${kind}: identical bytes back`);
      assert.deepEqual(r.lastProgress, { loaded: size, verified: true }, `${kind}: write progress ends verified at the full size`);
      assert.equal(r.consent, 'NotAllowedError', 'consent needs the page');
      stored[kind] = r.value;
    }
    // The hub recorded site-a's origin: same-site pages read, another site does not.
    const x = await openSite(launched, server, 'x.site-a.test');
    const b = await openSite(launched, server, 'site-b.test');
    for (const [kind, value] of Object.entries(stored)) {
      assert.equal(await canRead(x.page, value), 'found', `${kind}: readable on a same-site page`);
      assert.equal(await canRead(b.page, value), 'NotFoundError', `${kind}: not visible to another site`);
    }
  } finally {
    await launched.close();
  }
});

test('workers: a worker no page connected fails its calls with a message that says what to do', { timeout: 60_000 }, async () => {
  const launched = await launchBrowser({ mode: 'cookies-allowed' });
  try {
    const a = await openSite(launched, server, 'site-a.test');
    const reply = await runInWorker(a.page, 'lonely', {});
    assert.equal(reply.ok, false);
    assert.equal(reply.name, 'NetworkError');
    assert.match(reply.message, /connectWorker\(worker\)/);
    assert.equal(reply.status, 'unavailable');
  } finally {
    await launched.close();
  }
});
