// Loaded by web/hub/frame.html, the hidden hub <iframe> each site embeds (hub origin).
// Touches: one handshake from window.parent, storage access, the hub SharedWorker, the consent UI.

import {
  parseHandshake, parseRequest, parseReply, parseNotice, classify, isSerializedOrigin,
  makeReply, makeErrorReply, makeNotice, transferList, REQUESTS, ProtocolError,
} from './protocol.js';
import { makeError } from './errors.js';

/** Name the hub SharedWorker is started with (one instance per storage partition). */
export const WORKER_NAME = 'cos-hub';
/** How long the worker may take to announce `ready` (ms). */
export const WORKER_READY_TIMEOUT = 10_000;
/** How long a request not tied to a write (lookup, getFile, writeBegin, status) may take (ms). */
export const REQUEST_TIMEOUT = 30_000;
/** How long a gesture-less requestStorageAccess() may take before we go partitioned (ms). */
export const STORAGE_ACCESS_TIMEOUT = 5_000;
/** Most page requests held while the worker starts. */
export const MAX_EARLY_REQUESTS = 256;


const networkError = (message) => makeError('NetworkError', message);

/**
 * What frame.html's inline script started (`window.cosHubBoot`), if it ran: the storage
 * access request and, once granted, the hub worker; `failed` once that worker failed to load.
 * @returns {{access: Promise<any>, worker: SharedWorker|null, failed: boolean}|null}
 */
function bootOf(win) {
  const boot = win.cosHubBoot;
  return boot && typeof boot.access?.then === 'function' ? boot : null;
}

/**
 * Run the hub frame in `window`. Returns a small object for tests and the write-worker hook.
 * @param {object} [options]
 * @param {Window & typeof globalThis} [options.window]
 * @param {string} [options.workerUrl] defaults to hub-worker.js next to this module
 * @param {(url: string, options: WorkerOptions) => Worker} [options.startWriteWorker]
 *   hook for the dedicated write worker (sync access handles); see docs/protocol.md
 */
