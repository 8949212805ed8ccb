// Loaded by the hub worker: its end of the channel to the hub frame's dedicated write worker
// (js/write-worker.js), and the two ways a verified write reaches OPFS (sync access handle
// there, or createWritable here). The hub worker still hashes every byte before it leaves.

/** How long the write worker may take to open a file (it may still be starting). */
export const OPEN_TIMEOUT_MS = 5_000;
/** Most bytes handed to the write worker and not yet written, per write. */
export const IN_FLIGHT_BYTES = 16 << 20;
/** How long an abort waits for the write worker: it dies with its tab, unannounced. */
export const ABORT_TIMEOUT_MS = 1_000;

export class WriteWorkerLink {
  /** @param {MessagePort} port */
  constructor(port) {
    this.port = port;
    this.nextId = 1;
    this.waiting = new Map();
    this.broken = null;
    port.onmessage = ({ data }) => {
      const w = this.waiting.get(data?.id);
      if (!w) return;
      this.waiting.delete(data.id);
      if (data.ok) w.resolve(data);
      else w.reject(new DOMException(String(data.error?.message ?? 'The write worker failed.'), String(data.error?.name ?? 'UnknownError')));
    };
    port.start();
  }

  /** The frame (and so its write worker) is gone: fail everything waiting, and later requests. */
  close() {
    this.broken ??= new DOMException('The write worker is gone.', 'AbortError');
    for (const w of this.waiting.values()) w.reject(this.broken);
    this.waiting.clear();
    this.port.close();
  }

  request(message, transfer = []) {
    if (this.broken) return Promise.reject(this.broken);
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.waiting.set(id, { resolve, reject });
      this.port.postMessage({ ...message, id }, transfer);
    });
  }

  /**
   * request(), given up after `ms`. A worker that does not answer (gone with its tab, an
   * older hub folder without write-worker.js) is not asked again: every later request
   * fails at once, and later writes use createWritable.
   */
  async requestWithin(message, ms) {
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new DOMException('The write worker did not answer.', 'TimeoutError')), ms);
    });
    try {
      return await Promise.race([this.request(message), timeout]);
    } catch (error) {
      if (error.name === 'TimeoutError') this.broken = error;
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Appends `bytes` at `offset` to the journal (`handle`) with a sync access handle in the
   * write worker: written in place and flushed, not copied like createWritable does. The
   * caller holds the index lock; on any failure it appends the other way.
   * @param {FileSystemFileHandle} handle @param {Uint8Array} bytes @param {number} offset
   */
  async appendJournal(handle, bytes, offset) {
    const data = bytes.slice().buffer;  // a copy: the caller keeps its bytes for a fallback
    await this.requestWithin({ op: 'append', handle, at: offset, data }, OPEN_TIMEOUT_MS);
  }

  /**
   * Opens `temp` with a sync access handle in the write worker.
   * @param {{id: string, handle: FileSystemFileHandle}} temp
   * @returns {Promise<SyncDisk>} rejects if the worker refused or did not answer in time
   */
  async open(temp) {
    await this.requestWithin({ op: 'open', key: temp.id, handle: temp.handle }, OPEN_TIMEOUT_MS);
    return new SyncDisk(this, temp.id);
  }
}

/** A temporary file open in the write worker. Writes are posted, counted, not awaited one by one. */
class SyncDisk {
  constructor(link, key) {
    this.link = link;
    this.key = key;
    this.inFlight = 0;
    this.failure = null;
    this.wakers = [];
  }

  /** Starts writing `bytes` at `position`; the buffer moves to the write worker (no copy). */
  write(position, bytes) {
    const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    const buffer = whole ? bytes.buffer : bytes.slice().buffer;
    const n = buffer.byteLength;
    this.inFlight += n;
    this.link.request({ op: 'write', key: this.key, at: position, data: buffer }, [buffer])
      .catch((error) => { this.failure ??= error; })
      .finally(() => {
        this.inFlight -= n;
        const wakers = this.wakers.splice(0);
        for (const wake of wakers) wake();
      });
  }

  /** Waits until `room` more bytes fit in the window; throws an earlier write's failure. */
  async settle(room = 0) {
    while (this.inFlight > 0 && this.inFlight + room > IN_FLIGHT_BYTES) {
      await new Promise((resolve) => this.wakers.push(resolve));
    }
    if (this.failure) throw this.failure;
  }

  async truncate(size) {
    await this.settle(IN_FLIGHT_BYTES);
    await this.link.request({ op: 'truncate', key: this.key, size });
  }

  /** Flushes and closes; the write worker reports a failed write here too. */
  async close() {
    await this.settle(IN_FLIGHT_BYTES);
    await this.link.request({ op: 'close', key: this.key });
  }

  /** Closes the handle after the writes before it (a port runs in order); bounded wait. */
  async abort() {
    await this.link.requestWithin({ op: 'abort', key: this.key }, ABORT_TIMEOUT_MS).catch(() => {});
  }
}

/** The fallback: createWritable in the hub worker, one OPFS write in flight. */
export class WritableDisk {
  static async open(handle) {
    return new WritableDisk(await handle.createWritable({ keepExistingData: false }));
  }

  constructor(writable) {
    this.writable = writable;
    this.pending = Promise.resolve();
    this.failure = null;
  }

  write(position, bytes) {
    this.pending = this.writable.write({ type: 'write', position, data: bytes }).catch((error) => { this.failure ??= error; });
  }

  async settle() {
    await this.pending;
    if (this.failure) throw this.failure;
  }

  async truncate(size) {
    await this.settle();
    await this.writable.truncate(size);
  }

  async close() {
    await this.settle();
    await this.writable.close();
  }

  async abort() {
    await this.pending;
    await this.writable.abort().catch(() => {});
  }
}
