// Loaded by the page polyfill: lends a same-origin worker this page's hub connection (docs/workers.md).
// Touches one MessageChannel per connected worker and the page's HubClient; never the hub frame itself.

import {
  PROTOCOL_VERSION, parseRequest, makeReply, makeErrorReply, makeNotice, transferList, ProtocolError,
} from './protocol.js';
import { makeError } from './errors.js';

/** The one message the page posts to a worker (with a MessagePort) to connect it. */
export const BRIDGE_TYPE = 'cos-polyfill-bridge';

/** @returns {{v: number, type: string}} */
export function bridgeMessage() {
  return { v: PROTOCOL_VERSION, type: BRIDGE_TYPE };
}

/**
 * True when `data` (with `ports`) is our bridge message: exactly `{v, type}` and one port.
 * @param {unknown} data @param {readonly unknown[]} [ports]
 */
export function isBridgeMessage(data, ports) {
  return data !== null && typeof data === 'object' && !Array.isArray(data) &&
    data.v === PROTOCOL_VERSION && data.type === BRIDGE_TYPE &&
    Object.keys(data).length === 2 && ports?.length === 1;
}

/**
 * @typedef {object} BridgeSource the page side the worker borrows
 * @property {{request: Function, watchProgress?: Function}} client the page's HubClient
 * @property {() => string} status the page's storage status
 * @property {(listener: (status: string, reason?: string) => void) => () => void} onStatusChange
 */

/**
 * Connect `worker` (a Worker, a SharedWorker, or a MessagePort to one) to this page's hub
 * connection. The hub sees this page's origin, which is the worker's own: a worker's script
 * is same-origin with the page that starts it, so relaying adds no authority.
 * @param {Worker|SharedWorker|MessagePort} worker
 * @param {BridgeSource} source
 * @returns {() => void} disconnect
 */
export function bridgeWorker(worker, source) {
  const target = typeof SharedWorker === 'function' && worker instanceof SharedWorker ? worker.port : worker;
  if (!target || typeof target.postMessage !== 'function') {
    throw new TypeError('connectWorker() needs a Worker, a SharedWorker or a MessagePort');
  }
  const { port1, port2 } = new MessageChannel();
  const { client } = source;
  /** writeId → unwatch */
  const watching = new Map();
  let closed = false;
  let announced = false;

  const post = (message, transfer = []) => {
    if (!closed) port1.postMessage(message, transfer);
  };

  const announce = (status, reason) => {
    if (status === 'connecting') return;
    if (!announced && status !== 'unavailable') {
      announced = true;
      post(makeNotice('ready', { status }));
      return;
    }
    post(makeNotice('status', reason ? { status, reason: String(reason).slice(0, 1000) } : { status }));
  };
  const stopStatus = source.onStatusChange(announce);

  port1.onmessage = (event) => relay(event.data);
  port1.start?.();
  target.postMessage(bridgeMessage(), [port2]);
  announce(source.status());

  async function relay(data) {
    let request;
    try {
      request = parseRequest(data, 'page');
    } catch (error) {
      if (error instanceof ProtocolError && error.id !== undefined) post(makeErrorReply(error.id, error));
      else console.warn('[cos-polyfill] dropped an invalid message from a worker:', error.message);
      return;
    }
    const { v, id, type, ...fields } = request;
    if (type === 'showConsent') {
      return post(makeErrorReply(id, makeError('NotAllowedError', 'showConsent() needs the page: the consent click happens in the hub frame the page embeds.')));
    }
    try {
      const reply = await client.request(type, fields);
      const { v: _v, id: _id, ok: _ok, ...out } = reply;
      if (type === 'writeBegin') watchWrite(out.writeId);
      if (type === 'writeClose' || type === 'writeAbort') unwatchWrite(fields.writeId);
      const message = makeReply(id, out);
      post(message, transferList(message));
    } catch (error) {
      if (type === 'writeClose' || type === 'writeAbort') unwatchWrite(fields.writeId);
      post(makeErrorReply(id, error));
    }
  }

  function watchWrite(writeId) {
    if (!client.watchProgress || watching.has(writeId)) return;
    watching.set(writeId, client.watchProgress(writeId, (loaded) => post(makeNotice('progress', { writeId, loaded }))));
  }

  function unwatchWrite(writeId) {
    watching.get(writeId)?.();
    watching.delete(writeId);
  }

  return () => {
    if (closed) return;
    closed = true;
    stopStatus();
    for (const unwatch of watching.values()) unwatch();
    watching.clear();
    port1.close();
  };
}
