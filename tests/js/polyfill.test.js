// node:test for js/polyfill.js (and js/handle.js, js/hub-frame.js through it): a fake window
// and document, Node's MessageChannel, and TEST responders standing in for the hub.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NOT_FOUND_MESSAGE } from '../../js/errors.js';
import { startHubFrame } from '../../js/hub-frame.js';
import { CHUNK_BYTES } from '../../js/protocol.js';

const HUB = 'https://hub.example/cos/';
const SITE = 'https://site-a.example';
const hex = (n) => n.toString(16).padStart(2, '0').repeat(32);
const hash = (n) => ({ algorithm: 'sha-256', value: hex(n) });
let copies = 0;

/** A fresh copy of the module (its install-once state is per module instance). */
const freshPolyfill = () => import(`../../js/polyfill.js?copy=${++copies}`);
const tick = (ms = 5) => new Promise((resolve) => setTimeout(resolve, ms));
/** Wait until `condition()` holds (at most ~5 s: CI's two cores may be busy). */
async function until(condition) {
  for (let i = 0; i < 1_000 && !condition(); i++) await tick(5);
  assert.ok(condition(), 'condition reached');
}

/**
 * A fake window whose document records iframes. `onFrame(iframe, frameWindow)` decides what
 * the "hub" does with the handshake; by default nothing answers.
 */
function fakeWindow({ secure = true, navigator = {}, hubMessage } = {}) {
  const frames = [];
  const element = () => ({
    style: {}, attrs: {}, listeners: {}, tabIndex: 0,
    setAttribute(name, value) { this.attrs[name] = String(value); },
    removeAttribute(name) { delete this.attrs[name]; },
    addEventListener(type, fn) { (this.listeners[type] ??= []).push(fn); },
  });
  const document = {
    baseURI: `${SITE}/app/index.html`,
    createElement(tag) {
      assert.equal(tag, 'iframe');
      const iframe = element();
      iframe.posts = [];
      iframe.contentWindow = {
        postMessage(message, targetOrigin, transfer) {
          iframe.posts.push({ message, targetOrigin, transfer });
          hubMessage?.(structuredClone(message), targetOrigin, transfer, iframe);
        },
      };
      return iframe;
    },
    body: {
      append(iframe) {
        frames.push(iframe);
        setTimeout(() => { for (const fn of iframe.listeners.load ?? []) fn(); }, 1);
      },
    },
  };
  return { navigator, document, isSecureContext: secure, frames };
}

/**
 * TEST responder playing the hub frame on the page's port: answers `ready`, then each request
 * from `replies[type](request)` (throw → error reply). Records requests.
 */
function frameResponder({ replies = {}, ready = 'shared', delayReady = 0 } = {}) {
  const log = [];
  const hubMessage = (message, targetOrigin, transfer) => {
    const port = transfer[0];
    port.onmessage = ({ data }) => {
      log.push(data);
      const fn = replies[data.type];
      let reply;
      try {
        if (!fn) throw new DOMException('no test reply', 'NotSupportedError');
        reply = { ...fn(data), v: 1, id: data.id, ok: true };
      } catch (error) {
        reply = { v: 1, id: data.id, ok: false, error: { name: error.name, message: error.message } };
      }
      port.postMessage(reply);
    };
    if (ready) setTimeout(() => port.postMessage({ v: 1, type: 'ready', status: ready }), delayReady);
    hubMessage.port = port;
  };
  return { log, hubMessage, types: () => log.map((m) => m.type) };
}

const notFound = () => { throw new DOMException('specific leaky reason', 'NotFoundError'); };
const storeOf = (present) => ({
  lookup: (r) => {
    if (!r.hashes.every((h) => present.has(h.value))) notFound();
    return { entries: r.hashes.map(() => ({ size: 3, type: 'application/octet-stream' })) };
  },
  getFile: (r) => ({ file: new File(['abc'], r.hash.value) }),
  writeBegin: () => ({ writeId: 9 }),
  writeChunk: () => ({ position: 3 }),
  writeClose: () => ({ size: 3 }),
  writeAbort: () => ({}),
});

test('not installed outside a secure context', async (t) => {
  const warn = t.mock.method(console, 'warn', () => {});
  const { install } = await freshPolyfill();
  const win = fakeWindow({ secure: false });
  assert.equal(install({ hub: HUB, global: win }), null);
  assert.ok(!('crossOriginStorage' in win.navigator));
  assert.equal(win.frames.length, 0);
  assert.equal(warn.mock.callCount(), 1);
});

