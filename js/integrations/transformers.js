// Loaded by pages that run Transformers.js (published as `cos-polyfill/transformers`,
// bundled to dist/transformers.mjs): a custom cache for `env.customCache` that shares every
// file it can name by SHA-256 through navigator.crossOriginStorage (ours or native).
// It touches only that API, fetch (for /raw/ pointers and manifests) and the env it is given.
//
// Trust: a URL's hash comes only from (1) a manifest the site itself ships, (2) the hashes
// pinned below for the ONNX Runtime files, (3) the Git LFS pointer the model's own host
// serves at /raw/. Never from storage, never from another site, never from bytes already
// downloaded: otherwise one site could map a URL to a hash of its choosing for everyone.

/**
 * SHA-256 and size of onnxruntime-web's wasm/mjs files, per version that Transformers.js
 * pins (4.3.1 → 1.31.0-dev.20260914-8d85527a0, 4.2.0 → 1.26.0-dev.20260416-b7804b056c).
 * From the npm tarballs (package-lock integrity) with `cos-manifest <onnxruntime-web>/dist`.
 */
export const PINNED_ORT_FILES = Object.freeze({
  '1.31.0-dev.20260914-8d85527a0': {
    'ort-wasm-simd-threaded.asyncify.wasm': ['49871f5a4409519797e127440868a6d1923339d9185907f301a5b2a1d90af082', 26861777],
    'ort-wasm-simd-threaded.jsep.wasm': ['62ff86b2f2fa3a79eb87a7e4720e8ea9051942bf975f314181bf7dcef2feac06', 28352885],
    'ort-wasm-simd-threaded.jspi.wasm': ['173146c55eb8c7e01f8be3f7b7376fbde14118d91607583ab7caf4feac98e59c', 16811691],
    'ort-wasm-simd-threaded.wasm': ['06ba057753da3847e4c24f02d91ab133455b0817c69a44993a9a53a2146df9e3', 14264838],
    'ort-wasm-simd-threaded.asyncify.mjs': ['0966b6105cd936744498aa60df7a22cbd47af3374dbc64a9ab561c08a71e3611', 53057],
    'ort-wasm-simd-threaded.jsep.mjs': ['c2f80e915e9df63289788a99d434d8c4e00e64e9c1f030f4b80b022458dd2c99', 46851],
    'ort-wasm-simd-threaded.jspi.mjs': ['6b37a3974dbd96a752fdc1805e1bdc2dca3ead7e380703c092240c2352c71dbf', 50918],
    'ort-wasm-simd-threaded.mjs': ['c57ca56328877353a575e51bbca6f18450027d6c9bf2307a2cb2c41363b4de9f', 24381],
  },
  '1.26.0-dev.20260416-b7804b056c': {
    'ort-wasm-simd-threaded.asyncify.wasm': ['e0c0c6d3e73d43b8a249972f8358f845b08cc16fec3c80efafdf8bed40366786', 23567050],
    'ort-wasm-simd-threaded.jsep.wasm': ['ae61141f8fbf0a4e43fd7b4f4d40a1a115627f6facc4f33ddf84074a655e33ea', 26101073],
    'ort-wasm-simd-threaded.jspi.wasm': ['61ee6e49e16e8989a7b889524c4403aa1ed79bcf3e04d5af2318477558d598f4', 14555814],
    'ort-wasm-simd-threaded.wasm': ['f4f290847a4df02d0b93cdbf39b4b0e71acefbe80573e7e6b9342a7abd7b290a', 12942611],
    'ort-wasm-simd-threaded.asyncify.mjs': ['5959c6733039619c9af710d8e1bae8d6e84402787990637be987c2b1bd6c5fa9', 47389],
    'ort-wasm-simd-threaded.jsep.mjs': ['522b3769929f5684c83a12cf1e06eedf073b65d161728b4f3757c75d62b14384', 46490],
    'ort-wasm-simd-threaded.jspi.mjs': ['0cc011001c75c3d5dfdabbd1e1377d1968fa9759afd20729032e229433df5cd8', 44518],
    'ort-wasm-simd-threaded.mjs': ['5f2cd914554830762579c372d0211614c1e3f40ab3f6c0cfcf0900343229071d', 24180],
  },
});

