// Loaded by a page or worker that opts in (install({fetch: true}) or cos-polyfill/fetch): SPEC §7 fetch.
// Touches globalThis.fetch (wrapped once) and only the public navigator.crossOriginStorage API.

/** Marks our wrapper; its value is the fetch it wraps. */
export const FETCH_MARK = Symbol.for('cos-polyfill.fetch');

// SRI algorithms by strength; the browser checks only the strongest one present.
const SRI_STRENGTH = Object.freeze({ sha256: 1, sha384: 2, sha512: 3 });

/** Where a response came from: 'storage' (a hit) or 'network' (a miss, also being stored). */
export const SOURCE_MARK = Symbol.for('cos-polyfill.source');

/** Content types by URL extension, for hits whose stored type is empty. */
export const CONTENT_TYPES = Object.freeze({
  wasm: 'application/wasm',
  js: 'text/javascript',
  mjs: 'text/javascript',
  cjs: 'text/javascript',
  css: 'text/css',
  json: 'application/json',
  map: 'application/json',
  html: 'text/html',
  txt: 'text/plain',
  svg: 'image/svg+xml',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  woff2: 'font/woff2',
  woff: 'font/woff',
});
const FALLBACK_TYPE = 'application/octet-stream';

const warned = new Set();
function warnOnce(key, message) {
  if (warned.has(key)) return;
  warned.add(key);
  console.warn(`[cos-polyfill] ${message}`);
}

/**
 * The SHA-256 digests (hex) in an SRI `integrity` string, in order, when SHA-256 is the
 * strongest algorithm named (otherwise the browser would check only the stronger one, so
 * a SHA-256 hit could disagree with what it checks). Unknown tokens are ignored, as SRI does.
 * Base64 or base64url; options after `?` are ignored.
 * @param {string} integrity e.g. 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='
 * @returns {{hexes: string[], strongest: string|null}}
 */
export function sha256FromIntegrity(integrity) {
  const hexes = [];
  let strongest = null;
  for (const token of String(integrity ?? '').split(/\s+/)) {
    const match = /^(sha256|sha384|sha512)-([A-Za-z0-9+/_-]+={0,2})(\?.*)?$/i.exec(token);
    if (!match) continue;
    const algorithm = match[1].toLowerCase();
    const bytes = decodeBase64(match[2]);
    const expected = { sha256: 32, sha384: 48, sha512: 64 }[algorithm];
    if (!bytes || bytes.length !== expected) continue;
    if (!strongest || SRI_STRENGTH[algorithm] > SRI_STRENGTH[strongest]) strongest = algorithm;
    if (algorithm === 'sha256') {
      const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
      if (!hexes.includes(hex)) hexes.push(hex);
    }
  }
  return { hexes: strongest === 'sha256' ? hexes : [], strongest };
}