test('never installed over a native implementation', async () => {
  const { install, status } = await freshPolyfill();
  const native = { native: true };
  const win = fakeWindow({ navigator: { crossOriginStorage: native } });
  assert.equal(install({ hub: HUB, global: win }), native);
  assert.equal(win.navigator.crossOriginStorage, native);
  assert.equal(win.frames.length, 0);
  assert.equal(status(), 'unavailable');
});

test('installs once, non-writable; a second install is a no-op', async (t) => {
  t.mock.method(console, 'error', () => {}); // no hub answers here
  const { install, CrossOriginStorage } = await freshPolyfill();
  const win = fakeWindow();
  const api = install({ hub: HUB, global: win, timeout: 50 });
  assert.ok(api instanceof CrossOriginStorage);
  assert.ok(api instanceof EventTarget);
  assert.equal(win.navigator.crossOriginStorage, api);
  const descriptor = Object.getOwnPropertyDescriptor(win.navigator, 'crossOriginStorage');
  assert.equal(descriptor.writable, false);
  assert.equal(descriptor.configurable, false);
  assert.throws(() => { 'use strict'; win.navigator.crossOriginStorage = {}; }, TypeError);
  assert.equal(install({ hub: HUB, global: win }), api);
  assert.equal(win.frames.length, 1, 'one hub frame');
  for (const name of ['getFileHandle', 'requestFileHandle', 'requestFileHandles']) assert.equal(typeof api[name], 'function');
  await tick(60);
});

test('loading the module twice installs once', async (t) => {
  t.mock.method(console, 'error', () => {}); // no hub answers here
  const first = await freshPolyfill();
  const second = await freshPolyfill();
  assert.notEqual(first.install, second.install, 'two module instances');
  const win = fakeWindow();
  const api = first.install({ hub: HUB, global: win, timeout: 50 });
  assert.equal(second.install({ hub: HUB, global: win, timeout: 50 }), api);
  assert.equal(win.frames.length, 1);
  await tick(60);
});

test('the handshake: one post to the frame window, targetOrigin = hub origin, one port', async () => {
  const { install, status } = await freshPolyfill();
  const hub = frameResponder();
  const win = fakeWindow({ hubMessage: hub.hubMessage });
  install({ hub: 'https://hub.example/cos', global: win }); // no trailing slash
  const [iframe] = win.frames;
  assert.equal(iframe.src, 'https://hub.example/cos/frame.html');
  assert.equal(iframe.attrs['aria-hidden'], 'true');
  assert.equal(iframe.style.pointerEvents, 'none');
  assert.equal(status(), 'connecting');
  await until(() => status() === 'shared');
  assert.equal(iframe.posts.length, 1);
  const [{ message, targetOrigin, transfer }] = iframe.posts;
  assert.deepEqual(message, { v: 1, type: 'connect' });
  assert.equal(targetOrigin, 'https://hub.example');
  assert.equal(transfer.length, 1);
  assert.ok(transfer[0] instanceof MessagePort);
  assert.equal(status(), 'shared');
  hub.hubMessage.port.close();
});

test('calls made before the hub is ready are queued, not lost; statuschange fires', async () => {
  const { install, status, onStatusChange } = await freshPolyfill();
  const hub = frameResponder({ replies: storeOf(new Set([hex(1)])), ready: 'partitioned', delayReady: 30 });
  const win = fakeWindow({ hubMessage: hub.hubMessage });
  const api = install({ hub: HUB, global: win });
  const events = [];
  const seen = [];
  api.addEventListener('statuschange', (event) => events.push(event.detail.status));
  onStatusChange((s) => seen.push(s));
  const pending = api.getFileHandle(hash(1)); // before the frame even loaded
  await tick(10);
  assert.equal(hub.log.length, 0, 'nothing sent before ready');
  const handle = await pending;
  assert.equal(handle.name, hex(1));
  assert.equal(status(), 'partitioned');
  assert.deepEqual(events, ['partitioned']);
  assert.deepEqual(seen, ['partitioned']);
  assert.equal(api.polyfill.status(), 'partitioned');
  hub.hubMessage.port.close();
});

test('an unreachable hub rejects queued calls after the timeout, with a console diagnostic', async (t) => {
  const error = t.mock.method(console, 'error', () => {});
  const { install, status } = await freshPolyfill();
  const win = fakeWindow(); // nobody answers the handshake
  const api = install({ hub: HUB, global: win, timeout: 40 });
  const events = [];
  api.addEventListener('statuschange', (event) => events.push(event.detail.status));
  await assert.rejects(api.getFileHandle(hash(1)), { name: 'NetworkError', message: /unreachable.*did not answer within 40 ms/s });
  assert.equal(status(), 'unavailable');
  assert.deepEqual(events, ['unavailable']);
  assert.equal(error.mock.callCount(), 1);
  assert.match(error.mock.calls[0].arguments[0], /frame\.html did not answer/);
  await assert.rejects(api.getFileHandle(hash(2)), { name: 'NetworkError' });
  // A create handle needs no hub until it writes.
  const handle = await api.getFileHandle(hash(3), { create: true });
  await assert.rejects(handle.createWritable(), { name: 'NetworkError' });
});