export function startHubFrame(options = {}) {
  const win = options.window ?? globalThis;
  const doc = win.document;
  const workerUrl = options.workerUrl ?? new URL('hub-worker.js', import.meta.url).href;
  const workerOptions = { type: 'module', name: WORKER_NAME };

  let bound = false;
  /** @type {string|null} */
  let origin = null;
  /** @type {MessagePort|null} */
  let pagePort = null;
  /** @type {Connection|null} */
  let current = null;
  /** @type {StorageAccessHandle|null} */
  let accessHandle = null;
  let early = [];
  let unavailable = null;
  /** page request id → {type, conn, pageWriteId, timer} */
  const pending = new Map();
  /** page-visible writeId → {conn, workerWriteId} (the worker's ids stay per connection) */
  const writes = new Map();
  let nextWriteId = 1;
  /** page ids waiting on the consent buttons */
  let consentWaiters = [];
  /** the dedicated write worker (sync access handles), started at the first write */
  let writeWorker = null;
  const startWriteWorker = options.startWriteWorker ?? ((u, o) => new win.Worker(u, o));

  const framed = win.parent && win.parent !== win;
  if (!framed) showTopLevelNote(doc);
  // Storage access and the worker do not depend on who embeds us: start them now, while
  // the page's handshake is on its way (the first call waits for the worker's start-up).
  const opening = framed ? openHub() : null;
  opening?.catch(() => {});

  win.addEventListener('message', function onHandshake(event) {
    if (bound || !framed || event.source !== win.parent) return; // exactly one, only from the parent
    let port;
    try {
      port = parseHandshake(event.data, event.ports);
    } catch {
      return; // not a handshake: ignore
    }
    bound = true;
    win.removeEventListener('message', onHandshake);
    const claimed = event.origin;
    if (claimed === 'null' || !isSerializedOrigin(claimed)) return refuse(port, 'An opaque (sandboxed, data:, file:) origin cannot use cross-origin storage.');
    const ancestor = win.location?.ancestorOrigins?.[0];
    if (ancestor !== undefined && ancestor !== claimed) return refuse(port, 'The handshake origin does not match the embedding page.');
    origin = claimed;
    pagePort = port;
    port.onmessage = (message) => onPageMessage(message.data);
    port.start?.();
    opening.then(connected, (error) => goUnavailable(`the hub worker could not start: ${error.message}`));
  });

  function refuse(port, message) {
    port.postMessage(makeNotice('refused', { error: { name: 'NotAllowedError', message } }));
    port.close();
  }

  /**
   * Storage access, then the unpartitioned worker, else a partitioned one. frame.html's
   * inline script may have asked for both already (`window.cosHubBoot`): taken over here.
   * @returns {Promise<{conn, why}>}
   */
  async function openHub() {
    const boot = bootOf(win);
    let handle = null;
    let why = 'this browser has no document.requestStorageAccess()';
    if (typeof doc.requestStorageAccess === 'function') {
      try {
        handle = await withTimeout(boot?.access ?? doc.requestStorageAccess({ all: true }), STORAGE_ACCESS_TIMEOUT);
      } catch (error) {
        handle = null; // needs a gesture (or refused): partitioned until the consent click
        why = `requestStorageAccess() was refused without a click: ${describe(error)}`;
      }
    }
    let conn = handle ? await tryShared(handle, boot) : null;
    if (handle && !conn) why = 'storage access was granted but the unpartitioned hub worker did not start';
    if (!conn) conn = await openConnection('partitioned', () => new win.SharedWorker(workerUrl, workerOptions), win.navigator?.locks);
    return { conn, why };
  }

  function connected({ conn, why }) {
    if (conn.dead) return goUnavailable('the hub worker stopped');
    current = conn;
    pagePort.postMessage(makeNotice('ready', conn.kind === 'partitioned' ? { status: conn.kind, reason: why.slice(0, 1000) } : { status: conn.kind }));
    for (const request of early.splice(0)) relay(request);
  }

  async function tryShared(handle, boot) {
    if (typeof handle?.SharedWorker !== 'function') return null;
    try {
      // The worker frame.html started (same script URL and name) unless it failed to load.
      const early = boot?.worker && !boot.failed ? boot.worker : null;
      const conn = await openConnection('shared', () => early ?? handle.SharedWorker(workerUrl, workerOptions), handle.locks);
      accessHandle = handle;
      return conn;
    } catch (error) {
      console.warn('[cos-hub] the unpartitioned hub worker did not start; staying partitioned:', error.message);
      return null;
    }
  }

  /**
   * @typedef {{kind: 'shared'|'partitioned', port: MessagePort, dead: boolean,
   *            pageWriteIds: Map<number, number>}} Connection
   */

  /** Start the worker and resolve once it announced `ready`. @returns {Promise<Connection>} */
  function openConnection(kind, start, locks) {
    return new Promise((resolve, reject) => {
      const worker = start();
      /** @type {Connection} */
      const conn = { kind, port: worker.port, dead: false, pageWriteIds: new Map() };
      let ready = false;
      const timer = setTimeout(() => {
        if (!ready) { conn.dead = true; reject(new Error(`no ready within ${WORKER_READY_TIMEOUT} ms`)); }
      }, WORKER_READY_TIMEOUT);
      worker.addEventListener?.('error', () => {
        if (!ready) { clearTimeout(timer); conn.dead = true; reject(new Error('the worker script failed to load')); }
        else died(conn, 'the hub worker failed');
      });
      conn.port.onmessage = (event) => {
        if (ready) return onWorkerMessage(conn, event.data);
        let notice;
        try {
          notice = parseNotice(event.data, 'worker');
        } catch (error) {
          return console.warn('[cos-hub] ignored a message before ready:', error.message);
        }
        if (notice.type !== 'ready') return;
        ready = true;
        clearTimeout(timer);
        if (notice.lock && locks?.request) watchLiveness(conn, locks, notice.lock);
        // Reads go out at once; a writeBegin waits until the worker knows our lifetime lock
        // (it abandons our writes when it is granted).
        conn.attached = attachLifetime(conn, locks).catch(() => {}).then(() => { conn.attachSent = true; });
        resolve(conn);
      };
      conn.port.onmessageerror = () => console.warn('[cos-hub] a worker message could not be deserialised');
      conn.port.start();
    });
  }

  // The frame holds a Web Lock for its whole life and names it to the worker, which waits
  // on it: being granted it means this frame (its tab) is gone and its writes are abandoned.
  async function attachLifetime(conn, locks) {
    if (!locks?.request) return;
    const lock = `cos-frame-${crypto.randomUUID()}`;
    await new Promise((held) => {
      locks.request(lock, () => { held(); return new Promise(() => {}); }).catch(() => held());
    });
    conn.port.postMessage(makeNotice('attach', { lock }));
  }

  // The worker holds the named Web Lock for its whole life; being granted it means it died.
  function watchLiveness(conn, locks, name) {
    locks.request(name, () => died(conn, 'the hub worker stopped')).catch(() => {});
  }

  function died(conn, reason) {
    if (conn.dead) return;
    conn.dead = true;
    // Forget its writes first, so answering below never dequeues another operation.
    for (const [writeId, write] of writes) if (write.conn === conn) writes.delete(writeId);
    for (const [id, entry] of [...pending]) {
      if (entry.conn !== conn) continue;
      answer(id, makeErrorReply(id, networkError(`The cross-origin storage hub is unavailable: ${reason}.`)));
    }
    if (conn === current) goUnavailable(reason);
  }

  function goUnavailable(reason) {
    unavailable = reason;
    for (const request of early.splice(0)) {
      pagePort.postMessage(makeErrorReply(request.id, networkError(`The cross-origin storage hub is unavailable: ${reason}.`)));
    }
    pagePort.postMessage(makeNotice('status', { status: 'unavailable', reason: String(reason).slice(0, 1000) }));
  }

  function onPageMessage(data) {
    let request;
    try {
      request = parseRequest(data, 'page');
    } catch (error) {
      if (error instanceof ProtocolError && error.id !== undefined && !pending.has(error.id)) {
        pagePort.postMessage(makeErrorReply(error.id, error));
      } else {
        console.warn('[cos-hub] dropped an invalid page message:', error.message);
      }
      return;
    }
    if (pending.has(request.id) || consentWaiters.includes(request.id)) {
      return console.warn('[cos-hub] dropped a request reusing a pending id');
    }
    if (request.type === 'showConsent') return consent(request.id);
    if (unavailable) {
      return pagePort.postMessage(makeErrorReply(request.id, networkError(`The cross-origin storage hub is unavailable: ${unavailable}.`)));
    }
    if (!current) {
      if (early.length >= MAX_EARLY_REQUESTS) return pagePort.postMessage(makeErrorReply(request.id, makeError('InvalidStateError', 'Too many requests before the hub was ready.')));
      early.push(request);
      return;
    }
    relay(request);
  }

  function relay(request) {
    const spec = REQUESTS[request.type];
    let conn = current;
    const out = { ...request, origin }; // the bound origin, never one from the page
    if (spec.writeScoped) {
      const write = writes.get(request.writeId);
      if (!write) return pagePort.postMessage(makeErrorReply(request.id, makeError('InvalidStateError', 'No open write with this writeId.')));
      conn = write.conn;
      out.writeId = write.workerWriteId;
      // One operation per write at a time reaches the worker, so the order of chunks, seeks
      // and truncates cannot depend on how the worker schedules its handlers. The page's
      // window bounds what waits here. (Relaying several at once was tried: no gain that
      // could be told from noise at load 8-15; docs/benchmarks.md.)
      if (write.busy) {
        pending.set(request.id, { type: request.type, conn, pageWriteId: request.writeId, timer: null });
        write.queue.push(request);
        return;
      }
      write.busy = true;
    }
    if (conn.dead) return answer(request.id, makeErrorReply(request.id, networkError('The cross-origin storage hub is unavailable.')));
    if (request.type === 'writeBegin' && !conn.attachSent) {
      conn.attached.then(() => relay(request));
      return;
    }
    if (request.type === 'writeBegin') linkWriteWorker(conn);
    let message;
    try {
      message = parseRequest(out, 'frame');
    } catch (error) {
      return pagePort.postMessage(makeErrorReply(request.id, error));
    }
    const entry = { type: request.type, conn, pageWriteId: spec.writeScoped ? request.writeId : undefined, timer: null };
    // Write-scoped requests queue behind chunks (a Blob may be GBs): only the liveness watch
    // bounds them. The others are short.
    if (!spec.writeScoped) {
      entry.timer = setTimeout(() => {
        answer(request.id, makeErrorReply(request.id, networkError(`The hub worker did not answer ${request.type} within ${REQUEST_TIMEOUT} ms.`)));
      }, REQUEST_TIMEOUT);
    }
    pending.set(request.id, entry);
    try {
      conn.port.postMessage(message, transferList(message));
    } catch (error) {
      answer(request.id, makeErrorReply(request.id, networkError(`Could not reach the hub worker: ${error.message}`)));
    }
  }

  // The hub worker (a SharedWorker) has no sync access handles; a dedicated worker started
  // here has. Started lazily (reads never need it) and linked to each worker connection
  // once, before its first writeBegin; the hub worker falls back to createWritable without it.
  function linkWriteWorker(conn) {
    if (conn.writerLinked) return;
    conn.writerLinked = true;
    if (!options.startWriteWorker && typeof win.Worker !== 'function') return;  // no dedicated workers here
    try {
      writeWorker ??= startWriteWorker(new URL('write-worker.js', import.meta.url).href, { type: 'module', name: 'cos-write' });
      const channel = new MessageChannel();
      writeWorker.postMessage(makeNotice('writer'), [channel.port1]);
      conn.port.postMessage(makeNotice('writer'), [channel.port2]);
    } catch (error) {
      console.warn('[cos-hub] no write worker; the hub worker writes with createWritable:', error.message);
    }
  }

  function onWorkerMessage(conn, data) {
    const kind = classify(data);
    if (kind === 'notice') {
      let notice;
      try {
        notice = parseNotice(data, 'worker');
      } catch (error) {
        return console.warn('[cos-hub] ignored an invalid worker notice:', error.message);
      }
      if (notice.type === 'progress') {
        const pageWriteId = conn.pageWriteIds.get(notice.writeId);
        if (pageWriteId !== undefined) pagePort.postMessage(makeNotice('progress', { writeId: pageWriteId, loaded: notice.loaded }));
      }
      return;
    }
    const id = kind === 'reply' ? data.id : undefined;
    const entry = Number.isSafeInteger(id) ? pending.get(id) : undefined;
    if (!entry || entry.conn !== conn) return console.warn('[cos-hub] ignored a worker message answering nothing');
    let reply;
    try {
      reply = parseReply(data, entry.type, 'worker');
    } catch (error) {
      return answer(id, makeErrorReply(id, makeError('UnknownError', `The hub worker sent an invalid reply: ${error.message}`)));
    }
    if (reply.ok && entry.type === 'writeBegin') {
      const pageWriteId = nextWriteId++;
      writes.set(pageWriteId, { conn, workerWriteId: reply.writeId, busy: false, queue: [] });
      conn.pageWriteIds.set(reply.writeId, pageWriteId);
      reply.writeId = pageWriteId;
    }
    if (reply.ok && entry.type === 'status') reply.access = conn.kind;
    answer(id, reply);
  }

  function answer(id, reply) {
    const entry = pending.get(id);
    if (entry) {
      clearTimeout(entry.timer);
      pending.delete(id);
    }
    pagePort.postMessage(reply, transferList(reply));
    if (entry?.pageWriteId !== undefined) nextOperation(entry);
  }

  /** After a write-scoped reply: end the write on close/abort, else send its next operation. */
  function nextOperation(entry) {
    const write = writes.get(entry.pageWriteId);
    if (!write) return;
    if (entry.type === 'writeClose' || entry.type === 'writeAbort') {
      // The write session is over either way (verified, mismatched, or aborted).
      writes.delete(entry.pageWriteId);
      write.conn.pageWriteIds.delete(write.workerWriteId);
      for (const queued of write.queue.splice(0)) {
        answer(queued.id, makeErrorReply(queued.id, makeError('InvalidStateError', 'The write is already closed.')));
      }
      return;
    }
    write.busy = false;
    const next = write.queue.shift();
    if (next) {
      pending.delete(next.id); // relay() registers it again, now sent
      relay(next);
    }
  }

  // ---- consent: storage access needs a click inside this frame ----

  function consent(id) {
    if (current?.kind === 'shared') return pagePort.postMessage(makeReply(id, { status: 'shared' }));
    if (!current || unavailable || typeof doc.requestStorageAccess !== 'function') {
      return pagePort.postMessage(makeErrorReply(id, makeError('InvalidStateError', 'Storage access cannot be requested now.')));
    }
    consentWaiters.push(id);
    renderConsent(doc, origin, onAllow, () => settleConsent(makeError('NotAllowedError', 'The user declined shared storage.')));
  }

  async function onAllow() {
    let handle;
    try {
      handle = await doc.requestStorageAccess({ all: true });
    } catch (error) {
      // Chromium refuses at once, without a prompt, unless the user has used the hub as a
      // top-level page before (once, within 30 days): say so, the page cannot see why.
      return settleConsent(makeError('NotAllowedError', `Storage access was not granted (${describe(error)}). ` +
        `Browsers ask only if you have opened ${win.location?.origin ?? 'the hub'} as a page before: open it once, then try again.`));
    }
    const conn = await tryShared(handle);
    if (!conn) return settleConsent(makeError('NotAllowedError', 'Storage access was granted but the shared hub worker did not start.'));
    current = conn; // new requests go here; open writes finish on the worker they began on
    pagePort.postMessage(makeNotice('status', { status: 'shared' }));
    settleConsent(null);
  }

  function settleConsent(error) {
    hideConsent(doc);
    for (const id of consentWaiters.splice(0)) {
      pagePort.postMessage(error ? makeErrorReply(id, error) : makeReply(id, { status: 'shared' }));
    }
  }

  return {
    /** The bound page origin, or null before the handshake. */
    get origin() { return origin; },
    /** 'shared' | 'partitioned' | 'unavailable' | 'connecting' */
    get status() { return unavailable ? 'unavailable' : current?.kind ?? 'connecting'; },
    /**
     * Hook for the dedicated write worker (sync access handles on the shared store): the
     * storage-access handle's directory when shared, else this partition's OPFS root.
     * @returns {Promise<FileSystemDirectoryHandle>}
     */
    async storageDirectory() {
      return accessHandle ? accessHandle.getDirectory() : win.navigator.storage.getDirectory();
    },
    /** Start a dedicated worker from this frame (only a document can). */
    startWriteWorker(url, opts) {
      return startWriteWorker(url, opts);
    },
  };
}

