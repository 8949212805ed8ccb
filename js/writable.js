// Loaded by the page polyfill (js/handle.js) to stream a create handle's bytes to the hub.
// Touches only the hub connection it is given; holds at most WINDOW_BYTES of chunks in flight
// and one staging buffer: bytes are copied into it and sent as whole chunks, so a stream of
// small writes (a fetch body's 64 KiB pieces) costs one message per chunk, not per write.

import { CHUNK_BYTES, WINDOW_BYTES } from './protocol.js';
import { makeError } from './errors.js';

/**
 * What a writable needs from the hub connection (implemented by HubClient in polyfill.js).
 * @typedef {object} HubRequester
 * @property {(type: string, fields?: object, transfer?: Transferable[]) => Promise<any>} request
 * @property {(writeId: number, listener: (loaded: number) => void) => () => void} [watchProgress]
 */

/**
 * @typedef {object} WritableOptions
 * @property {HubRequester} client
 * @property {number} writeId from the hub's `writeBegin` reply
 * @property {(progress: {loaded: number, verified: boolean}) => void} [onprogress]
 *   called with the bytes the hub has acknowledged so far, and once more with
 *   `verified: true` after a verified close
 * @property {(size: number) => void} [onverified] called after the hub verified the bytes
 * @property {number} [chunkBytes] the staging buffer: the size of every chunk message but the
 *   last before a seek, truncate, Blob or close (default CHUNK_BYTES)
 * @property {number} [windowBytes] in-flight byte window (default WINDOW_BYTES)
 */

/**
 * One step the hub must perform, in order. `bytes` is the caller's memory: it is copied
 * (into the staging buffer) before write() resolves, never detached.
 * @typedef {{kind: 'bytes', bytes: Uint8Array} | {kind: 'blob', blob: Blob} |
 *           {kind: 'seek', position: number} | {kind: 'truncate', size: number}} WriteOp
 */

const encoder = new TextEncoder();
const FileSystemWritableFileStreamClass = globalThis.FileSystemWritableFileStream;

const isUint = (value) => Number.isSafeInteger(value) && value >= 0;
const isBlob = (value) => typeof Blob === 'function' && value instanceof Blob;
const isArrayBuffer = (value) => Object.prototype.toString.call(value) === '[object ArrayBuffer]';

/**
 * Turn one `write()` argument into hub operations (validating it as the platform does).
 * @param {unknown} data
 * @returns {Generator<WriteOp>}
 */