test('validation happens before anything reaches the hub (TypeError, nothing sent)', async () => {
  const { install } = await freshPolyfill();
  const hub = frameResponder({ replies: storeOf(new Set()) });
  const api = install({ hub: HUB, global: fakeWindow({ hubMessage: hub.hubMessage }) });
  await until(() => hub.hubMessage.port !== undefined);
  await assert.rejects(api.getFileHandle({ algorithm: 'md5', value: hex(1) }), TypeError);
  await assert.rejects(api.getFileHandle({ algorithm: 'SHA-256', value: hex(0xab).toUpperCase() }), TypeError);
  await assert.rejects(api.getFileHandle(hash(1), { create: true, origins: ['data:,x'] }), TypeError);
  await assert.rejects(api.getFileHandle(hash(1), { origins: Array(101).fill('https://a.example') }), TypeError);
  await assert.rejects(api.requestFileHandles([hash(1), { algorithm: 'SHA-256', value: 'x' }]), TypeError);
  await assert.rejects(api.requestFileHandles('not a list'), TypeError);
  assert.equal(hub.log.length, 0);
  hub.hubMessage.port.close();
});

test('misses are NotFoundError with the uniform message', async () => {
  const { install } = await freshPolyfill();
  const hub = frameResponder({ replies: storeOf(new Set()) });
  const api = install({ hub: HUB, global: fakeWindow({ hubMessage: hub.hubMessage }) });
  await assert.rejects(api.getFileHandle(hash(1)), { name: 'NotFoundError', message: NOT_FOUND_MESSAGE });
  hub.hubMessage.port.close();
});

test('requestFileHandle is an alias that warns once that it is deprecated', async (t) => {
  const warn = t.mock.method(console, 'warn', () => {});
  const { install } = await freshPolyfill();
  const hub = frameResponder({ replies: storeOf(new Set([hex(1)])) });
  const api = install({ hub: HUB, global: fakeWindow({ hubMessage: hub.hubMessage }) });
  const handle = await api.requestFileHandle(hash(1));
  assert.equal(handle.name, hex(1));
  await assert.rejects(api.requestFileHandle(hash(2)), { name: 'NotFoundError' });
  await api.requestFileHandle(hash(3), { create: true });
  const deprecations = warn.mock.calls.filter((c) => /deprecated/.test(c.arguments[0]));
  assert.equal(deprecations.length, 1);
  hub.hubMessage.port.close();
});

test('requestFileHandles is all-or-nothing: one lookup, any miss → NotFoundError', async () => {
  const { install } = await freshPolyfill();
  const hub = frameResponder({ replies: storeOf(new Set([hex(1), hex(2)])) });
  const api = install({ hub: HUB, global: fakeWindow({ hubMessage: hub.hubMessage }) });
  const handles = await api.requestFileHandles([hash(1), hash(2)]);
  assert.deepEqual(handles.map((h) => h.name), [hex(1), hex(2)]);
  await assert.rejects(api.requestFileHandles([hash(1), hash(3), hash(2)]), { name: 'NotFoundError', message: NOT_FOUND_MESSAGE });
  assert.deepEqual(hub.log.map((m) => m.hashes.map((h) => h.value)), [[hex(1), hex(2)], [hex(1), hex(3), hex(2)]], 'one lookup per call, all hashes together');
  assert.deepEqual(await api.requestFileHandles([]), []);
  hub.hubMessage.port.close();
});

test('requestFileHandles honours create and origins like the singular form', async () => {
  const { install } = await freshPolyfill();
  const hub = frameResponder({ replies: storeOf(new Set()) });
  const api = install({ hub: HUB, global: fakeWindow({ hubMessage: hub.hubMessage }) });
  const [a, b] = await api.requestFileHandles([hash(1), hash(2)], { create: true, origins: ['https://B.example/x', '*'] });
  assert.equal(hub.log.length, 0, 'create handles register nothing');
  await (await b.createWritable()).abort();
  assert.equal(a.name, hex(1));
  const begin = hub.log.find((m) => m.type === 'writeBegin');
  assert.deepEqual(begin.origins, ['*', 'https://b.example']);
  assert.deepEqual(begin.hash, { algorithm: 'SHA-256', value: hex(2) });
  assert.ok(!('origin' in begin), 'the page never sends its own origin');
  hub.hubMessage.port.close();
});

