// Loaded by every hop of the message path: page polyfill, hub frame, hub worker, Node tests.
// The single list of message types (page ↔ hub frame ↔ hub worker) and their validators; no I/O.

import { MAX_ERROR_MESSAGE_LENGTH, isErrorName, serializeError } from './errors.js';
import { MAX_ORIGINS, ANY_ORIGIN, STORABLE_ALGORITHM } from './hash.js';

/** Envelope version; a message with another `v` is rejected. */
export const PROTOCOL_VERSION = 1;
/** Largest ArrayBuffer one `writeChunk` may carry; the page slices bigger writes. */
export const CHUNK_BYTES = 4 * 1024 * 1024;
/** Bounded window of in-flight (sent, not yet acknowledged) chunk bytes per write. */
export const WINDOW_BYTES = 4 * CHUNK_BYTES;
/** Most hashes one `lookup` may ask about (requestFileHandles). */
export const MAX_LOOKUP_HASHES = 256;
/** Longest serialised origin accepted on the wire (hosts are ≤ 253 characters). */
export const MAX_ORIGIN_LENGTH = 2048;
/** Longest MIME type in a lookup entry. */
export const MAX_MIME_LENGTH = 256;
/** Longest free-text reason/version string. */
export const MAX_TEXT_LENGTH = 1024;
/** The handshake message type (page → frame window, with one MessagePort). */
export const HANDSHAKE_TYPE = 'connect';
/** Storage statuses the hub frame reports ('connecting' exists only on the page). */
export const HUB_STATUSES = Object.freeze(['shared', 'partitioned', 'unavailable']);

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const HEX64 = /^[0-9a-f]{64}$/;
const TYPE_NAME = /^[A-Za-z]{1,32}$/;

/** Thrown for any malformed message; `id` is set when the envelope's id was readable. */
export class ProtocolError extends TypeError {
  /** @param {string} message @param {number} [id] */
  constructor(message, id) {
    super(`cos protocol: ${message}`);
    /** @type {number|undefined} */
    this.id = id;
  }
}

// ---- field checkers: (value, path) => clean value, or throw ProtocolError ----

const fail = (path, problem) => { throw new ProtocolError(`${path} ${problem}`); };

function plainObject(value, path) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(path, 'must be an object');
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) fail(path, 'must be a plain object');
  return value;
}

/** Reject forbidden and unknown keys; require the required ones. */
function checkKeys(object, required, optional, path) {
  for (const key of Reflect.ownKeys(object)) {
    if (typeof key !== 'string') fail(path, 'has a symbol key');
    if (FORBIDDEN_KEYS.has(key)) fail(path, `has a forbidden key "${key}"`);
    if (!required.includes(key) && !optional.includes(key)) fail(path, `has an unknown field "${clipKey(key)}"`);
    const desc = Object.getOwnPropertyDescriptor(object, key);
    if (!('value' in desc)) fail(`${path}.${key}`, 'must be a data property');
  }
  for (const key of required) if (!Object.hasOwn(object, key)) fail(path, `is missing "${key}"`);
}

const uint = (value, path) => (Number.isSafeInteger(value) && value >= 0 ? value : fail(path, 'must be a non-negative safe integer'));
const positiveId = (value, path) => (Number.isSafeInteger(value) && value >= 1 ? value : fail(path, 'must be a positive safe integer'));

function text(max) {
  return (value, path) => {
    if (typeof value !== 'string') fail(path, 'must be a string');
    if (value.length > max) fail(path, `is longer than ${max} characters`);
    return value;
  };
}

function oneOf(values) {
  return (value, path) => (values.includes(value) ? value : fail(path, `must be one of ${values.join(', ')}`));
}

function hash(value, path) {
  plainObject(value, path);
  checkKeys(value, ['algorithm', 'value'], [], path);
  if (value.algorithm !== STORABLE_ALGORITHM) fail(`${path}.algorithm`, `must be "${STORABLE_ALGORITHM}"`);
  if (typeof value.value !== 'string' || !HEX64.test(value.value)) fail(`${path}.value`, 'must be 64 lowercase hex digits');
  return { algorithm: value.algorithm, value: value.value };
}

function denseArray(value, path, max) {
  if (!Array.isArray(value)) fail(path, 'must be an array');
  if (value.length > max) fail(path, `has more than ${max} entries`);
  if (Object.keys(value).length !== value.length) fail(path, 'must be a dense array without extra properties');
  return value;
}