/** `Name: message` of a rejection, whatever was thrown. */
function describe(error) {
  if (error && typeof error === 'object') return `${error.name ?? 'Error'}: ${error.message ?? ''}`;
  return String(error);
}

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out')), ms);
    Promise.resolve(promise).then(
      (value) => { clearTimeout(timer); resolve(value); },
      (error) => { clearTimeout(timer); reject(error); },
    );
  });
}

// ---- the frame's tiny UI (DOM built with textContent: the origin is data, never markup) ----

function renderConsent(doc, origin, onAllow, onDecline) {
  const box = doc.getElementById?.('consent');
  if (!box) return onDecline();
  const site = doc.getElementById('consent-site');
  if (site) site.textContent = origin;
  const allow = doc.getElementById('consent-allow');
  const decline = doc.getElementById('consent-decline');
  allow.onclick = () => { allow.disabled = true; onAllow(); };
  decline.onclick = () => onDecline();
  allow.disabled = false;
  box.hidden = false;
}

function hideConsent(doc) {
  const box = doc.getElementById?.('consent');
  if (box) box.hidden = true;
}

function showTopLevelNote(doc) {
  const note = doc.getElementById?.('top-level');
  if (note) note.hidden = false;
}

// frame.html opts in with <meta name="cos-hub-frame">; importing the module elsewhere (tests,
// the write worker hook) starts nothing.
if (globalThis.document?.querySelector?.('meta[name="cos-hub-frame"]')) startHubFrame();