test('read handle surface (SPEC §6)', async () => {
  const { install } = await freshPolyfill();
  const hub = frameResponder({ replies: storeOf(new Set([hex(1), hex(2)])) });
  const api = install({ hub: HUB, global: fakeWindow({ hubMessage: hub.hubMessage }) });
  const handle = await api.getFileHandle(hash(1));
  assert.equal(handle.kind, 'file');
  assert.equal(handle.name, hex(1));
  assert.equal(Object.prototype.toString.call(handle), '[object FileSystemFileHandle]');
  assert.equal(await handle.isSameEntry(await api.getFileHandle(hash(1))), true);
  assert.equal(await handle.isSameEntry(await api.getFileHandle(hash(2))), false);
  assert.equal(await handle.isSameEntry(await api.getFileHandle(hash(1), { create: true })), true);
  await assert.rejects(handle.isSameEntry({}), TypeError);
  await assert.rejects(handle.move('x'), { name: 'NotAllowedError' });
  await assert.rejects(handle.remove(), { name: 'NotAllowedError' });
  assert.equal(await handle.queryPermission({ mode: 'read' }), 'granted');
  assert.equal(await handle.requestPermission({ mode: 'read' }), 'granted');
  assert.equal(await handle.queryPermission(), 'granted');
  assert.equal(await handle.queryPermission({ mode: 'readwrite' }), 'denied');
  assert.equal(await handle.requestPermission({ mode: 'readwrite' }), 'denied');
  await assert.rejects(handle.queryPermission({ mode: 'write' }), TypeError);
  await assert.rejects(handle.createSyncAccessHandle(), { name: 'InvalidStateError' });
  await assert.rejects(handle.createWritable(), { name: 'NotAllowedError' });
  const file = await handle.getFile();
  assert.ok(file instanceof File);
  assert.equal(file.name, hex(1));
  assert.equal(await file.text(), 'abc');
  hub.hubMessage.port.close();
});

test('create handle: getFile NotAllowedError until a verified close; keepExistingData never pre-fills', async () => {
  const { install } = await freshPolyfill();
  const hub = frameResponder({ replies: storeOf(new Set()) });
  const api = install({ hub: HUB, global: fakeWindow({ hubMessage: hub.hubMessage }) });
  const handle = await api.getFileHandle(hash(5), { create: true });
  assert.equal(handle.kind, 'file');
  assert.equal(handle.name, hex(5));
  await assert.rejects(handle.getFile(), { name: 'NotAllowedError' });
  assert.equal(await handle.queryPermission({ mode: 'read' }), 'denied');
  assert.equal(await handle.queryPermission({ mode: 'readwrite' }), 'granted');
  const writable = await handle.createWritable({ keepExistingData: true });
  assert.ok(writable instanceof WritableStream);
  await writable.write(new Blob(['abc']));
  await writable.close();
  assert.deepEqual(hub.types(), ['writeBegin', 'writeChunk', 'writeClose'], 'nothing read before writing');
  assert.ok(hub.log.slice(1).every((m) => m.writeId === 9));
  const file = await handle.getFile();
  assert.equal(file.name, hex(5));
  assert.equal(await handle.queryPermission({ mode: 'read' }), 'granted');
  hub.hubMessage.port.close();
});

test('a failed verification leaves the create handle unreadable', async () => {
  const { install } = await freshPolyfill();
  const replies = { ...storeOf(new Set()), writeClose: () => { throw new DOMException('The written bytes do not match the hash.', 'DataError'); } };
  const hub = frameResponder({ replies });
  const api = install({ hub: HUB, global: fakeWindow({ hubMessage: hub.hubMessage }) });
  const handle = await api.getFileHandle(hash(6), { create: true });
  const writable = await handle.createWritable();
  await writable.write('wrong bytes');
  await assert.rejects(writable.close(), { name: 'DataError' });
  await assert.rejects(handle.getFile(), { name: 'NotAllowedError' });
  hub.hubMessage.port.close();
});

test('malformed messages from the hub are ignored, never crash', async (t) => {
  const warn = t.mock.method(console, 'warn', () => {});
  const { install } = await freshPolyfill();
  const hub = frameResponder({ replies: storeOf(new Set([hex(1)])) });
  const api = install({ hub: HUB, global: fakeWindow({ hubMessage: hub.hubMessage }) });
  await until(() => hub.hubMessage.port !== undefined);
  const port = hub.hubMessage.port;
  for (const junk of [null, 'x', { v: 1, id: 999, ok: true }, { v: 2, type: 'ready', status: 'shared' }, { v: 1, type: 'status', status: 'owned' },
    JSON.parse('{"v":1,"type":"progress","writeId":1,"loaded":1,"__proto__":{"x":1}}')]) {
    port.postMessage(junk);
  }
  await until(() => warn.mock.callCount() >= 5);
  assert.equal((await api.getFileHandle(hash(1))).name, hex(1));
  assert.equal({}.x, undefined);
  port.close();
});