const HEX64 = /^[0-9a-f]{64}$/;
const ORT_FILE = /^ort-wasm-simd-threaded(?:\.[a-z]+)?\.(?:wasm|mjs)$/;
const ORT_CDN_VERSION = /\/onnxruntime-web@([^/]+)\/dist\/[^/]+$/;

const CONTENT_TYPES = {
  wasm: 'application/wasm', mjs: 'text/javascript', js: 'text/javascript', json: 'application/json',
  txt: 'text/plain', onnx: 'application/octet-stream', onnx_data: 'application/octet-stream',
};

/** The content type a cached file is served with: stable, by file extension. */
export function contentTypeFor(url) {
  const name = new URL(url).pathname.split('/').pop() ?? '';
  const ext = name.includes('.') ? name.split('.').pop().toLowerCase() : '';
  return CONTENT_TYPES[ext] ?? 'application/octet-stream';
}

/**
 * Reads a Git LFS pointer ("version https://git-lfs.github.com/spec/v1\noid sha256:<hex>\nsize <n>").
 * @returns {{sha256: string, size: number} | null} null when the text is not a pointer
 */
export function parseLfsPointer(text) {
  if (typeof text !== 'string' || text.length > 1024 || !text.startsWith('version https://git-lfs.github.com/spec/')) return null;
  const oid = /^oid sha256:([0-9a-f]{64})$/m.exec(text);
  const size = /^size (\d+)$/m.exec(text);
  if (!oid || !size) return null;
  return { sha256: oid[1], size: Number(size[1]) };
}

/**
 * Checks a `cos-manifest` document: {"<path>": {"sha256": "<64 hex>", "size": n}, ...}.
 * @returns {Map<string, {sha256: string, size: number}>} path → file
 */
export function parseManifest(doc) {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new TypeError('a manifest is a JSON object');
  const files = new Map();
  for (const [path, entry] of Object.entries(doc)) {
    if (!entry || !HEX64.test(entry.sha256) || !Number.isSafeInteger(entry.size) || entry.size < 0) {
      throw new TypeError(`manifest entry ${JSON.stringify(path)} needs {sha256: 64 lowercase hex, size}`);
    }
    files.set(path, { sha256: entry.sha256, size: entry.size });
  }
  return files;
}

/**
 * A cache for Transformers.js (`env.customCache`) backed by navigator.crossOriginStorage.
 *
 * @param {object} [options]
 * @param {Array<{base: string, url?: string, files?: object}>} [options.manifests] the site's
 *   hash manifests: `base` is the folder URL the paths are relative to (e.g. the model's
 *   `.../resolve/<revision>/`); the manifest is `files` itself or fetched once from `url`
 * @param {boolean} [options.lfsPointers=true] ask `/raw/` for the LFS pointer of `/resolve/` URLs
 * @param {boolean} [options.pinnedRuntime=true] use PINNED_ORT_FILES for the ONNX Runtime files
 * @param {string | (() => string|undefined)} [options.ortVersion] onnxruntime-web version of the
 *   page (useCrossOriginStorage() reads it from env); else taken from a `onnxruntime-web@<v>` URL
 * @param {'*'|string|string[]} [options.origins='*'] who may read what this page stores
 * @param {(event: {type: string, url: string, sha256?: string, bytes?: number, source?: string, error?: string}) => void} [options.onEvent]
 *   called on every hit, miss, store, rejected or unshared file
 * @param {typeof fetch} [options.fetch] for pointers and manifests (default: globalThis.fetch)
 * @param {() => any} [options.storage] the API (default: navigator.crossOriginStorage at call time)
 */
