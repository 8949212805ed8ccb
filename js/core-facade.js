// Appended to the Emscripten output as dist/cos-core.mjs (--extern-post-js): the public
// loadCore(). Loaded by the hub worker and by Node; turns heap pointers into JS types.

/**
 * Loads the Wasm core. In Node the .wasm beside this file is read from disk; in
 * browsers it is fetched relative to this module unless `wasmBinary` or `locateFile` is given.
 * @param {{wasmBinary?: ArrayBuffer|Uint8Array, locateFile?: (name: string) => string}} [options]
 */
export async function loadCore(options = {}) {
  const moduleArg = {};
  if (options.locateFile) moduleArg.locateFile = options.locateFile;
  if (options.wasmBinary) {
    moduleArg.wasmBinary = options.wasmBinary;
  } else if (typeof process === 'object' && process.versions && process.versions.node && !options.locateFile) {
    // Emscripten 3.1.6's loader would fetch() a file path under Node 20: hand it the bytes.
    const { readFile } = await import('node:fs/promises');
    moduleArg.wasmBinary = await readFile(new URL('./cos-core.wasm', import.meta.url));
  }
  const m = await createCoreModule(moduleArg);
  return makeCore(m);
}

function makeCore(m) {
  const Status = {};
  for (const [name, entry] of Object.entries(m.Status)) {
    if (entry && typeof entry.value === 'number') Status[name] = entry.value;
  }
  Object.freeze(Status);
  const inputPtr = m.inputBuffer();
  const inputBytes = m.inputBufferBytes();

  // Values crossing into C++ must be strings; WebIDL would stringify, but a value
  // whose conversion throws (Symbol, hostile toString) counts as absent.
  const asString = (v) => {
    if (typeof v === 'string') return v;
    if (v === undefined || v === null || typeof v === 'symbol') return null;
    try { return String(v); } catch { return null; }
  };
  const withName = (r) => ({ ...r, statusName: m.statusName(r.status) });

  class Sha256Stream {
    #raw = new m.Sha256StreamRaw();
    /** @param {ArrayBufferView|ArrayBuffer} data */
    update(data) {
      const bytes = data instanceof Uint8Array ? data
        : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
        : new Uint8Array(data);
      for (let off = 0; off < bytes.length; off += inputBytes) {
        const n = Math.min(inputBytes, bytes.length - off);
        // Read HEAPU8 each time: memory growth replaces the view.
        m.HEAPU8.set(bytes.subarray(off, off + n), inputPtr);
        this.#raw.updateFromInput(n);
      }
      return this;
    }
    /** Digest of everything since the last reset, as 64 lowercase hex digits; resets the stream. */
    digestHex() { return this.#raw.digestHex(); }
    reset() { this.#raw.reset(); return this; }
    get bytesHashed() { return this.#raw.bytesHashed(); }
    /** Frees the Wasm-side state; the stream is unusable afterwards. */
    delete() { this.#raw.delete(); }
  }

  return Object.freeze({
    Status,
    statusName: (code) => m.statusName(code),
    statusMessage: (code) => m.statusMessage(code),
    Sha256Stream,
    /** @param {{algorithm: string, value: string}} hash */
    parseHashId(hash) {
      if (typeof hash !== 'object' || hash === null) {
        return withName({ ok: false, status: Status.InvalidAlgorithm, algorithm: '', value: '' });
      }
      const algorithm = asString(hash.algorithm);
      const value = asString(hash.value);
      if (algorithm === null) return withName({ ok: false, status: Status.InvalidAlgorithm, algorithm: '', value: '' });
      if (value === null) return withName({ ok: false, status: Status.InvalidHashValue, algorithm: '', value: '' });
      return withName(m.parseHashIdRaw(algorithm, value));
    },
    parseIntegrity: (text) => withName(m.parseIntegrity(asString(text) ?? '')),
    hexToIntegrity: (hex) => m.hexToIntegrity(asString(hex) ?? '') || null,
    parseOrigin: (text) => withName(m.parseOrigin(asString(text) ?? '')),
    /** The site ("https://example.co.uk") of an origin or URL, or null when it has none. */
    siteOf: (text) => m.siteOfRaw(asString(text) ?? '') || null,
    isSameSite: (a, b) => m.isSameSite(asString(a) ?? '', asString(b) ?? ''),
    /** The raw Embind module, for the index and journal classes (see docs/journal.md). */
    raw: m,
  });
}