test('a reply of the wrong shape rejects that call only', async () => {
  const { install } = await freshPolyfill();
  const hub = frameResponder({ replies: { lookup: () => ({ entries: [] }), getFile: () => ({ file: 'not a file' }) } });
  const api = install({ hub: HUB, global: fakeWindow({ hubMessage: hub.hubMessage }) });
  await assert.rejects(api.getFileHandle(hash(1)), TypeError);
  hub.hubMessage.port.close();
});

test('a refusal from the hub frame makes the status unavailable and rejects calls', async (t) => {
  t.mock.method(console, 'error', () => {});
  const { install, status } = await freshPolyfill();
  const win = fakeWindow({
    hubMessage(message, origin, [port]) {
      port.postMessage({ v: 1, type: 'refused', error: { name: 'NotAllowedError', message: 'opaque origin' } });
    },
  });
  const api = install({ hub: HUB, global: win });
  await assert.rejects(api.getFileHandle(hash(1)), { name: 'NotAllowedError' });
  assert.equal(status(), 'unavailable');
});

test('showConsent() shows the hub frame while the hub asks, then hides it', async () => {
  const { install, showConsent, status } = await freshPolyfill();
  let visibleDuringRequest;
  const win = fakeWindow();
  const hub = frameResponder({
    ready: 'partitioned',
    replies: {
      showConsent: () => {
        visibleDuringRequest = win.frames[0].style.pointerEvents === 'auto' && win.frames[0].style.opacity === '1';
        return { status: 'shared' };
      },
    },
  });
  win.document.createElement = ((create) => (tag) => {
    const iframe = create(tag);
    const post = iframe.contentWindow.postMessage;
    iframe.contentWindow.postMessage = (m, o, t) => { post(m, o, t); hub.hubMessage(structuredClone(m), o, t, iframe); };
    return iframe;
  })(win.document.createElement);
  install({ hub: HUB, global: win });
  await until(() => status() === 'partitioned');
  assert.equal(status(), 'partitioned');
  assert.equal(await showConsent(), 'shared');
  assert.equal(visibleDuringRequest, true);
  assert.equal(win.frames[0].style.pointerEvents, 'none');
  assert.equal(win.frames[0].attrs['aria-hidden'], 'true');
  hub.hubMessage.port.close();
});

// ---- through the real hub frame (js/hub-frame.js) with a TEST worker behind it ----

/** TEST worker: records requests (with the connection kind), answers from a tiny map. */
function testWorker(port, log, kind, stored, delay = 0, stats = { now: 0, max: 0 }) {
  const replies = {
    lookup: (r) => (r.hashes.every((h) => stored.has(h.value)) ? { entries: r.hashes.map(() => ({ size: 3, type: '' })) } : null),
    getFile: (r) => (stored.has(r.hash.value) ? { file: new File(['abc'], r.hash.value) } : null),
    writeBegin: () => ({ writeId: 42 }),
    writeChunk: (r) => ({ position: r.data.byteLength ?? r.data.size }),
    writeSeek: (r) => ({ position: r.position }),
    writeTruncate: (r) => ({ size: r.size }),
    writeClose: () => ({ size: 3 }),
    writeAbort: () => ({}),
    status: () => ({}),
  };
  port.onmessage = ({ data }) => {
    log.push({ ...data, kind });
    stats.max = Math.max(stats.max, ++stats.now);
    const reply = replies[data.type]?.(data);
    const send = () => {
      stats.now--;
      port.postMessage(reply ? { ...reply, v: 1, id: data.id, ok: true } : { v: 1, id: data.id, ok: false, error: { name: 'NotFoundError', message: 'miss' } });
    };
    if (delay) setTimeout(send, delay);
    else send();
  };
  port.postMessage({ v: 1, type: 'ready', version: 'test' });
}