function decodeBase64(text) {
  const clean = text.replace(/=+$/, '').replace(/-/g, '+').replace(/_/g, '/');
  if (clean.length % 4 === 1) return null;
  try {
    return Uint8Array.from(atob(clean + '='.repeat((4 - (clean.length % 4)) % 4)), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

/**
 * The Content-Type of a hit: the type the hub recorded (sniffed from the bytes, e.g.
 * application/wasm), else one inferred from the URL's extension, else octet-stream.
 * Both depend only on the bytes and the URL, so every hit answers the same.
 * @param {string} url @param {string} [storedType]
 */
export function contentTypeFor(url, storedType) {
  if (storedType) return storedType;
  let path = '';
  try { path = new URL(url, globalThis.location?.href).pathname; } catch { path = String(url); }
  const ext = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase();
  return (ext && CONTENT_TYPES[ext]) || FALLBACK_TYPE;
}

/**
 * `crossOriginStorage` fetch member → getFileHandle `origins`: '' (same-site tier), '*',
 * an array of origins, or a space-separated string of origins (as the HTML attribute).
 * @returns {undefined|string|string[]}
 */
export function originsOption(value) {
  if (value === '' || value === null || value === true) return undefined;
  if (value === '*') return '*';
  if (typeof value === 'string') return value.split(/\s+/).filter(Boolean);
  if (Array.isArray(value)) return value;
  throw new TypeError("crossOriginStorage must be '', '*', an origin list, or an array of origins");
}

/**
 * @typedef {{phase: 'read'|'store', loaded: number, total?: number, verified?: boolean}} FetchProgress
 * 'read': bytes of a hit handed to the caller's body; 'store': bytes of a miss the hub has
 * received, and once more with `verified: true` when the entry became visible.
 */

/**
 * fetch() with SPEC §7 semantics when `init.crossOriginStorage` is present and `integrity`
 * names a SHA-256 digest: the stored entry answers first; on a miss the network answers
 * (the browser checks integrity, so a mismatch is its TypeError and nothing is stored) and
 * the verified body is also written to cross-origin storage in the background.
 * Anything else is passed to `base` untouched.
 * @param {RequestInfo|URL} input
 * @param {RequestInit & {crossOriginStorage?: ''|'*'|string|string[], onprogress?: (p: FetchProgress) => void}} [init]
 * @param {{fetch?: typeof fetch, storage?: any}} [options]
 * @returns {Promise<Response>}
 */
export async function crossOriginStorageFetch(input, init, options = {}) {
  const base = options.fetch ?? unwrap(globalThis.fetch);
  if (!init || typeof init !== 'object' || !('crossOriginStorage' in init) || init.crossOriginStorage === undefined) {
    return base(input, init);
  }
  const { crossOriginStorage, onprogress, ...rest } = init;
  const request = new Request(input, rest); // throws the platform's TypeErrors for bad input
  const origins = originsOption(crossOriginStorage);
  if (onprogress !== undefined && onprogress !== null && typeof onprogress !== 'function') {
    throw new TypeError('onprogress must be a function');
  }
  const storage = options.storage ?? globalThis.navigator?.crossOriginStorage;
  const plain = () => base(input, rest);
  if (!storage) return plain();
  if (request.method !== 'GET' || request.headers.has('range')) return plain();
  const { hexes, strongest } = sha256FromIntegrity(request.integrity);
  if (hexes.length === 0) {
    warnOnce(`integrity:${strongest}`, strongest
      ? `fetch(${JSON.stringify(request.url)}): crossOriginStorage needs SHA-256 to be the strongest integrity algorithm (found ${strongest}); using the network only.`
      : `fetch(${JSON.stringify(request.url)}): crossOriginStorage needs integrity="sha256-<base64>"; using the network only.`);
    return plain();
  }
  const hash = { algorithm: 'SHA-256', value: hexes[0] };
  // Validates `origins` (TypeError) before anything happens; asks the hub nothing yet.
  const writer = await storage.getFileHandle(hash, { create: true, origins });
  request.signal.throwIfAborted();

  for (const value of hexes) {
    const hit = await readEntry(storage, { algorithm: 'SHA-256', value });
    request.signal.throwIfAborted();
    if (hit) return hitResponse(hit, request.url, onprogress);
  }

  const response = await base(request); // integrity is checked by the browser
  if (response.ok && response.body && response.status === 200) {
    storeInBackground(writer, response.clone(), request.url, onprogress);
    Object.defineProperty(response, SOURCE_MARK, { value: 'network' });
  }
  return response;
}

async function readEntry(storage, hash) {
  try {
    const handle = await storage.getFileHandle(hash);
    return await handle.getFile();
  } catch (error) {
    if (error?.name !== 'NotFoundError') {
      warnOnce(`read:${error?.name}`, `cross-origin storage could not be read (${error?.name}: ${error?.message}); using the network.`);
    }
    return null;
  }
}

function hitResponse(file, url, onprogress) {
  const total = file.size;
  let body = file;
  if (onprogress) {
    let loaded = 0;
    body = file.stream().pipeThrough(new TransformStream({
      transform(chunk, controller) {
        loaded += chunk.byteLength;
        callProgress(onprogress, { phase: 'read', loaded, total });
        controller.enqueue(chunk);
      },
    }));
  }
  const response = new Response(body, {
    status: 200,
    statusText: 'OK',
    headers: { 'Content-Type': contentTypeFor(url, file.type), 'Content-Length': String(total) },
  });
  // A constructed Response has url ''; report the URL that was asked for, as a hit answers it.
  Object.defineProperty(response, 'url', { value: url, enumerable: true });
  Object.defineProperty(response, SOURCE_MARK, { value: 'storage' });
  return response;
}

function storeInBackground(writer, copy, url, onprogress) {
  const total = Number(copy.headers.get('content-length')) || undefined;
  (async () => {
    const writable = await writer.createWritable(onprogress ? {
      onprogress: ({ loaded, verified }) => callProgress(onprogress, { phase: 'store', loaded, total, verified }),
    } : undefined);
    await copy.body.pipeTo(writable);
  })().catch((error) => {
    copy.body?.cancel().catch(() => {});
    console.warn(`[cos-polyfill] fetch(${JSON.stringify(url)}) answered from the network but was not stored: ${error?.name}: ${error?.message}`);
  });
}

function callProgress(onprogress, progress) {
  try {
    onprogress(progress);
  } catch (error) {
    console.error('[cos-polyfill] fetch onprogress callback threw:', error);
  }
}

function unwrap(fetchFunction) {
  return fetchFunction?.[FETCH_MARK] ?? fetchFunction;
}

/**
 * Wrap `global.fetch` once so calls with `crossOriginStorage` use cross-origin storage.
 * A second call returns the same wrapper.
 * @param {{global?: typeof globalThis}} [options]
 * @returns {typeof fetch} the wrapper
 */
export function installFetch(options = {}) {
  const global = options.global ?? globalThis;
  const current = global.fetch;
  if (typeof current !== 'function') throw new TypeError('installFetch() needs a global fetch');
  if (current[FETCH_MARK]) return current;
  const base = current.bind(global);
  const wrapper = function fetch(input, init) {
    return crossOriginStorageFetch(input, init, { fetch: base, storage: global.navigator?.crossOriginStorage });
  };
  Object.defineProperty(wrapper, FETCH_MARK, { value: base });
  global.fetch = wrapper;
  return wrapper;
}