function hashes(value, path) {
  denseArray(value, path, MAX_LOOKUP_HASHES);
  if (value.length === 0) fail(path, 'must not be empty');
  return value.map((entry, i) => hash(entry, `${path}[${i}]`));
}

function origins(value, path) {
  denseArray(value, path, MAX_ORIGINS);
  const seen = new Set();
  return value.map((entry, i) => {
    const at = `${path}[${i}]`;
    if (typeof entry !== 'string') fail(at, 'must be a string');
    if (entry.length > MAX_ORIGIN_LENGTH) fail(at, `is longer than ${MAX_ORIGIN_LENGTH} characters`);
    if (entry !== ANY_ORIGIN && !isSerializedOrigin(entry)) fail(at, "must be a serialised non-opaque origin or '*'");
    if (seen.has(entry)) fail(at, 'is a duplicate');
    seen.add(entry);
    return entry;
  });
}

/** True for strings that are exactly a serialised tuple origin, e.g. 'https://a.example:8443'. */
export function isSerializedOrigin(value) {
  if (typeof value !== 'string' || value.length > MAX_ORIGIN_LENGTH || value === 'null') return false;
  try { return new URL(value).origin === value; } catch { return false; }
}

function isArrayBuffer(value) {
  return Object.prototype.toString.call(value) === '[object ArrayBuffer]';
}

function isBlob(value) {
  return typeof Blob === 'function' && value instanceof Blob;
}

function chunkData(value, path) {
  if (isArrayBuffer(value)) {
    if (value.byteLength > CHUNK_BYTES) fail(path, `is larger than ${CHUNK_BYTES} bytes`);
    return value;
  }
  if (isBlob(value)) return value;
  return fail(path, 'must be an ArrayBuffer or a Blob');
}

const file = (value, path) => (isBlob(value) ? value : fail(path, 'must be a File'));

function entries(value, path) {
  denseArray(value, path, MAX_LOOKUP_HASHES);
  return value.map((entry, i) => {
    const at = `${path}[${i}]`;
    plainObject(entry, at);
    checkKeys(entry, ['size', 'type'], [], at);
    return { size: uint(entry.size, `${at}.size`), type: text(MAX_MIME_LENGTH)(entry.type, `${at}.type`) };
  });
}

function wireError(value, path) {
  plainObject(value, path);
  checkKeys(value, ['name', 'message'], [], path);
  if (!isErrorName(value.name)) fail(`${path}.name`, 'must be an error name');
  return { name: value.name, message: text(MAX_ERROR_MESSAGE_LENGTH)(value.message, `${path}.message`) };
}

const hubStatus = oneOf(HUB_STATUSES);
const FRAME_LOCK = /^cos-frame-[0-9a-f-]{36}$/;
const frameLock = (value, path) => (typeof value === 'string' && FRAME_LOCK.test(value) ? value : fail(path, 'must be a cos-frame-<uuid> lock name'));
const access = oneOf(['shared', 'partitioned']);

// ---- the message table ----

/**
 * Every request type. `fields`/`optional`: request fields besides the envelope.
 * `reply`/`replyOptional`: fields of an ok reply. `relay`: the frame forwards it to the
 * worker (stamping `origin`); otherwise the frame answers it itself. `frameReply*`: what the
 * frame adds when relaying the worker's reply to the page. `writeScoped`: names a writeId.
 */
export const REQUESTS = Object.freeze({
  lookup: { fields: { hashes }, reply: { entries }, relay: true },
  getFile: { fields: { hash }, reply: { file }, relay: true },
  writeBegin: { fields: { hash, origins }, reply: { writeId: positiveId }, relay: true },
  writeChunk: { fields: { writeId: positiveId, data: chunkData }, reply: { position: uint }, relay: true, writeScoped: true },
  writeSeek: { fields: { writeId: positiveId, position: uint }, reply: { position: uint }, relay: true, writeScoped: true },
  writeTruncate: { fields: { writeId: positiveId, size: uint }, reply: { size: uint }, relay: true, writeScoped: true },
  writeClose: { fields: { writeId: positiveId }, reply: { size: uint }, relay: true, writeScoped: true },
  writeAbort: { fields: { writeId: positiveId }, reply: {}, relay: true, writeScoped: true },
  status: {
    // No hub-wide figures: they would let one site watch other sites' writes.
    fields: {}, reply: {}, relay: true, frameReply: { access },
  },
  showConsent: { fields: {}, reply: { status: access }, relay: false },
});