/** A fake hub-frame window running the real startHubFrame(). */
function hubFrameWindow({ access: initialAccess = 'denied', ancestorOrigins = [SITE], stored = new Set(), workerFails = false, delay = 0 } = {}) {
  const stats = { now: 0, max: 0 };
  const workers = [];
  let access = initialAccess;
  const log = [];
  const listeners = new Set();
  const ports = [];
  const parent = { name: 'site page' };
  class FakeSharedWorker {
    constructor(url, options, kind = 'partitioned') {
      assert.equal(url, 'https://hub.example/cos/hub-worker.js');
      assert.deepEqual(options, { type: 'module', name: 'cos-hub' });
      const { port1, port2 } = new MessageChannel();
      this.port = port1;
      ports.push(port1, port2);
      this.errorListeners = [];
      if (workerFails) setTimeout(() => this.errorListeners.forEach((fn) => fn(new Event('error'))), 1);
      else testWorker(port2, log, kind, stored, delay, stats);
      workers.push(this);
    }
    addEventListener(type, fn) { if (type === 'error') this.errorListeners.push(fn); }
  }
  const elements = Object.fromEntries(['consent', 'consent-site', 'consent-allow', 'consent-decline']
    .map((id) => [id, { id, hidden: true, textContent: '', disabled: false, onclick: null }]));
  const document = {
    requestStorageAccess: async () => {
      if (access !== 'granted') throw new DOMException('needs a gesture', 'NotAllowedError');
      return { SharedWorker: (url, options) => new FakeSharedWorker(url, options, 'shared') };
    },
    getElementById: (id) => elements[id] ?? null,
  };
  /** Grant storage access from now on (what the user's click + Allow does). */
  const grant = () => { access = 'granted'; };
  const win = {
    parent, document, navigator: {}, SharedWorker: FakeSharedWorker, location: { ancestorOrigins },
    addEventListener: (type, fn) => type === 'message' && listeners.add(fn),
    removeEventListener: (type, fn) => listeners.delete(fn),
  };
  const frame = startHubFrame({ window: win, workerUrl: 'https://hub.example/cos/hub-worker.js' });
  /** Deliver a postMessage as the browser would. */
  const deliver = (data, { origin = SITE, source = parent, ports: transferred = [] } = {}) => {
    ports.push(...transferred);
    for (const fn of [...listeners]) fn({ data, origin, source, ports: transferred });
  };
  /** Close every port this test opened, so Node can exit. */
  const close = () => ports.forEach((port) => port.close());
  /** Make the running worker fail (its `error` event). */
  const crash = () => workers.forEach((w) => w.errorListeners.forEach((fn) => fn(new Event('error'))));
  return { win, frame, log, deliver, listeners, close, elements, grant, stats, crash };
}

/** Install the polyfill with its iframe wired to a real hub frame. */
async function installThroughFrame(frameOptions) {
  const hub = hubFrameWindow(frameOptions);
  const { install, status, showConsent } = await freshPolyfill();
  const win = fakeWindow({ hubMessage: (message, targetOrigin, transfer) => {
    assert.equal(targetOrigin, 'https://hub.example');
    hub.deliver(message, { ports: transfer });
  } });
  const api = install({ hub: HUB, global: win });
  return { api, hub, status, showConsent, win };
}

test('through the real frame: the bound origin is stamped, write ids are the frame\'s own', async (t) => {
  const { api, hub, status } = await installThroughFrame({ stored: new Set([hex(1)]) });
  t.after(hub.close);
  await assert.rejects(api.getFileHandle(hash(2)), { name: 'NotFoundError', message: NOT_FOUND_MESSAGE });
  const read = await api.getFileHandle(hash(1));
  assert.equal((await read.getFile()).name, hex(1));
  assert.equal(status(), 'partitioned');
  const handle = await api.getFileHandle(hash(7), { create: true, origins: '*' });
  const progress = [];
  const writable = await handle.createWritable({ onprogress: (p) => progress.push(p.loaded) });
  await writable.write('abc');
  await writable.close();
  assert.deepEqual(progress, [3, 3]);
  assert.equal(hub.frame.origin, SITE);
  assert.ok(hub.log.every((m) => m.origin === SITE && m.kind === 'partitioned'), 'every worker request carries the bound origin');
  const chunk = hub.log.find((m) => m.type === 'writeChunk');
  assert.equal(chunk.writeId, 42, 'the worker sees its own write id');
  assert.ok(chunk.data instanceof ArrayBuffer);
  assert.deepEqual(hub.log.map((m) => m.type), ['lookup', 'lookup', 'getFile', 'writeBegin', 'writeChunk', 'writeClose']);
});

test('through the real frame: storage access granted → shared worker and status', async (t) => {
  const { api, hub, status } = await installThroughFrame({ access: 'granted', stored: new Set([hex(1)]) });
  t.after(hub.close);
  await api.getFileHandle(hash(1));
  assert.equal(status(), 'shared');
  assert.equal(hub.frame.status, 'shared');
  assert.deepEqual(hub.log.map((m) => m.kind), ['shared']);
});