export function createCrossOriginStorageCache(options = {}) {
  const {
    manifests = [], lfsPointers = true, pinnedRuntime = true, origins = '*', onEvent,
    fetch: fetchImpl = (...a) => globalThis.fetch(...a),
    storage = () => globalThis.navigator?.crossOriginStorage,
  } = options;
  const ortVersion = typeof options.ortVersion === 'function' ? options.ortVersion : () => options.ortVersion;
  const baseHref = globalThis.location?.href;
  const manifestList = manifests.map((m) => ({ base: new URL(m.base, baseHref).href, url: m.url, files: m.files ? parseManifest(m.files) : null, loading: null }));
  /** url → Promise<{sha256, size, source} | null>: resolved once per URL, in this page only */
  const known = new Map();
  /** url → the latest event for it (the page's hit/miss list) */
  const files = new Map();

  const emit = (event) => {
    // A file this page downloaded and stored stays 'stored' when read back later.
    if (!(event.type === 'hit' && files.get(event.url)?.type === 'stored')) files.set(event.url, event);
    try { onEvent?.(event); } catch { /* a listener's error is not the cache's */ }
  };

  async function manifestFiles(m) {
    if (m.files) return m.files;
    m.loading ??= (async () => {
      const res = await fetchImpl(new URL(m.url, baseHref).href);
      if (!res.ok) throw new Error(`manifest ${m.url}: HTTP ${res.status}`);
      m.files = parseManifest(await res.json());
      return m.files;
    })();
    try {
      return await m.loading;
    } catch (error) {
      m.loading = null; // a failed manifest load is retried on the next lookup
      console.warn('[cos-polyfill/transformers]', error);
      return null;
    }
  }

  async function fromManifests(url) {
    for (const m of manifestList) {
      if (!url.startsWith(m.base)) continue;
      const entry = (await manifestFiles(m))?.get(decodeURIComponent(url.slice(m.base.length).split(/[?#]/)[0]));
      if (entry) return { ...entry, source: 'manifest' };
    }
    return null;
  }

  function fromPins(url) {
    if (!pinnedRuntime) return null;
    const name = new URL(url).pathname.split('/').pop();
    if (!ORT_FILE.test(name)) return null;
    const version = ORT_CDN_VERSION.exec(new URL(url).pathname)?.[1] ?? ortVersion();
    const pin = PINNED_ORT_FILES[version]?.[name];
    return pin ? { sha256: pin[0], size: pin[1], source: 'pinned' } : null;
  }

  async function fromLfsPointer(url) {
    if (!lfsPointers) return null;
    const parsed = new URL(url);
    if (!parsed.pathname.includes('/resolve/')) return null;
    parsed.pathname = parsed.pathname.replace('/resolve/', '/raw/');
    try {
      const res = await fetchImpl(parsed.href);
      if (!res.ok) return null;
      // Small files are served whole at /raw/: read at most a pointer's worth.
      const length = Number(res.headers.get('content-length'));
      if (length > 1024) { await res.body?.cancel(); return null; }
      const pointer = parseLfsPointer(await res.text());
      return pointer ? { ...pointer, source: 'lfs-pointer' } : null;
    } catch {
      return null;
    }
  }

  /** URL → {sha256, size, source} from the trusted sources, or null. */
  function resolveHash(request) {
    let url;
    try {
      url = new URL(typeof request === 'string' ? request : request.url, baseHref).href;
    } catch {
      return Promise.resolve(null);
    }
    if (!/^https?:/.test(url)) return Promise.resolve(null);
    if (!known.has(url)) {
      const pending = (async () => (await fromManifests(url)) ?? fromPins(url) ?? (await fromLfsPointer(url)))();
      known.set(url, pending);
    }
    return known.get(url).then((ref) => ref && { ...ref, url });
  }

  return {
    /**
     * The stored file for `request` as a Response (Content-Length, stable Content-Type), or
     * undefined when the hash is unknown, not stored, or not visible to this site.
     */
    async match(request) {
      const ref = await resolveHash(request);
      const api = storage();
      if (!ref || !api) return undefined;
      let file;
      try {
        const handle = await api.getFileHandle({ algorithm: 'SHA-256', value: ref.sha256 });
        file = await handle.getFile();
      } catch {
        if (files.get(ref.url)?.type !== 'hit') emit({ type: 'miss', url: ref.url, sha256: ref.sha256, bytes: ref.size, source: ref.source });
        return undefined;
      }
      emit({ type: 'hit', url: ref.url, sha256: ref.sha256, bytes: file.size, source: ref.source });
      return new Response(file, {
        status: 200,
        headers: { 'Content-Type': contentTypeFor(ref.url), 'Content-Length': String(file.size) },
      });
    },

    /**
     * Streams `response` into a verified write under the URL's trusted hash, reporting
     * progress. Never rejects: a file with no trusted hash is left unshared, and bytes that
     * do not match (DataError) are not stored; both are reported through onEvent.
     */
    async put(request, response, progress_callback) {
      const ref = await resolveHash(request);
      const api = storage();
      if (!ref || !api) {
        const url = new URL(typeof request === 'string' ? request : request.url, baseHref).href;
        emit({ type: 'unshared', url, bytes: Number(response?.headers?.get('content-length')) || undefined });
        return;
      }
      const declared = Number(response.headers.get('content-length'));
      if (!response.body || (declared && declared !== ref.size)) {
        await response.body?.cancel();
        emit({ type: 'rejected', url: ref.url, sha256: ref.sha256, source: ref.source, error: 'SizeMismatch' });
        return;
      }
      let loaded = 0;
      const total = ref.size;
      const counting = new TransformStream({
        transform(chunk, controller) {
          loaded += chunk.byteLength;
          try { progress_callback?.({ progress: total ? (loaded / total) * 100 : 0, loaded, total }); } catch { /* listener */ }
          controller.enqueue(chunk);
        },
      });
      try {
        const handle = await api.getFileHandle({ algorithm: 'SHA-256', value: ref.sha256 }, { create: true, origins });
        const writable = await handle.createWritable();
        await response.body.pipeThrough(counting).pipeTo(writable);
        emit({ type: 'stored', url: ref.url, sha256: ref.sha256, bytes: loaded, source: ref.source });
      } catch (error) {
        emit({ type: 'rejected', url: ref.url, sha256: ref.sha256, bytes: loaded, source: ref.source, error: error?.name ?? String(error) });
      }
    },

    /** Forgets this page's URL → hash mapping (stored entries cannot be deleted by a site). */
    async delete(request) {
      try {
        return known.delete(new URL(typeof request === 'string' ? request : request.url, baseHref).href);
      } catch {
        return false;
      }
    },

    /** The trusted hash of a URL, or null: what match/put would use. */
    resolveHash,

    /** Every URL seen so far with its latest state, plus totals (for a hit/miss list). */
    report() {
      const list = [...files.values()];
      const sum = (type) => list.filter((e) => e.type === type).reduce((n, e) => n + (e.bytes ?? 0), 0);
      return { files: list, bytesFromStorage: sum('hit'), bytesStored: sum('stored'), bytesUnshared: sum('unshared') };
    },
  };
}

/**
 * Plugs the cache into a Transformers.js `env`: `env.useCustomCache = true`,
 * `env.customCache = cache`, and the ONNX Runtime version read from `env` for the pins.
 * Keep `env.backends.onnx.wasm.wasmPaths` an object {wasm, mjs}: Transformers.js caches the
 * runtime only then. Returns the cache.
 */
export function useCrossOriginStorage(env, options = {}) {
  const cache = createCrossOriginStorageCache({
    ortVersion: () => env?.backends?.onnx?.versions?.web,
    ...options,
  });
  env.useCustomCache = true;
  env.customCache = cache;
  return cache;
}