/** Notices: messages without an id. Keyed by sender. */
export const NOTICES = Object.freeze({
  worker: {
    // `lock`: a Web Lock the worker holds for its whole life (the frame's liveness watch).
    ready: { fields: {}, optional: { version: text(64), lock: text(64) } },
    progress: { fields: { writeId: positiveId, loaded: uint }, optional: {} },
  },
  // The hub frame to the hub worker: `lock` is a Web Lock the frame holds for its whole
  // life; the worker waits on it to learn that the frame (its tab) is gone, since Chromium
  // fires no close event on a SharedWorker's ports.
  hubFrame: {
    attach: { fields: { lock: frameLock }, optional: {} },
    // Sent with exactly one transferred MessagePort, to the hub worker and to the frame's
    // dedicated write worker (js/write-worker.js): the two ends of their channel. Not in
    // REQUESTS, so no page can send it (docs/protocol.md, "The dedicated write worker").
    writer: { fields: {}, optional: {} },
  },
  frame: {
    // `reason`: why storage is partitioned (the browser's refusal), for the page's diagnostic.
    ready: { fields: { status: access }, optional: { reason: text(MAX_TEXT_LENGTH) } },
    status: { fields: { status: hubStatus }, optional: { reason: text(MAX_TEXT_LENGTH) } },
    progress: { fields: { writeId: positiveId, loaded: uint }, optional: {} },
    refused: { fields: { error: wireError }, optional: {} },
  },
});

// ---- parsers (validate and return a fresh object holding only known fields) ----

function envelope(message, path) {
  plainObject(message, path);
  if (Object.hasOwn(message, '__proto__') || Object.hasOwn(message, 'constructor') || Object.hasOwn(message, 'prototype')) {
    fail(path, 'has a forbidden key');
  }
  if (message.v !== PROTOCOL_VERSION) fail(`${path}.v`, `must be ${PROTOCOL_VERSION}`);
  return message;
}

/** The envelope id when readable (so a malformed request can still be answered). */
function readId(message) {
  if (message === null || typeof message !== 'object') return undefined;
  const desc = Object.getOwnPropertyDescriptor(message, 'id');
  return desc && Number.isSafeInteger(desc.value) && desc.value >= 1 ? desc.value : undefined;
}

function applyFields(out, message, checkers, path) {
  for (const [key, check] of Object.entries(checkers)) {
    if (Object.hasOwn(message, key)) out[key] = check(message[key], `${path}.${key}`);
  }
  return out;
}

/**
 * Validate a request. `from: 'page'` (page → frame: must NOT carry `origin`) or
 * `from: 'frame'` (frame → worker: must carry the bound `origin`; only relayed types).
 * @param {unknown} message
 * @param {'page'|'frame'} from
 * @returns {{v: number, id: number, type: string, origin?: string, [field: string]: unknown}}
 */
export function parseRequest(message, from) {
  const path = from === 'frame' ? 'request(frame→worker)' : 'request(page→frame)';
  const id = readId(message);
  try {
    envelope(message, path);
    if (id === undefined) fail(`${path}.id`, 'must be a positive safe integer');
    const type = message.type;
    if (typeof type !== 'string' || !TYPE_NAME.test(type) || !Object.hasOwn(REQUESTS, type)) {
      fail(`${path}.type`, `is not a known request type (${typeof type === 'string' ? JSON.stringify(type.slice(0, 32)) : typeof type})`);
    }
    const spec = REQUESTS[type];
    if (from === 'frame' && !spec.relay) fail(`${path}.type`, `"${type}" is answered by the frame, never relayed`);
    if (from === 'page' && Object.hasOwn(message, 'origin')) {
      fail(path, 'must not carry an origin: the hub frame stamps the origin it bound at the handshake');
    }
    const required = ['v', 'id', 'type', ...Object.keys(spec.fields), ...(from === 'frame' ? ['origin'] : [])];
    checkKeys(message, required, [], path);
    const out = { v: PROTOCOL_VERSION, id, type };
    if (from === 'frame') {
      if (!isSerializedOrigin(message.origin)) fail(`${path}.origin`, 'must be a serialised non-opaque origin');
      out.origin = message.origin;
    }
    return applyFields(out, message, spec.fields, path);
  } catch (error) {
    if (error instanceof ProtocolError) error.id = id;
    throw error;
  }
}

/**
 * Validate a reply to a request of `requestType`. `from: 'worker'` (worker → frame) or
 * `from: 'frame'` (frame → page).
 * @param {unknown} message
 * @param {string} requestType
 * @param {'worker'|'frame'} from
 * @returns {{v: number, id: number, ok: true, [field: string]: unknown} |
 *           {v: number, id: number, ok: false, error: {name: string, message: string}}}
 */