test('partitioned: one console warning that says why and how to offer consent', async (t) => {
  const warn = t.mock.method(console, 'warn', () => {});
  const { api, hub, status } = await installThroughFrame({ stored: new Set([hex(1)]) });
  t.after(hub.close);
  const events = [];
  api.addEventListener('statuschange', (e) => events.push(e.detail));
  await api.getFileHandle(hash(1));
  assert.equal(status(), 'partitioned');
  await api.getFileHandle(hash(1)); // later calls do not repeat it
  const lines = warn.mock.calls.map((c) => String(c.arguments[0])).filter((m) => /partitioned/.test(m));
  assert.equal(lines.length, 1);
  assert.match(lines[0], /hub https:\/\/hub\.example has no storage access on this site \(requestStorageAccess\(\) was refused without a click: NotAllowedError: needs a gesture\)/);
  assert.match(lines[0], /showConsent\(\)/);
  assert.match(lines[0], /opened https:\/\/hub\.example\/ as a page once/);
  assert.deepEqual(events, [{ status: 'partitioned', reason: 'requestStorageAccess() was refused without a click: NotAllowedError: needs a gesture' }],
    'statuschange carries the reason too');
});

test('shared: no partitioned warning', async (t) => {
  const warn = t.mock.method(console, 'warn', () => {});
  const { api, hub, status } = await installThroughFrame({ access: 'granted', stored: new Set([hex(1)]) });
  t.after(hub.close);
  await api.getFileHandle(hash(1));
  assert.equal(status(), 'shared');
  assert.equal(warn.mock.calls.filter((c) => /partitioned/.test(String(c.arguments[0]))).length, 0);
});

test('the frame rejects a page message that carries an origin, and anything malformed', async (t) => {
  const hub = hubFrameWindow();
  t.after(hub.close);
  const { port1, port2 } = new MessageChannel();
  hub.deliver({ v: 1, type: 'connect' }, { ports: [port2] });
  const replies = [];
  port1.onmessage = ({ data }) => replies.push(data);
  await until(() => replies.length === 1);
  port1.postMessage({ v: 1, id: 1, type: 'status', origin: 'https://evil.example' });
  port1.postMessage({ v: 1, id: 2, type: 'lookup', hashes: [{ algorithm: 'SHA-256', value: hex(1) }], extra: true });
  port1.postMessage(JSON.parse('{"v":1,"id":3,"type":"status","__proto__":{"polluted":true}}'));
  port1.postMessage({ v: 1, id: 4, type: 'writeChunk', writeId: 5, data: new ArrayBuffer(1) }); // never begun
  port1.postMessage({ v: 1, id: 5, type: 'status' });
  await until(() => replies.length === 6);
  const byId = Object.fromEntries(replies.filter((r) => r.id).map((r) => [r.id, r]));
  assert.deepEqual(replies[0], { v: 1, type: 'ready', status: 'partitioned', reason: 'requestStorageAccess() was refused without a click: NotAllowedError: needs a gesture' });
  assert.match(byId[1].error.message, /must not carry an origin/);
  assert.match(byId[2].error.message, /unknown field "extra"/);
  assert.match(byId[3].error.message, /forbidden/);
  assert.equal(byId[4].error.name, 'InvalidStateError');
  assert.deepEqual(byId[5], { v: 1, id: 5, ok: true, access: 'partitioned' });
  assert.deepEqual(hub.log.map((m) => [m.type, m.origin]), [['status', SITE]], 'only the valid request reached the worker');
  assert.equal({}.polluted, undefined);
  port1.close();
});

test('the frame accepts exactly one handshake, only from its parent', async (t) => {
  const hub = hubFrameWindow();
  t.after(hub.close);
  const stranger = new MessageChannel();
  hub.deliver({ v: 1, type: 'connect' }, { source: { name: 'another frame' }, ports: [stranger.port2] });
  hub.deliver({ v: 1, type: 'hello' }, { ports: [] }); // not a handshake: ignored, still listening
  assert.equal(hub.frame.origin, null);
  const first = new MessageChannel();
  hub.deliver({ v: 1, type: 'connect' }, { ports: [first.port2] });
  assert.equal(hub.frame.origin, SITE);
  assert.equal(hub.listeners.size, 0, 'the handshake listener is gone');
  const second = new MessageChannel();
  hub.deliver({ v: 1, type: 'connect' }, { origin: 'https://evil.example', ports: [second.port2] });
  assert.equal(hub.frame.origin, SITE);
  await until(() => hub.frame.status === 'partitioned');
  for (const channel of [stranger, first, second]) channel.port1.close();
});

