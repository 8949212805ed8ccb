// Loaded by the page polyfill (and the hub frame/worker for re-checks) to validate SPEC §2 input.
// Pure: uses only the URL parser; touches no DOM, storage or network.

import { errorFromStatus } from './errors.js';

/** Web Crypto digest names, upper-cased for case-insensitive matching. */
export const KNOWN_ALGORITHMS = Object.freeze(['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512']);
/** The one algorithm that stores. */
export const STORABLE_ALGORITHM = 'SHA-256';
/** Cap on `options.origins` (SPEC §2: a cap below 1000). */
export const MAX_ORIGINS = 100;
/** The wildcard grant. */
export const ANY_ORIGIN = '*';

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * @typedef {{algorithm: 'SHA-256', value: string}} NormalizedHash
 */

/**
 * Validate a `{algorithm, value}` hash dictionary (SPEC §2); throws TypeError.
 * @param {unknown} hash
 * @returns {NormalizedHash} with the algorithm spelled canonically
 */
export function normalizeHash(hash) {
  if (hash === null || typeof hash !== 'object') {
    throw new TypeError('hash must be an object {algorithm, value}');
  }
  const algorithm = hash.algorithm;
  const value = hash.value;
  if (typeof algorithm !== 'string') throw new TypeError('hash.algorithm must be a string');
  // ASCII case-insensitive, as Web Crypto matches names ('ſha-256' must not become 'SHA-256').
  const upper = algorithm.replace(/[a-z]/g, (c) => c.toUpperCase());
  if (!KNOWN_ALGORITHMS.includes(upper)) throw errorFromStatus('InvalidAlgorithm');
  if (upper !== STORABLE_ALGORITHM) throw errorFromStatus('UnsupportedAlgorithm');
  if (typeof value !== 'string' || !HEX64.test(value)) throw errorFromStatus('InvalidHashValue');
  return { algorithm: STORABLE_ALGORITHM, value };
}

/**
 * Serialise one origin string the way the browser URL parser does; throws TypeError.
 * @param {unknown} entry
 * @returns {string} e.g. 'https://example.com' (no path, default port dropped)
 */
export function normalizeOrigin(entry) {
  if (typeof entry !== 'string') throw new TypeError('each origin must be a string');
  let url;
  try {
    url = new URL(entry);
  } catch {
    throw errorFromStatus('InvalidOrigin', `origin ${JSON.stringify(clip(entry))} does not parse as a URL`);
  }
  if (url.origin === 'null') {
    throw errorFromStatus('OpaqueOrigin', `origin ${JSON.stringify(clip(entry))} is opaque and cannot be granted access`);
  }
  return url.origin;
}

/**
 * Validate and normalise `options.origins` (SPEC §2): omitted, [], '*', one origin string,
 * or a sequence of them. Returns a duplicate-free list; '*' appears at most once, first.
 * Throws TypeError on any bad entry or a list longer than MAX_ORIGINS.
 * @param {unknown} origins
 * @returns {string[]}
 */
export function normalizeOrigins(origins) {
  if (origins === undefined) return [];
  let entries;
  if (typeof origins === 'string') {
    entries = [origins];
  } else if (origins !== null && typeof origins === 'object' && typeof origins[Symbol.iterator] === 'function') {
    // WebIDL sequence<DOMString>: any iterable; stop one past the cap so nothing runs forever.
    entries = [];
    for (const entry of origins) {
      entries.push(entry);
      if (entries.length > MAX_ORIGINS) break;
    }
  } else {
    throw new TypeError("options.origins must be '*', an origin string, or an array of them");
  }
  if (entries.length > MAX_ORIGINS) throw errorFromStatus('TooManyOrigins', `options.origins lists more than ${MAX_ORIGINS} origins`);
  const out = new Set();
  let any = false;
  for (const entry of entries) {
    if (entry === ANY_ORIGIN) any = true;
    else out.add(normalizeOrigin(entry));
  }
  return any ? [ANY_ORIGIN, ...out] : [...out];
}

/**
 * Validate the `options` dictionary of getFileHandle/requestFileHandles.
 * @param {unknown} options
 * @returns {{create: boolean, origins: string[]}}
 */
export function normalizeOptions(options) {
  if (options === undefined || options === null) return { create: false, origins: [] };
  if (typeof options !== 'object' && typeof options !== 'function') {
    throw new TypeError('options must be an object');
  }
  return { create: Boolean(options.create), origins: normalizeOrigins(options.origins) };
}

function clip(text) {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
