// Loaded by a site page (ES module, or via js/auto.js): installs navigator.crossOriginStorage.
// Touches navigator (one property), one hidden hub <iframe>, and the MessagePort to it; no storage.

import {
  parseReply, parseNotice, parseRequest, classify, makeRequest, handshake, transferList,
  ProtocolError, MAX_LOOKUP_HASHES,
} from './protocol.js';
import { makeError, reviveError, notFoundError } from './errors.js';
import { normalizeHash, normalizeOptions } from './hash.js';
import { CrossOriginStorageFileHandle } from './handle.js';
import { bridgeWorker } from './worker-bridge.js';
import { installFetch } from './integrations/fetch.js';
import { installHtml } from './integrations/html.js';

/** Marks an API object made by this polyfill (any copy of this module). */
export const API_MARK = Symbol.for('cos-polyfill.api');
/** How long calls wait for the hub before they fail (ms). */
export const DEFAULT_TIMEOUT = 10_000;
export const VERSION = '0.1.0';

/** @typedef {'connecting'|'shared'|'partitioned'|'unavailable'} StorageStatus */

const HIDDEN_STYLE = {
  position: 'fixed', width: '1px', height: '1px', right: '0', bottom: '0', border: '0',
  opacity: '0', pointerEvents: 'none', zIndex: '-1', colorScheme: 'normal',
};
const CONSENT_STYLE = {
  position: 'fixed', width: 'min(420px, calc(100vw - 32px))', height: '180px', right: '16px', bottom: '16px',
  border: '1px solid #8886', borderRadius: '12px', boxShadow: '0 8px 32px #0004', opacity: '1',
  pointerEvents: 'auto', zIndex: '2147483647', background: 'Canvas', colorScheme: 'normal',
};

const networkError = (message) => makeError('NetworkError', message);

/**
 * The page end of the page ↔ hub-frame MessagePort: numbered requests, validated replies,
 * calls queued until the frame says `ready` (never lost), all failing together if the hub
 * is unreachable. Implements the HubRequester that handles and writables use.
 */
export class HubClient {
  #port = null;
  #nextId = 1;
  /** @type {Map<number, {type: string, resolve: Function, reject: Function, count?: number}>} */
  #pending = new Map();
  /** @type {Array<{message: object, transfer: Transferable[]}>} */
  #queue = [];
  #ready = false;
  #failure = null;
  /** @type {Map<number, Set<(loaded: number) => void>>} */
  #progress = new Map();
  #onstatus;

  /** @param {{onstatus?: (status: StorageStatus, reason?: string) => void}} [options] */
  constructor(options = {}) {
    this.#onstatus = options.onstatus ?? (() => {});
  }