test('the frame refuses opaque origins and origins that differ from ancestorOrigins', async (t) => {
  for (const [origin, ancestorOrigins, pattern] of [['null', ['null'], /opaque/], [SITE, ['https://other.example'], /does not match/]]) {
    const hub = hubFrameWindow({ ancestorOrigins });
    t.after(hub.close);
    const { port1, port2 } = new MessageChannel();
    const got = new Promise((resolve) => { port1.onmessage = ({ data }) => resolve(data); });
    hub.deliver({ v: 1, type: 'connect' }, { origin, ports: [port2] });
    const notice = await got;
    assert.equal(notice.type, 'refused');
    assert.equal(notice.error.name, 'NotAllowedError');
    assert.match(notice.error.message, pattern);
    assert.equal(hub.frame.origin, null);
    assert.equal(hub.log.length, 0);
    port1.close();
  }
});

test('a hub worker that fails to start makes the page unavailable, not hanging', async (t) => {
  t.mock.method(console, 'error', () => {});
  const { api, hub, status } = await installThroughFrame({ workerFails: true });
  t.after(hub.close);
  await assert.rejects(api.getFileHandle(hash(1)), { name: 'NetworkError', message: /unavailable/ });
  assert.equal(status(), 'unavailable');
});

test('consent through the real frame: Allow → shared worker; open writes finish where they began', async (t) => {
  const { api, hub, status, showConsent, win } = await installThroughFrame({ stored: new Set([hex(1)]) });
  t.after(hub.close);
  await until(() => status() === 'partitioned');
  const handle = await api.getFileHandle(hash(8), { create: true });
  const writable = await handle.createWritable();
  await writable.write('abc');
  const consent = showConsent();
  await until(() => hub.elements.consent.hidden === false);
  assert.equal(hub.elements['consent-site'].textContent, SITE, 'the frame names the bound origin');
  assert.equal(win.frames[0].style.pointerEvents, 'auto', 'the page shows the frame for the click');
  hub.grant(); // the user presses Allow in the browser prompt
  hub.elements['consent-allow'].onclick();
  assert.equal(await consent, 'shared');
  assert.equal(status(), 'shared');
  assert.equal(hub.elements.consent.hidden, true);
  await writable.close(); // began on the partitioned worker: finishes there
  await api.getFileHandle(hash(1)); // new requests go to the shared worker
  assert.deepEqual(hub.log.map((m) => [m.type, m.kind]), [
    ['writeBegin', 'partitioned'], ['writeChunk', 'partitioned'], ['writeClose', 'partitioned'], ['lookup', 'shared'],
  ]);
});

test('consent through the real frame: Not now → NotAllowedError, still partitioned', async (t) => {
  const { hub, status, showConsent } = await installThroughFrame();
  t.after(hub.close);
  await until(() => status() === 'partitioned');
  const consent = showConsent();
  await until(() => hub.elements.consent.hidden === false);
  hub.elements['consent-decline'].onclick();
  await assert.rejects(consent, { name: 'NotAllowedError' });
  assert.equal(status(), 'partitioned');
});

test('the frame forwards one operation per write at a time, in order', async (t) => {
  const { api, hub } = await installThroughFrame({ delay: 3 });
  t.after(hub.close);
  const handle = await api.getFileHandle(hash(9), { create: true });
  const writable = await handle.createWritable();
  hub.stats.max = 0;
  // Whole chunks (smaller writes would share one staged chunk): five writeChunk operations.
  for (let i = 0; i < 5; i++) await writable.write(new Uint8Array(CHUNK_BYTES).fill(i));
  await writable.seek(1);
  await writable.truncate(3);
  await writable.close();
  assert.equal(hub.stats.max, 1, 'never two operations of one write at the worker');
  const ops = hub.log.slice(1).map((m) => (m.type === 'writeChunk' ? new Uint8Array(m.data)[0] : m.type));
  assert.deepEqual(ops, [0, 1, 2, 3, 4, 'writeSeek', 'writeTruncate', 'writeClose']);
});

test('a worker that dies mid-write fails the write with NetworkError, never hangs', async (t) => {
  t.mock.method(console, 'error', () => {});
  const { api, hub, status } = await installThroughFrame({ delay: 50 });
  t.after(hub.close);
  const handle = await api.getFileHandle(hash(9), { create: true });
  const writable = await handle.createWritable();
  await writable.write(new Uint8Array(CHUNK_BYTES)); // a whole chunk: in flight at the worker
  await writable.write('b'); // staged in the page, sent by close()
  hub.crash();
  await assert.rejects(writable.close(), { name: 'NetworkError' });
  assert.equal(status(), 'unavailable');
  await assert.rejects(api.getFileHandle(hash(1)), { name: 'NetworkError' });
});
