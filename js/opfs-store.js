// Loaded by the hub worker (hub origin, unpartitioned when reached through storage
// access). Owns the OPFS layout and nothing else: blobs/sha256/<hex>, tmp/<id>, journal.

const NOT_FOUND = 'NotFoundError';
/** Most blob Files kept for reads (a File is a small reference to OPFS, not the bytes). */
const FILE_CACHE_ENTRIES = 1024;
const ignoreMissing = (err) => { if (err?.name !== NOT_FOUND) throw err; };
// padDirectoryLog(): LevelDB log blocks are 32 KiB; one create+remove of a directory named
// with PAD_NAME_CHARS characters writes at least PAD_BYTES_PER_ROUND bytes of log records
// (835 B measured on Chromium 156, see docs/hub.md), so PAD_LOG_BYTES crosses one block
// boundary: 52 rounds, ~43 KB of log, ~16 ms before a hub instance's first change of the store.
const PAD_NAME_CHARS = 200;
const PAD_BYTES_PER_ROUND = 800;
const PAD_LOG_BYTES = 40 * 1024;

export class OpfsStore {
  /**
   * @param {FileSystemDirectoryHandle} root
   * @param {{log?: (msg: string) => void}} [options] where a failed directory-log padding is reported
   */
  static async open(root, { log = () => {} } = {}) {
    // Two round trips to the browser, not four: the hub's first call waits for them.
    const [blobsRoot, tmp] = await Promise.all([
      root.getDirectoryHandle('blobs', { create: true }),
      root.getDirectoryHandle('tmp', { create: true }),
    ]);
    const [blobs, meta] = await Promise.all([
      blobsRoot.getDirectoryHandle('sha256', { create: true }),
      blobsRoot.getDirectoryHandle('meta', { create: true }),
    ]);
    return new OpfsStore(root, blobs, tmp, meta, log);
  }

  constructor(root, blobs, tmp, meta, log = () => {}) {
    this.root = root;
    this.blobs = blobs;
    this.tmp = tmp;
    this.meta = meta;  // blobs/meta/<hex>: who stored a blob and who may read it (for rebuilds)
    // A blob is never modified once promoted, so its File stays valid until this store
    // removes or replaces it: a cache hit then costs no OPFS call. Another hub instance on
    // the same directory evicting it makes the File read NotFoundError, like a miss.
    this.files = new Map();
    this.padding = null;  // padDirectoryLog() of this instance, started by the first change
    this.log = log;
  }

  /**
   * Resolves once this instance has padded Chromium's directory log (padDirectoryLog); every
   * method that changes the store (creates, moves, removes, writes) awaits it first, so the
   * padding comes before this session's first directory record, and a hub that only reads
   * (a first call, a cache hit) never pays for it. A failed padding is logged, not fatal:
   * it is a mitigation.
   */
  padded() {
    this.padding ??= this.padDirectoryLog().then(() => {}, (err) => this.log(`directory log padding failed: ${err}`));
    return this.padding;
  }

  /** The verified entry's File (a reference to OPFS, never a copy), or null. */
  async blobFile(hex) {
    const cached = this.files.get(hex);
    if (cached) return cached;
    try {
      const handle = await this.blobs.getFileHandle(hex);
      const file = await handle.getFile();
      if (this.files.size >= FILE_CACHE_ENTRIES) this.files.delete(this.files.keys().next().value);
      this.files.set(hex, file);
      return file;
    } catch (err) {
      ignoreMissing(err);
      return null;
    }
  }

  async hasBlob(hex) {
    if (this.files.has(hex)) return true;
    return this.#onDisk(hex);
  }

