// Loaded by the hub worker: one verified write in flight. Appends to tmp/<id> while
// hashing in Wasm; a seek or truncate that breaks the append order forces a re-hash of
// the final file at close. The bytes become an entry only if the digest matches.

import { WritableDisk } from './write-worker-link.js';

const HASH_CHUNK = 1 << 20;  // the Wasm core's input buffer size
/** Feeds a File through `stream` in slices of the Wasm input buffer; returns the hex digest. */
export async function hashFile(stream, file) {
  for (let off = 0; off < file.size; off += HASH_CHUNK) {
    stream.update(new Uint8Array(await file.slice(off, off + HASH_CHUNK).arrayBuffer()));
  }
  return stream.digestHex();
}

const HEAD_BYTES = 4;  // enough to sniff the Wasm magic

const LOCKED = new Set(['NoModificationAllowedError', 'InvalidModificationError']);

/**
 * Removes a temporary file the write worker may still hold open: a worker that dies with
 * its tab releases its sync access handle a moment after the tab's lock is released.
 */
async function removeTempWhenFree(store, id, tries = 40) {
  for (let i = 1; ; i++) {
    try {
      return await store.removeTemp(id);
    } catch (err) {
      if (!LOCKED.has(err?.name) || i >= tries) throw err;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

export class WriteSession {
  /**
   * @param {{core: any, store: import('./opfs-store.js').OpfsStore, hex: string,
   *          onGrow?: (bytes: number) => void,
   *          writer?: import('./write-worker-link.js').WriteWorkerLink|null}} options
   *   onGrow reserves quota and may throw; writer: the frame's write worker (sync access
   *   handles), used when it opens the file, else createWritable here
   */
  static async begin({ core, store, hex, onGrow, tempId, writer }) {
    const temp = await store.createTemp(tempId);
    let disk = null;
    try {
      // The frame's write worker writes with a sync access handle. If it refuses or does not
      // answer, createWritable here: one of the two then holds the file's lock, never both.
      if (writer && !writer.broken) {
        disk = await writer.open(temp).catch((err) => {
          if (err.name === 'AbortError') throw err;  // its frame is gone: so is this write
          return null;
        });
      }
      disk ??= await WritableDisk.open(temp.handle);
    } catch (err) {
      await removeTempWhenFree(store, temp.id).catch(() => {});
      throw err;
    }
    return new WriteSession(core, store, hex, temp, disk, onGrow);
  }

  constructor(core, store, hex, temp, disk, onGrow) {
    this.core = core;
    this.store = store;
    this.hex = hex;
    this.temp = temp;
    this.disk = disk;
    this.onGrow = onGrow ?? (() => {});
    this.stream = new core.Sha256Stream();
    this.position = 0;  // where the next write lands
    this.size = 0;      // current length of the temporary file
    this.appendOnly = true;  // false once bytes were written out of order: re-hash at close
    this.head = new Uint8Array(HEAD_BYTES);  // the first bytes, while appended in order (type sniffing)
    this.done = false;
    this.queue = Promise.resolve();
    // OPFS writes stay in flight (one with createWritable, up to IN_FLIGHT_BYTES in the
    // write worker) while the next chunk arrives and is hashed; a failure surfaces at the
    // next operation.
  }

  /** Hashed bytes go to disk; with the write worker the buffer moves there (no copy). */
  #startWrite(position, data) {
    this.disk.write(position, data);
  }

  #settle(room = 0) {
    return this.disk.settle(room);
  }

  // The page keeps several chunks in flight; operations must still apply in arrival order.
  #serial(fn) {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => {});
    return run;
  }

  /** @param {ArrayBuffer|Blob} data */
  write(data) {
    return this.#serial(() => this.#write(data));
  }

  async #write(data) {
    this.#checkOpen();
    const length = data.byteLength ?? data.size;
    const end = this.position + length;
    if (end > this.size) this.onGrow(end - this.size);
    if (this.position !== this.size) this.appendOnly = false;
    if (data instanceof Blob) {
      await this.#writeBlob(data);
    } else {
      const bytes = new Uint8Array(data);
      if (this.appendOnly) this.#hashed(this.position, bytes);
      await this.#settle(bytes.byteLength);
      this.#startWrite(this.position, bytes);
    }
    this.position = end;
    this.size = Math.max(this.size, end);
    return this.position;
  }

  async #writeBlob(blob) {
    // Stream the Blob through: never hold a whole file in memory.
    const reader = blob.stream().getReader();
    let position = this.position;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (this.appendOnly) this.#hashed(position, value);
      await this.#settle(value.byteLength);  // bounded OPFS writes in flight while the next chunk is hashed
      const length = value.byteLength;  // the buffer may move to the write worker
      this.#startWrite(position, value);
      position += length;
    }
  }

  #hashed(position, bytes) {
    if (position < HEAD_BYTES) this.head.set(bytes.subarray(0, HEAD_BYTES - position), position);
    const t0 = performance.now();
    this.stream.update(bytes);
    globalThis.cosTrace?.push(['chunks: hashing', performance.now() - t0]);
  }

  /** The file's first bytes (up to HEAD_BYTES), or null when they must be read back from the file. */
  headBytes() {
    return this.appendOnly ? this.head.subarray(0, Math.min(HEAD_BYTES, this.size)) : null;
  }

  seek(position) {
    return this.#serial(() => {
      this.#checkOpen();
      this.position = position;
      return this.position;
    });
  }

  truncate(size) {
    return this.#serial(() => this.#truncate(size));
  }

  async #truncate(size) {
    this.#checkOpen();
    if (size > this.size) this.onGrow(size - this.size);
    await this.disk.truncate(size);
    if (size !== this.size) this.appendOnly = false;
    this.size = size;
    if (this.position > size) this.position = size;
    return size;
  }

  /**
   * Finishes the file and checks its digest.
   * @returns {Promise<{ok: boolean, size: number, digest: string}>} the temp file is
   *   kept on success (the caller promotes it) and removed on mismatch.
   */
  finish() {
    return this.#serial(() => this.#finish());
  }

  async #finish() {
    this.#checkOpen();
    await this.#settle(Infinity);  // a failed OPFS write: not done yet, so abort() discards the file
    this.done = true;
    await this.disk.close();
    let digest;
    if (this.appendOnly) {
      digest = this.stream.digestHex();
    } else {
      digest = await this.#rehash();
    }
    this.stream.delete();
    const ok = digest === this.hex;
    if (!ok) await this.store.removeTemp(this.temp.id);
    return { ok, size: this.size, digest };
  }

  async #rehash() {
    this.stream.reset();
    return hashFile(this.stream, await this.temp.handle.getFile());
  }

  /** Moves the verified file into blobs/ (false if an identical blob already existed). */
  promote() {
    return this.store.promote(this.temp, this.hex);
  }

  /** Drops everything written; safe to call more than once and after a failed finish. */
  abort() {
    return this.#serial(() => this.#abort());
  }

  async #abort() {
    if (!this.done) {
      this.done = true;
      await this.disk.abort();
      this.stream.delete();
    }
    await removeTempWhenFree(this.store, this.temp.id);
  }

  #checkOpen() {
    if (this.done) throw new DOMException('The writable stream is closed.', 'InvalidStateError');
  }
}