export function* normalizeWrite(data) {
  if (data === undefined || data === null) {
    throw new TypeError('write() needs data: a string, BufferSource, Blob or {type, ...}');
  }
  if (typeof data === 'symbol') throw new TypeError('write() cannot write a symbol');
  if (typeof data !== 'object' && typeof data !== 'function') {
    yield* bytesOf(encoder.encode(String(data))); // WebIDL USVString conversion
    return;
  }
  if (isBlob(data)) {
    if (data.size > 0) yield { kind: 'blob', blob: data };
    return;
  }
  if (isArrayBuffer(data)) {
    yield* bytesOf(new Uint8Array(data));
    return;
  }
  if (ArrayBuffer.isView(data)) {
    yield* bytesOf(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    return;
  }
  // WriteParams dictionary.
  const type = data.type;
  if (type === 'write') {
    const position = data.position;
    if (position !== undefined && position !== null) {
      if (!isUint(position)) throw new TypeError('write position must be a non-negative integer');
      yield { kind: 'seek', position };
    }
    if (data.data === undefined || data.data === null) throw new TypeError("{type: 'write'} needs data");
    if (typeof data.data === 'object' && !isBlob(data.data) && !isArrayBuffer(data.data) && !ArrayBuffer.isView(data.data)) {
      throw new TypeError("{type: 'write'} data must be a string, BufferSource or Blob");
    }
    yield* normalizeWrite(data.data);
    return;
  }
  if (type === 'seek') {
    if (!isUint(data.position)) throw new TypeError("{type: 'seek'} needs a non-negative integer position");
    yield { kind: 'seek', position: data.position };
    return;
  }
  if (type === 'truncate') {
    if (!isUint(data.size)) throw new TypeError("{type: 'truncate'} needs a non-negative integer size");
    yield { kind: 'truncate', size: data.size };
    return;
  }
  throw new TypeError("write() takes a string, BufferSource, Blob, or {type: 'write'|'seek'|'truncate', ...}");
}

function* bytesOf(bytes) {
  if (bytes.byteLength > 0) yield { kind: 'bytes', bytes };
}

/** Streams ops to the hub with a bounded window of unacknowledged chunk bytes. */
class HubSink {
  /** @param {WritableOptions} options @param {() => void} markDone */
  constructor(options, markDone) {
    this.client = options.client;
    this.writeId = options.writeId;
    this.onprogress = options.onprogress;
    this.onverified = options.onverified;
    this.chunkBytes = options.chunkBytes ?? CHUNK_BYTES;
    this.windowBytes = options.windowBytes ?? WINDOW_BYTES;
    this.markDone = markDone;
    this.inFlight = 0;
    this.loaded = 0;
    this.outstanding = new Set();
    this.wakers = [];
    this.failure = null;
    this.controller = null;
    this.unwatch = options.client.watchProgress?.(this.writeId, (loaded) => this.blobProgress(loaded)) ?? null;
    this.stage = null;  // Uint8Array(chunkBytes) being filled, sent when full or before any other operation
    this.staged = 0;
  }

  start(controller) {
    this.controller = controller;
  }

  async write(chunk) {
    try {
      for (const op of normalizeWrite(chunk)) {
        this.throwIfFailed();
        if (op.kind === 'bytes') {
          await this.stageBytes(op.bytes);
        } else {
          await this.sendStage();
          await this.send(op);
        }
      }
    } catch (error) {
      this.fail(error); // a bad argument errors the stream, as the platform does
      throw error;
    }
    this.throwIfFailed();
  }

  async close() {
    this.markDone();
    this.throwIfFailed();
    await this.sendStage();
    this.throwIfFailed();
    // The close goes out behind the chunks still in flight (the hub applies a write's
    // operations in order), not after their replies: one round trip less per store.
    const closing = this.client.request('writeClose', { writeId: this.writeId });
    closing.catch(() => {});
    await this.drain();
    this.throwIfFailed();  // a chunk failed: its error, not the close's
    try {
      const reply = await closing;
      this.stopWatching();
      this.onverified?.(reply.size);
      this.report(true);
    } catch (error) {
      this.stopWatching();
      throw error;
    }
  }

  async abort() {
    this.markDone();
    this.stopWatching();
    this.stage = null;
    this.staged = 0;
    await this.drain().catch(() => {});
    await this.client.request('writeAbort', { writeId: this.writeId }).catch(() => {});
  }

  /**
   * Copies the caller's bytes into the staging buffer (the one copy the page makes: the
   * caller's buffer is never detached), sending each chunk as it fills. A huge buffer is
   * copied a chunk at a time, as the window lets chunks go.
   * @param {Uint8Array} bytes
   */
  async stageBytes(bytes) {
    for (let offset = 0; offset < bytes.byteLength;) {
      this.stage ??= new Uint8Array(this.chunkBytes);
      const n = Math.min(bytes.byteLength - offset, this.chunkBytes - this.staged);
      this.stage.set(bytes.subarray(offset, offset + n), this.staged);
      this.staged += n;
      offset += n;
      if (this.staged === this.chunkBytes) await this.sendStage();
      this.throwIfFailed();
    }
  }

  /** Sends what is staged (a full chunk moves as is; a partial one is cut to size). */
  async sendStage() {
    if (this.staged === 0) return;
    const buffer = this.staged === this.stage.byteLength ? this.stage.buffer : this.stage.slice(0, this.staged).buffer;
    this.stage = this.staged === this.stage.byteLength ? null : this.stage;
    this.staged = 0;
    await this.send({ kind: 'chunk', buffer });
  }

  /** @param {{kind: 'chunk', buffer: ArrayBuffer} | Exclude<WriteOp, {kind: 'bytes'}>} op */
  async send(op) {
    if (op.kind === 'chunk') {
      const weight = op.buffer.byteLength;
      await this.room(weight);
      this.track(this.client.request('writeChunk', { writeId: this.writeId, data: op.buffer }, [op.buffer]), weight, weight);
    } else if (op.kind === 'blob') {
      // The hub reads the Blob itself; it fills the whole window so nothing overtakes it.
      await this.room(this.windowBytes);
      this.track(this.client.request('writeChunk', { writeId: this.writeId, data: op.blob }), this.windowBytes, op.blob.size);
    } else if (op.kind === 'seek') {
      this.track(this.client.request('writeSeek', { writeId: this.writeId, position: op.position }), 0, 0);
    } else {
      this.track(this.client.request('writeTruncate', { writeId: this.writeId, size: op.size }), 0, 0);
    }
  }

  track(promise, weight, bytes) {
    this.inFlight += weight;
    const settled = promise.then(
      () => { this.loaded += bytes; this.report(false); },
      (error) => this.fail(error),
    ).finally(() => {
      this.inFlight -= weight;
      this.outstanding.delete(settled);
      this.wake();
    });
    this.outstanding.add(settled);
  }

  async room(weight) {
    while (this.inFlight > 0 && this.inFlight + weight > this.windowBytes) {
      await new Promise((resolve) => this.wakers.push(resolve));
      this.throwIfFailed();
    }
  }

  async drain() {
    while (this.outstanding.size > 0) await Promise.all([...this.outstanding]);
  }

  wake() {
    const wakers = this.wakers;
    this.wakers = [];
    for (const resolve of wakers) resolve();
  }

  fail(error) {
    if (this.failure) return;
    this.failure = error instanceof Error || error instanceof DOMException ? error : makeError('UnknownError', String(error));
    this.stopWatching();
    this.controller?.error(this.failure);
    this.client.request('writeAbort', { writeId: this.writeId }).catch(() => {});
    this.wake();
  }

  throwIfFailed() {
    if (this.failure) throw this.failure;
  }

  /** Hub `progress` notices count all bytes received in this write (they matter for Blobs). */
  blobProgress(loaded) {
    if (Number.isSafeInteger(loaded) && loaded > this.loaded) this.callProgress({ loaded, verified: false });
  }

  report(verified) {
    this.callProgress({ loaded: this.loaded, verified });
  }

  callProgress(progress) {
    if (!this.onprogress) return;
    try {
      this.onprogress(progress);
    } catch (error) {
      console.error('[cos-polyfill] onprogress callback threw:', error);
    }
  }

  stopWatching() {
    this.unwatch?.();
    this.unwatch = null;
  }
}

/**
 * A real WritableStream (so `pipeTo` works) with the FileSystemWritableFileStream methods.
 * Bytes go to the hub, which hashes the final file at close(): a mismatch rejects with
 * DataError. After close()/abort() or a failure, write/seek/truncate/close reject with
 * InvalidStateError; the raw stream API (getWriter) keeps the platform's TypeErrors.
 */
export class CrossOriginStorageWritableFileStream extends WritableStream {
  #done = false;
  #sink;

  /** @param {WritableOptions} options */
  constructor(options) {
    let done = () => {};
    const sink = new HubSink(options, () => done());
    super({
      start: (controller) => sink.start(controller),
      write: (chunk) => sink.write(chunk),
      close: () => sink.close(),
      abort: () => sink.abort(),
    }, { highWaterMark: 1 });
    done = () => { this.#done = true; };
    this.#sink = sink;
  }

  /**
   * @param {string|BufferSource|Blob|{type: 'write'|'seek'|'truncate', data?: unknown, position?: number, size?: number}} data
   * @returns {Promise<void>}
   */
  write(data) {
    return this.#withWriter((writer) => writer.write(data));
  }

  /** @param {number} position @returns {Promise<void>} */
  seek(position) {
    return this.#withWriter((writer) => writer.write({ type: 'seek', position }));
  }

  /** @param {number} size @returns {Promise<void>} */
  truncate(size) {
    return this.#withWriter((writer) => writer.write({ type: 'truncate', size }));
  }

  /** Verify and commit: resolves once the hub stored the bytes; DataError on mismatch. */
  close() {
    if (this.#done) return Promise.reject(closedError());
    if (this.#sink.failure) return Promise.reject(this.#sink.failure); // the cause, not the platform's TypeError
    const locked = this.locked;
    const result = super.close(); // TypeError when locked, as the platform does
    if (!locked) this.#done = true;
    return result;
  }

  #withWriter(action) {
    if (this.#done) return Promise.reject(closedError());
    let writer;
    try {
      writer = this.getWriter(); // TypeError when locked, as the platform does
    } catch (error) {
      return Promise.reject(error);
    }
    const result = action(writer);
    writer.releaseLock();
    return result;
  }
}

if (typeof FileSystemWritableFileStreamClass === 'function') {
  // Browsers: `instanceof FileSystemWritableFileStream` holds; our methods shadow the native ones.
  Object.setPrototypeOf(CrossOriginStorageWritableFileStream.prototype, FileSystemWritableFileStreamClass.prototype);
}

function closedError() {
  return makeError('InvalidStateError', 'The writable stream is closed.');
}