  async #onDisk(hex) {
    try {
      await this.blobs.getFileHandle(hex);
      return true;
    } catch (err) {
      ignoreMissing(err);
      return false;
    }
  }

  /** A name for a temporary file; take its lock (`cos-write-<id>`) before createTemp(id). */
  static newTempId() {
    return `${Date.now().toString(36)}-${crypto.randomUUID()}`;
  }

  /** A fresh temporary file for one write in flight; `id` is also its lock name suffix. */
  async createTemp(id = OpfsStore.newTempId()) {
    await this.padded();
    const handle = await this.tmp.getFileHandle(id, { create: true });
    return { id, handle };
  }

  /**
   * Moves a verified temporary file to blobs/sha256/<hex>. When the blob exists already
   * (a concurrent or earlier writer of the same bytes) the existing one is kept.
   * @returns {Promise<boolean>} true when this temp file became the blob
   */
  async promote(temp, hex) {
    await this.padded();
    this.files.delete(hex);
    if (await this.#onDisk(hex)) {
      await this.removeTemp(temp.id);
      return false;
    }
    await temp.handle.move(this.blobs, hex);
    return true;
  }

  async removeTemp(id) {
    await this.padded();
    await this.tmp.removeEntry(id).catch(ignoreMissing);
  }

  async removeBlob(hex) {
    await this.padded();
    this.files.delete(hex);
    await this.blobs.removeEntry(hex).catch(ignoreMissing);
    await this.meta.removeEntry(hex).catch(ignoreMissing);
  }

  /**
   * The entry's rights beside its blob ({type, size, storers, listed, global}), so a lost or
   * damaged journal can be rebuilt from blobs/. Written after every commit.
   */
  async writeMeta(hex, info) {
    await this.padded();
    await writeWhole(await this.meta.getFileHandle(hex, { create: true }), JSON.stringify(info));
  }

  /** The sidecar of a blob, or null when missing or unreadable. */
  async readMeta(hex) {
    try {
      const text = await (await (await this.meta.getFileHandle(hex)).getFile()).text();
      const info = JSON.parse(text);
      return info && typeof info === 'object' ? info : null;
    } catch {
      return null;
    }
  }

  /** Keeps a damaged journal aside (journal.damaged-<time>) before a new one replaces it. */
  async keepJournalAside(bytes) {
    await this.padded();
    const handle = await this.root.getFileHandle(`journal.damaged-${Date.now()}`, { create: true });
    await writeWhole(handle, bytes);
    return handle.name;
  }

  /**
   * Moves Chromium's file-system directory database (a LevelDB log under the profile's
   * `File System/<n>/t/Paths/`) past the 32 KiB log block a browser kill may have torn.
   * A kill between LevelDB's two write() calls of one record leaves a record header with no
   * payload at the end of that log; the next browser session reopens the log, appends after
   * it, and the open after that drops everything from the torn header to the end of its
   * block ("dropping N bytes; Corruption: checksum mismatch", ignored): every file created,
   * moved or removed meanwhile reverts, i.e. the blobs, sidecars and journal swaps of the
   * entries committed in that session (docs/hub.md, "Faults"). Creating and removing
   * directories with long names writes ~`bytes` of records nobody needs, so the records of
   * real work start in the next block, which a torn record before it cannot reach.
   * Run before anything else of this browser session changes the store.
   * @returns {Promise<number>} how many directories were created and removed
   */
  async padDirectoryLog(bytes = PAD_LOG_BYTES) {
    const id = crypto.randomUUID();  // another hub instance may pad at the same time
    const name = (i) => `pad-${id}-${i}-`.padEnd(PAD_NAME_CHARS, 'x');
    const rounds = Math.ceil(bytes / PAD_BYTES_PER_ROUND);
    // All creates in flight at once, then all removes: the browser still applies them one by
    // one (the same ~43 KB of records, measured), but the start-up waits for one round trip
    // per batch instead of two per directory (16 vs 55 ms median on this machine under load).
    const ids = Array.from({ length: rounds }, (_, i) => i);
    await Promise.all(ids.map((i) => this.tmp.getDirectoryHandle(name(i), { create: true })));
    // Missing is fine: another instance's cleanTemp() may have taken one already.
    await Promise.all(ids.map((i) => this.tmp.removeEntry(name(i)).catch(ignoreMissing)));
    return rounds;
  }

  /** Deletes temporary files left by a crash; `inUse(id)` spares files of live writes. */
  async cleanTemp(inUse = () => false) {
    let removed = 0;
    for await (const name of this.tmp.keys()) {
      if (inUse(name)) continue;
      try {
        await this.removeTemp(name);
        removed++;
      } catch (err) {
        // Open in another hub worker instance (its lock manager may not be ours): skip it.
        if (err?.name !== 'NoModificationAllowedError') throw err;
      }
    }
    return removed;
  }

  /** Every blob name (64 hex digits) on disk, for rebuilding after a lost journal. */
  async blobNames() {
    const names = [];
    for await (const name of this.blobs.keys()) names.push(name);
    return names;
  }

  async readJournal() {
    try {
      const handle = await this.root.getFileHandle('journal');
      return new Uint8Array(await (await handle.getFile()).arrayBuffer());
    } catch (err) {
      ignoreMissing(err);
      return new Uint8Array(0);
    }
  }

  /** Size of the journal file, so a reader can fetch only the tail another instance wrote. */
  async journalFile() {
    try {
      return await (await this.root.getFileHandle('journal')).getFile();
    } catch (err) {
      ignoreMissing(err);
      return null;
    }
  }

  /**
   * Appends records at `offset` (the end of the last good record), cutting off any torn
   * tail after it. `inPlace(handle, bytes, offset)`, when given, writes them in place (a
   * sync access handle in a write worker: a torn append is a torn tail, which replay
   * drops); if it fails, or without it, createWritable: Chromium commits a writable by
   * swapping files on close, so the journal is the old one or the new one, never a mix,
   * but it copies the whole journal first (7 ms at 64 KB, 28 ms at 6.5 MB, measured).
   */
  async appendJournal(bytes, offset, inPlace = null) {
    await this.padded();
    const handle = await this.root.getFileHandle('journal', { create: true });
    const t0 = performance.now();
    if (inPlace) {
      try {
        await inPlace(handle, bytes, offset);
        globalThis.cosTrace?.push(['journal append: in place', performance.now() - t0]);
        return offset + bytes.byteLength;
      } catch (err) {
        this.log(`journal append in place failed (${err?.name}: ${err?.message}); appending through createWritable`);
      }
    }
    const w = await handle.createWritable({ keepExistingData: true });
    try {
      await w.truncate(offset);
      await w.write({ type: 'write', position: offset, data: bytes });
      await w.close();
    } catch (err) {
      await w.abort().catch(() => {});
      throw err;
    }
    globalThis.cosTrace?.push(['journal append: createWritable', performance.now() - t0]);
    return offset + bytes.byteLength;
  }

  /** Replaces the journal with a compacted snapshot, atomically (see appendJournal). */
  async replaceJournal(bytes) {
    await this.padded();
    await writeWhole(await this.root.getFileHandle('journal', { create: true }), bytes);
    return bytes.byteLength;
  }
}

/**
 * Replaces a file's contents with `data` through createWritable, which Chromium commits by
 * swapping files on close (the old or the new contents, never a mix); a failed write is
 * aborted so no swap file is left behind.
 */
async function writeWhole(handle, data) {
  const w = await handle.createWritable({ keepExistingData: false });
  try {
    await w.write(data);
    await w.close();
  } catch (err) {
    await w.abort().catch(() => {});
    throw err;
  }
}