  /** True once the frame announced `ready`. */
  get ready() { return this.#ready; }

  /** Start listening on the port to the hub frame; calls wait for its `ready` notice. */
  attach(port) {
    if (this.#port) throw new Error('HubClient is already attached');
    this.#port = port;
    port.onmessage = (event) => this.#receive(event.data);
    port.onmessageerror = () => console.warn('[cos-polyfill] a message from the hub could not be deserialised');
    port.start?.();
  }

  /**
   * Send one request; resolves with the reply's fields or rejects with the revived error.
   * @param {string} type @param {object} [fields] @param {Transferable[]} [transfer]
   * @returns {Promise<any>}
   */
  request(type, fields = {}, transfer) {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    let message;
    try {
      message = parseRequest(makeRequest(id, type, fields), 'page'); // our own bugs surface here
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      const count = type === 'lookup' ? message.hashes.length : undefined;
      this.#pending.set(id, { type, resolve, reject, count });
      const item = { message, transfer: transfer ?? transferList(message) };
      if (this.#ready) this.#post(item);
      else this.#queue.push(item);
    });
  }

  /** Listen for the hub's progress notices on one write. @returns {() => void} unsubscribe */
  watchProgress(writeId, listener) {
    let set = this.#progress.get(writeId);
    if (!set) this.#progress.set(writeId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#progress.delete(writeId);
    };
  }

  /** Reject every queued and pending call, and every later one, with `error`. */
  fail(error) {
    if (this.#failure) return;
    this.#failure = error;
    this.#queue = [];
    for (const { reject } of this.#pending.values()) reject(error);
    this.#pending.clear();
    this.#progress.clear();
    this.#port?.close(); // the connection is over; release it
  }

  #post({ message, transfer }) {
    try {
      this.#port.postMessage(message, transfer);
    } catch (error) {
      const pending = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      pending?.reject(error);
    }
  }

  #receive(data) {
    const kind = classify(data);
    if (kind === 'notice') return this.#notice(data);
    if (kind !== 'reply') return console.warn('[cos-polyfill] ignored a malformed message from the hub');
    const id = data.id;
    const pending = Number.isSafeInteger(id) ? this.#pending.get(id) : undefined;
    if (!pending) return console.warn('[cos-polyfill] ignored a reply to no pending request');
    this.#pending.delete(id);
    let reply;
    try {
      reply = parseReply(data, pending.type, 'frame');
      if (reply.ok && pending.count !== undefined && reply.entries.length !== pending.count) {
        throw new ProtocolError(`lookup answered ${reply.entries.length} entries for ${pending.count} hashes`);
      }
    } catch (error) {
      return pending.reject(error);
    }
    if (reply.ok) pending.resolve(reply);
    else pending.reject(reviveError(reply.error));
  }

  #notice(data) {
    let notice;
    try {
      notice = parseNotice(data, 'frame');
    } catch (error) {
      return console.warn('[cos-polyfill] ignored an invalid notice from the hub:', error.message);
    }
    switch (notice.type) {
      case 'ready':
        if (this.#ready || this.#failure) return;
        this.#ready = true;
        this.#onstatus(notice.status, notice.reason);
        for (const item of this.#queue.splice(0)) this.#post(item);
        return;
      case 'status':
        if (notice.status === 'unavailable') console.error(`[cos-polyfill] the cross-origin storage hub became unavailable${notice.reason ? `: ${notice.reason}` : '.'}`);
        this.#onstatus(notice.status, notice.reason);
        if (notice.status === 'unavailable') this.fail(networkError(`The cross-origin storage hub became unavailable${notice.reason ? `: ${notice.reason}` : '.'}`));
        return;
      case 'progress':
        for (const listener of this.#progress.get(notice.writeId) ?? []) listener(notice.loaded);
        return;
      case 'refused': {
        const error = reviveError(notice.error);
        console.error(`[cos-polyfill] the hub refused this page: ${error.message}`);
        this.#onstatus('unavailable', error.message);
        this.fail(error);
        return;
      }
      default:
    }
  }
}

let deprecationWarned = false;

/**
 * `navigator.crossOriginStorage`: an EventTarget that dispatches `statuschange`
 * (a CustomEvent whose `detail` is `{status, reason}`).
 */
export class CrossOriginStorage extends EventTarget {
  #client;

  /** @param {HubClient} client */
  constructor(client) {
    super();
    this.#client = client;
  }

  /**
   * A handle for the entry named by `hash`. Read (default): resolves only for a verified
   * entry visible to this origin, else NotFoundError. `create: true`: always resolves to a
   * handle that may write (asks the hub nothing until createWritable()).
   * @param {{algorithm: string, value: string}} hash
   * @param {{create?: boolean, origins?: string|string[]}} [options]
   * @returns {Promise<CrossOriginStorageFileHandle>}
   */
  async getFileHandle(hash, options) {
    const normal = normalizeHash(hash);
    const { create, origins } = normalizeOptions(options);
    if (create) return new CrossOriginStorageFileHandle({ client: this.#client, hash: normal, mode: 'create', origins });
    const [entry] = await this.#lookup([normal]);
    return new CrossOriginStorageFileHandle({ client: this.#client, hash: normal, mode: 'read', entry });
  }

  /**
   * Deprecated alias of getFileHandle() (Transformers.js 4.3+); warns once.
   * @param {{algorithm: string, value: string}} hash
   * @param {{create?: boolean, origins?: string|string[]}} [options]
   */
  requestFileHandle(hash, options) {
    if (!deprecationWarned) {
      deprecationWarned = true;
      console.warn('[cos-polyfill] navigator.crossOriginStorage.requestFileHandle() is deprecated; use getFileHandle().');
    }
    return this.getFileHandle(hash, options);
  }

  /**
   * Older plural form (Transformers.js 4.0–4.2). All-or-nothing: any miss rejects with
   * NotFoundError and reveals no partial match.
   * @param {Iterable<{algorithm: string, value: string}>} hashes
   * @param {{create?: boolean, origins?: string|string[]}} [options]
   * @returns {Promise<CrossOriginStorageFileHandle[]>}
   */
  async requestFileHandles(hashes, options) {
    if (hashes === null || typeof hashes !== 'object' || typeof hashes[Symbol.iterator] !== 'function') {
      throw new TypeError('requestFileHandles() needs a sequence of hash dictionaries');
    }
    const list = [];
    for (const hash of hashes) {
      if (list.length >= MAX_LOOKUP_HASHES) throw new TypeError(`requestFileHandles() takes at most ${MAX_LOOKUP_HASHES} hashes`);
      list.push(normalizeHash(hash));
    }
    const { create, origins } = normalizeOptions(options);
    if (create) {
      return list.map((hash) => new CrossOriginStorageFileHandle({ client: this.#client, hash, mode: 'create', origins }));
    }
    if (list.length === 0) return [];
    const entries = await this.#lookup(list);
    return list.map((hash, i) => new CrossOriginStorageFileHandle({ client: this.#client, hash, mode: 'read', entry: entries[i] }));
  }

  async #lookup(hashes) {
    try {
      const { entries } = await this.#client.request('lookup', { hashes });
      return entries;
    } catch (error) {
      // Every undisclosed read looks the same; only a hub outage keeps its own name.
      if (error?.name === 'NotFoundError') throw notFoundError();
      throw error;
    }
  }
}

/** @type {null | {api: CrossOriginStorage, client: HubClient, frame: any, status: StorageStatus, reason?: string, hubOrigin: string, frameUrl: string}} */
let current = null;
const statusListeners = new Set();

/**
 * Install `navigator.crossOriginStorage` once (non-writable, secure contexts only, never
 * over a native implementation). A second call is a no-op that returns the same object.
 * @param {object} options
 * @param {string} options.hub URL of the hub directory (frame at `${hub}frame.html`) or of
 *   the frame page itself when it ends in `.html`
 * @param {number} [options.timeout] ms to wait for the hub before queued calls fail
 * @param {boolean} [options.fetch] also wrap fetch() (SPEC §7, js/integrations/fetch.js)
 * @param {boolean} [options.html] also handle <script>/<link crossoriginstorage> (js/integrations/html.js)
 * @param {typeof globalThis} [options.global] the window to install into (tests)
 * @returns {CrossOriginStorage|object|null} the API object, the native one, or null when
 *   not installed (insecure context, or no hub)
 */
export function install(options = {}) {
  const global = options.global ?? globalThis;
  if (current) {
    if (options.hub && resolveFrameUrl(options.hub, global) !== current.frameUrl) {
      console.warn('[cos-polyfill] already installed with another hub; keeping', current.frameUrl);
    }
    return current.api;
  }
  const navigator = global.navigator;
  if (!navigator) return null;
  if (global.isSecureContext !== true) {
    console.warn('[cos-polyfill] not installed: navigator.crossOriginStorage exists only in secure contexts.');
    return null;
  }
  // Native, or installed by another copy of this module: leave it alone.
  if ('crossOriginStorage' in navigator) return navigator.crossOriginStorage;
  if (typeof options.hub !== 'string' || options.hub === '') {
    throw new TypeError('install() needs {hub: "https://hub.example/"}');
  }
  const frameUrl = resolveFrameUrl(options.hub, global);
  const hubOrigin = new URL(frameUrl).origin;
  const timeout = options.timeout ?? DEFAULT_TIMEOUT;

  const client = new HubClient({ onstatus: (status, reason) => setStatus(status, reason) });
  const api = new CrossOriginStorage(client);
  Object.defineProperty(api, API_MARK, { value: true });
  Object.defineProperty(api, 'polyfill', {
    value: Object.freeze({ version: VERSION, hub: frameUrl, status, showConsent, onStatusChange, connectWorker }),
  });
  current = { api, client, frame: null, status: 'connecting', hubOrigin, frameUrl, timer: null };

  Object.defineProperty(navigator, 'crossOriginStorage', { value: api, writable: false, enumerable: true, configurable: false });
  if (options.fetch) installFetch({ global });
  if (options.html) installHtml({ global });

  const timer = setTimeout(() => {
    if (client.ready) return;
    const why = `the hub frame ${frameUrl} did not answer within ${timeout} ms. Check that the URL is right, ` +
      'that this page\'s CSP frame-src allows it, and that the hub does not forbid framing (X-Frame-Options / frame-ancestors).';
    console.error(`[cos-polyfill] ${why}`);
    setStatus('unavailable', why);
    client.fail(networkError(`The cross-origin storage hub is unreachable: ${why}`));
  }, timeout);
  timer.unref?.();
  current.timer = timer;

  current.frame = createHubFrame(global, frameUrl, (frameWindow) => {
    const { port1, port2 } = new MessageChannel();
    client.attach(port1);
    frameWindow.postMessage(handshake(), hubOrigin, [port2]);
  });
  return api;
}

/** @returns {StorageStatus} the polyfill's storage status ('unavailable' when not installed) */
export function status() {
  return current ? current.status : 'unavailable';
}

/**
 * Watch status changes. @param {(status: StorageStatus, reason?: string) => void} listener
 * @returns {() => void} unsubscribe
 */
export function onStatusChange(listener) {
  statusListeners.add(listener);
  return () => statusListeners.delete(listener);
}

/**
 * Show the hub's one-click consent (storage access needs a click INSIDE the hub frame).
 * Resolves with the new status ('shared'), rejects NotAllowedError if the user declines.
 * @returns {Promise<StorageStatus>}
 */
export async function showConsent() {
  if (!current) throw makeError('InvalidStateError', 'The cross-origin storage polyfill is not installed.');
  if (current.status === 'shared') return 'shared';
  const frame = current.frame;
  Object.assign(frame.style, CONSENT_STYLE);
  frame.removeAttribute?.('aria-hidden');
  frame.tabIndex = 0;
  try {
    const reply = await current.client.request('showConsent');
    return reply.status;
  } finally {
    Object.assign(frame.style, HIDDEN_STYLE);
    frame.setAttribute?.('aria-hidden', 'true');
    frame.tabIndex = -1;
  }
}

/**
 * Lend this page's hub connection to a same-origin worker that loads the worker build
 * (docs/workers.md). No-op where the worker has its own API (native implementation).
 * @param {Worker|SharedWorker|MessagePort} worker
 * @returns {() => void} disconnect
 */
export function connectWorker(worker) {
  if (!current) {
    if ('crossOriginStorage' in (globalThis.navigator ?? {})) return () => {};
    throw makeError('InvalidStateError', 'connectWorker() needs the polyfill installed on this page first.');
  }
  return bridgeWorker(worker, { client: current.client, status, onStatusChange });
}

function setStatus(next, reason) {
  if (!current || (current.status === next && current.reason === reason)) return;
  if (current.status === 'unavailable') return; // final for this page
  clearTimeout(current.timer); // the hub answered (or failed): no more waiting
  current.status = next;
  current.reason = reason;
  if (next === 'partitioned') explainPartitioned(current.hubOrigin, reason);
  const CustomEventClass = globalThis.CustomEvent;
  current.api.dispatchEvent(new CustomEventClass('statuschange', { detail: { status: next, reason } }));
  for (const listener of statusListeners) {
    try { listener(next, reason); } catch (error) { console.error('[cos-polyfill] status listener threw:', error); }
  }
}

/**
 * The console diagnostic for the default of browsers that block third-party storage: what
 * it means for the site, and the one call that offers the user the fix. Once per page.
 */
function explainPartitioned(hubOrigin, reason) {
  if (current.explained) return;
  current.explained = true;
  console.warn(`[cos-polyfill] storage is partitioned: the hub ${hubOrigin} has no storage access on this site` +
    `${reason ? ` (${reason})` : ''}. The API works, but files are shared only among pages of this site, not with ` +
    'other sites. To share across sites, call navigator.crossOriginStorage.polyfill.showConsent() from a click ' +
    'handler: the hub shows a box and the user clicks Allow in it, then Allow in the browser\'s prompt (the browser ' +
    `prompts only if the user has opened ${hubOrigin}/ as a page once). See docs/consent.md in cos-polyfill.`);
}

function resolveFrameUrl(hub, global) {
  const base = global.document?.baseURI ?? global.location?.href;
  let url;
  try {
    url = new URL(hub, base);
  } catch {
    throw new TypeError(`hub ${JSON.stringify(hub)} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError('hub must be an http(s) URL');
  if (!url.pathname.endsWith('.html')) {
    if (!url.pathname.endsWith('/')) url.pathname += '/';
    url = new URL('frame.html', url);
  }
  url.hash = '';
  return url.href;
}

/** The hidden hub <iframe>; calls `onload(contentWindow)` once it has loaded. */
function createHubFrame(global, frameUrl, onload) {
  const document = global.document;
  const iframe = document.createElement('iframe');
  iframe.title = 'Cross-Origin Storage hub';
  iframe.setAttribute('aria-hidden', 'true');
  iframe.tabIndex = -1;
  Object.assign(iframe.style, HIDDEN_STYLE);
  let done = false;
  iframe.addEventListener('load', () => {
    if (done) return; // only the first load gets the handshake
    done = true;
    onload(iframe.contentWindow);
  });
  iframe.src = frameUrl;
  (document.body ?? document.documentElement).append(iframe);
  return iframe;
}