export function parseReply(message, requestType, from) {
  const path = `reply(${from === 'frame' ? 'frame→page' : 'worker→frame'}, ${requestType})`;
  const id = readId(message);
  try {
    envelope(message, path);
    if (id === undefined) fail(`${path}.id`, 'must be a positive safe integer');
    if (!Object.hasOwn(REQUESTS, requestType)) fail(path, 'answers an unknown request type');
    if (message.ok === false) {
      checkKeys(message, ['v', 'id', 'ok', 'error'], [], path);
      return { v: PROTOCOL_VERSION, id, ok: false, error: wireError(message.error, `${path}.error`) };
    }
    if (message.ok !== true) fail(`${path}.ok`, 'must be a boolean');
    const spec = REQUESTS[requestType];
    const required = (from === 'frame' && spec.frameReply) || spec.reply;
    const optional = (from === 'frame' && spec.frameReply ? spec.frameReplyOptional : spec.replyOptional) ?? {};
    checkKeys(message, ['v', 'id', 'ok', ...Object.keys(required)], Object.keys(optional), path);
    const out = { v: PROTOCOL_VERSION, id, ok: true };
    applyFields(out, message, required, path);
    return applyFields(out, message, optional, path);
  } catch (error) {
    if (error instanceof ProtocolError) error.id = id;
    throw error;
  }
}

/**
 * Validate a notice (a message without an id) sent by `from` ('worker' or 'frame').
 * @param {unknown} message
 * @param {'worker'|'frame'} from
 * @returns {{v: number, type: string, [field: string]: unknown}}
 */
export function parseNotice(message, from) {
  const path = `notice(${from})`;
  envelope(message, path);
  const table = NOTICES[from];
  const type = message.type;
  if (typeof type !== 'string' || !TYPE_NAME.test(type) || !table || !Object.hasOwn(table, type)) {
    fail(`${path}.type`, 'is not a known notice type');
  }
  const spec = table[type];
  checkKeys(message, ['v', 'type', ...Object.keys(spec.fields)], Object.keys(spec.optional), path);
  const out = { v: PROTOCOL_VERSION, type };
  applyFields(out, message, spec.fields, path);
  return applyFields(out, message, spec.optional, path);
}

/**
 * Tell a reply (has `ok`) from a notice (has `type`, no `id`) before parsing it.
 * @param {unknown} message
 * @returns {'reply'|'notice'|'invalid'}
 */
export function classify(message) {
  if (message === null || typeof message !== 'object') return 'invalid';
  if (Object.hasOwn(message, 'ok')) return 'reply';
  if (Object.hasOwn(message, 'type') && !Object.hasOwn(message, 'id')) return 'notice';
  return 'invalid';
}

/**
 * Validate the handshake the page posts to the hub frame's window: exactly
 * `{v: 1, type: 'connect'}` with exactly one transferred MessagePort.
 * @param {unknown} data
 * @param {readonly unknown[]} ports
 * @returns {MessagePort}
 */
export function parseHandshake(data, ports) {
  const path = 'handshake';
  envelope(data, path);
  checkKeys(data, ['v', 'type'], [], path);
  if (data.type !== HANDSHAKE_TYPE) fail(`${path}.type`, `must be "${HANDSHAKE_TYPE}"`);
  if (!ports || ports.length !== 1) fail(path, 'must transfer exactly one MessagePort');
  return ports[0];
}

// ---- builders ----

/** @returns {{v: number, type: string}} the handshake message */
export function handshake() {
  return { v: PROTOCOL_VERSION, type: HANDSHAKE_TYPE };
}

/**
 * @param {number} id @param {string} type @param {Record<string, unknown>} [fields]
 * @returns {Record<string, unknown>}
 */
export function makeRequest(id, type, fields = {}) {
  return { ...fields, v: PROTOCOL_VERSION, id, type };
}

/** @param {number} id @param {Record<string, unknown>} [fields] */
export function makeReply(id, fields = {}) {
  return { ...fields, v: PROTOCOL_VERSION, id, ok: true };
}

/** @param {number} id @param {unknown} error anything thrown; crosses as `{name, message}` */
export function makeErrorReply(id, error) {
  return { v: PROTOCOL_VERSION, id, ok: false, error: serializeError(error) };
}

