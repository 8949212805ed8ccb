// Loaded in a dedicated or shared worker (bundled as dist/cos-polyfill.worker.js): installs
// navigator.crossOriginStorage there. Touches the worker's navigator and only our bridge message.

import { HubClient, CrossOriginStorage, API_MARK, VERSION, DEFAULT_TIMEOUT } from './polyfill.js';
import { isBridgeMessage } from './worker-bridge.js';
import { makeError } from './errors.js';
import { installFetch } from './integrations/fetch.js';

/** @typedef {'connecting'|'shared'|'partitioned'|'unavailable'} StorageStatus */

/** @type {null | {api: CrossOriginStorage, client: HubClient, status: StorageStatus, reason?: string, timer: any, attached: boolean}} */
let current = null;
const statusListeners = new Set();

/**
 * Install `navigator.crossOriginStorage` in this worker. Workers cannot embed the hub frame,
 * so calls wait (queued) until a page of this origin lends its hub connection with
 * `connectWorker(worker)`; see docs/workers.md. A second call returns the same object.
 * @param {{timeout?: number, fetch?: boolean, global?: typeof globalThis}} [options]
 *   timeout: ms to wait for a page and the hub before calls fail (default 10 s);
 *   fetch: also wrap fetch() (SPEC §7, js/integrations/fetch.js)
 * @returns {CrossOriginStorage|object|null}
 */
export function install(options = {}) {
  const global = options.global ?? globalThis;
  if (current) return current.api;
  const navigator = global.navigator;
  if (!navigator) return null;
  if (global.isSecureContext !== true) {
    console.warn('[cos-polyfill] not installed in this worker: navigator.crossOriginStorage exists only in secure contexts.');
    return null;
  }
  if ('crossOriginStorage' in navigator) return navigator.crossOriginStorage; // native, or another copy
  const timeout = options.timeout ?? DEFAULT_TIMEOUT;
  const client = new HubClient({ onstatus: (status, reason) => setStatus(status, reason) });
  const api = new CrossOriginStorage(client);
  Object.defineProperty(api, API_MARK, { value: true });
  Object.defineProperty(api, 'polyfill', {
    value: Object.freeze({ version: VERSION, hub: null, worker: true, status, onStatusChange, showConsent }),
  });
  current = { api, client, status: 'connecting', timer: null, attached: false };
  Object.defineProperty(navigator, 'crossOriginStorage', { value: api, writable: false, enumerable: true, configurable: false });
  if (options.fetch) installFetch({ global });

  const timer = setTimeout(() => {
    if (client.ready) return;
    const why = current.attached
      ? `the page that connected this worker did not reach the hub within ${timeout} ms (see the page's console).`
      : `no page connected this worker within ${timeout} ms. Call connectWorker(worker) on the page after ` +
        'installing the polyfill there (navigator.crossOriginStorage.polyfill.connectWorker in the script build): ' +
        'workers cannot embed the hub frame, so they borrow their page\'s connection.';
    console.error(`[cos-polyfill] ${why}`);
    setStatus('unavailable', why);
    client.fail(makeError('NetworkError', `The cross-origin storage hub is unreachable: ${why}`));
  }, timeout);
  current.timer = timer;

  const accept = (port) => {
    if (current.attached) {
      port.close(); // one page serves this worker; see docs/workers.md
      return;
    }
    current.attached = true;
    client.attach(port);
  };
  if ('onconnect' in global) {
    // Shared worker: every connecting page gets a port; the bridge message arrives on it.
    global.addEventListener('connect', (event) => {
      const port = event.ports[0];
      const onBridge = (message) => {
        if (!isBridgeMessage(message.data, message.ports)) return;
        message.stopImmediatePropagation();
        port.removeEventListener('message', onBridge);
        accept(message.ports[0]);
      };
      port.addEventListener('message', onBridge);
      port.start();
    });
  } else {
    global.addEventListener('message', (event) => {
      if (!isBridgeMessage(event.data, event.ports)) return;
      event.stopImmediatePropagation(); // the worker's own onmessage never sees it
      accept(event.ports[0]);
    });
  }
  return api;
}

/** @returns {StorageStatus} */
export function status() {
  return current ? current.status : 'unavailable';
}

/** @param {(status: StorageStatus, reason?: string) => void} listener @returns {() => void} */
export function onStatusChange(listener) {
  statusListeners.add(listener);
  return () => statusListeners.delete(listener);
}

/** Consent needs a click in the hub frame, which only the page has. */
export async function showConsent() {
  throw makeError('NotAllowedError', 'showConsent() is available on the page only: call it there, then this worker shares its status.');
}

function setStatus(next, reason) {
  if (!current || (current.status === next && current.reason === reason)) return;
  if (current.status === 'unavailable') return;
  if (next !== 'connecting') clearTimeout(current.timer);
  current.status = next;
  current.reason = reason;
  if (next === 'partitioned') {
    console.warn('[cos-polyfill] storage is partitioned for this site (the page has no storage access to the hub): ' +
      'entries are shared only with pages under the same top-level site until the user allows access on the page.');
  }
  current.api.dispatchEvent(new CustomEvent('statuschange', { detail: { status: next, reason } }));
  for (const listener of statusListeners) {
    try { listener(next, reason); } catch (error) { console.error('[cos-polyfill] status listener threw:', error); }
  }
}

const config = globalThis.cosPolyfillOptions;
if (config?.install !== false && typeof WorkerGlobalScope === 'function' && globalThis instanceof WorkerGlobalScope) {
  install({ timeout: config?.timeout, fetch: config?.fetch === true });
}
