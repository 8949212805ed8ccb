// Loaded by every context (page polyfill, hub frame, hub worker, Node tests).
// Pure data and constructors: touches no DOM, storage or network; needs only DOMException.

/**
 * The single table from core status names (src/status.h, exported by the Wasm core as
 * strings so names never drift) to the name of the error a page sees.
 * @type {Readonly<Record<string, string>>}
 */
export const STATUS_ERROR_NAMES = Object.freeze({
  InvalidAlgorithm: 'TypeError',
  UnsupportedAlgorithm: 'TypeError',
  InvalidHashValue: 'TypeError',
  InvalidOrigin: 'TypeError',
  OpaqueOrigin: 'TypeError',
  TooManyOrigins: 'TypeError',
  InvalidIntegrity: 'TypeError',
  NotFound: 'NotFoundError',
  NotAllowed: 'NotAllowedError',
  DataMismatch: 'DataError',
  QuotaExceeded: 'QuotaExceededError',
  InvalidState: 'InvalidStateError',
  // A persisted record failed its checksum: an internal fault, never the caller's.
  Corrupt: 'UnknownError',
});

/**
 * Default messages, one per status (mirrors status_message() in src/status.cpp).
 * @type {Readonly<Record<string, string>>}
 */
export const STATUS_MESSAGES = Object.freeze({
  InvalidAlgorithm: 'hash.algorithm is not a known digest algorithm name',
  UnsupportedAlgorithm: 'hash.algorithm is not supported: only SHA-256 can be stored',
  InvalidHashValue: 'hash.value must be exactly 64 lowercase hexadecimal digits',
  InvalidOrigin: 'origin does not parse as a URL with an origin',
  OpaqueOrigin: 'origin is opaque (data:, file:, null, ...) and cannot be granted access',
  TooManyOrigins: 'options.origins lists more origins than allowed',
  InvalidIntegrity: 'integrity has no sha256-<base64> digest',
  NotFound: 'A requested file or directory could not be found at the time an operation was processed.',
  NotAllowed: 'The request is not allowed.',
  DataMismatch: 'The written bytes do not match the hash.',
  QuotaExceeded: 'The storage quota has been exceeded.',
  InvalidState: 'The object is in an invalid state.',
  Corrupt: 'A stored record is corrupt.',
});

/**
 * The one message every undisclosed read carries (SPEC §3): never written, not visible,
 * still being written, refused by the PHL and over the probe budget must look the same.
 */
export const NOT_FOUND_MESSAGE = STATUS_MESSAGES.NotFound;

/** Longest error message that crosses postMessage; longer ones are cut. */
export const MAX_ERROR_MESSAGE_LENGTH = 1024;
const ERROR_NAME_PATTERN = /^[A-Z][A-Za-z]{0,63}$/;

/** Names revived as the ECMAScript error classes rather than DOMException. */
const NATIVE_ERRORS = Object.freeze({ TypeError, RangeError, Error });

/**
 * Build an error by name, the way the platform would: `TypeError`/`RangeError`/`Error`
 * become those classes, anything else a `DOMException` carrying that name.
 * @param {string} name
 * @param {string} message
 * @returns {Error|DOMException}
 */
export function makeError(name, message) {
  const Native = Object.hasOwn(NATIVE_ERRORS, name) ? NATIVE_ERRORS[name] : undefined;
  if (Native) return new Native(message);
  if (name === 'QuotaExceededError' && typeof globalThis.QuotaExceededError === 'function') {
    // Newer browsers give QuotaExceededError its own DOMException subclass.
    try { return new globalThis.QuotaExceededError(message); } catch { /* fall through */ }
  }
  return new DOMException(message, name);
}

/**
 * The error a page sees for a core status.
 * @param {string} status a name from src/status.h, e.g. 'DataMismatch'
 * @param {string} [message] overrides the default message (ignored for NotFound)
 * @returns {Error|DOMException}
 */
export function errorFromStatus(status, message) {
  const name = Object.hasOwn(STATUS_ERROR_NAMES, status) ? STATUS_ERROR_NAMES[status] : 'UnknownError';
  if (status === 'NotFound') return notFoundError();
  const text = message ?? (Object.hasOwn(STATUS_MESSAGES, status) ? STATUS_MESSAGES[status] : `unknown status ${String(status)}`);
  return makeError(name, text);
}

/** @returns {DOMException} the uniform NotFoundError of every undisclosed read */
export function notFoundError() {
  return new DOMException(NOT_FOUND_MESSAGE, 'NotFoundError');
}

/**
 * Turn anything thrown into the `{name, message}` that crosses postMessage.
 * Unknown throwables become `UnknownError`, so nothing internal leaks by accident.
 * @param {unknown} error
 * @returns {{name: string, message: string}}
 */
export function serializeError(error) {
  let name = 'UnknownError';
  let message = 'unknown error';
  if (error !== null && typeof error === 'object') {
    const n = safeGet(error, 'name');
    const m = safeGet(error, 'message');
    if (typeof n === 'string' && ERROR_NAME_PATTERN.test(n)) name = n;
    if (typeof m === 'string') message = m;
  } else if (typeof error === 'string') {
    message = error;
  }
  if (message.length > MAX_ERROR_MESSAGE_LENGTH) message = `${message.slice(0, MAX_ERROR_MESSAGE_LENGTH - 1)}…`;
  return { name, message };
}

/**
 * Rebuild an error from `{name, message}` received over postMessage; a DOMException name
 * survives, `TypeError` comes back as a TypeError. Malformed input yields UnknownError.
 * @param {unknown} wire
 * @returns {Error|DOMException}
 */
export function reviveError(wire) {
  const { name, message } = isPlainObject(wire) ? serializeError(wire) : serializeError(undefined);
  if (name === 'NotFoundError') return notFoundError();
  return makeError(name, message);
}

/** True when `name` is acceptable as an error name on the wire. */
export function isErrorName(name) {
  return typeof name === 'string' && ERROR_NAME_PATTERN.test(name);
}

function safeGet(object, key) {
  try { return object[key]; } catch { return undefined; }
}

function isPlainObject(value) {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