/** @param {string} type @param {Record<string, unknown>} [fields] */
export function makeNotice(type, fields = {}) {
  return { ...fields, v: PROTOCOL_VERSION, type };
}

/**
 * The transfer list for a message: a chunk's ArrayBuffer moves instead of being copied.
 * @param {Record<string, unknown>} message
 * @returns {Transferable[]}
 */
export function transferList(message) {
  return message && isArrayBuffer(message.data) ? [message.data] : [];
}

function clipKey(key) {
  return key.length > 32 ? `${key.slice(0, 29)}...` : key;
}

// ---- management: the hub's own top-level page (js/hub-manage.js) ↔ hub worker ----
// Never part of REQUESTS, so the hub frame can neither accept nor relay these types from a
// page, and a frame's port can never use them: the worker honours them only on a port whose
// FIRST message was `manageHello`, which the frame never sends.

/** First message on a management port (hub top-level page → worker). */
export const MANAGE_HELLO_TYPE = 'manageHello';
/** Most entries one manageList reply carries (the page says when there are more). */
export const MAX_MANAGE_ENTRIES = 10_000;

function schemefulSite(value, path) {
  if (!isSerializedOrigin(value)) fail(path, 'must be a serialised site, e.g. "https://example.com"');
  return value;
}

function list(max) {
  return (value, path) => denseArray(value, path, max);
}

function record(value, path) {
  return plainObject(value, path);
}

/**
 * Management request types. `fields`: request fields besides the envelope (no `origin`: the
 * caller is the hub itself). `reply`: fields of an ok reply (shapes in docs/demo.md).
 */
export const MANAGEMENT = Object.freeze({
  manageList: { fields: {}, reply: { entries: list(MAX_MANAGE_ENTRIES), sites: list(MAX_MANAGE_ENTRIES), totals: record, connected: list(MAX_MANAGE_ENTRIES) } },
  manageDelete: { fields: { hash }, reply: { removed: uint } },
  manageForget: { fields: { site: schemefulSite }, reply: { forgottenOrigins: uint, removed: uint } },
  manageClear: { fields: {}, reply: { removed: uint } },
});

/** True when `message` is exactly `{v: 1, type: 'manageHello'}`. */
export function isManageHello(message) {
  try {
    envelope(message, 'manageHello');
    checkKeys(message, ['v', 'type'], [], 'manageHello');
    return message.type === MANAGE_HELLO_TYPE;
  } catch {
    return false;
  }
}

/** @returns {{v: number, type: string}} the management hello */
export function manageHello() {
  return { v: PROTOCOL_VERSION, type: MANAGE_HELLO_TYPE };
}

/**
 * Validate a management request (hub page → worker, on a management port only).
 * @returns {{v: number, id: number, type: string, [field: string]: unknown}}
 */
export function parseManageRequest(message) {
  const path = 'request(manage→worker)';
  const id = readId(message);
  try {
    envelope(message, path);
    if (id === undefined) fail(`${path}.id`, 'must be a positive safe integer');
    const type = message.type;
    if (typeof type !== 'string' || !TYPE_NAME.test(type) || !Object.hasOwn(MANAGEMENT, type)) {
      fail(`${path}.type`, 'is not a known management request type');
    }
    const spec = MANAGEMENT[type];
    checkKeys(message, ['v', 'id', 'type', ...Object.keys(spec.fields)], [], path);
    return applyFields({ v: PROTOCOL_VERSION, id, type }, message, spec.fields, path);
  } catch (error) {
    if (error instanceof ProtocolError) error.id = id;
    throw error;
  }
}

/** Validate a reply to a management request of `requestType` (worker → hub page). */
export function parseManageReply(message, requestType) {
  const path = `reply(worker→manage, ${requestType})`;
  const id = readId(message);
  envelope(message, path);
  if (id === undefined) fail(`${path}.id`, 'must be a positive safe integer');
  if (!Object.hasOwn(MANAGEMENT, requestType)) fail(path, 'answers an unknown management request type');
  if (message.ok === false) {
    checkKeys(message, ['v', 'id', 'ok', 'error'], [], path);
    return { v: PROTOCOL_VERSION, id, ok: false, error: wireError(message.error, `${path}.error`) };
  }
  if (message.ok !== true) fail(`${path}.ok`, 'must be a boolean');
  const { reply } = MANAGEMENT[requestType];
  checkKeys(message, ['v', 'id', 'ok', ...Object.keys(reply)], [], path);
  return applyFields({ v: PROTOCOL_VERSION, id, ok: true }, message, reply, path);
}
