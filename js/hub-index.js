// Loaded by the hub worker: the Wasm index made durable. Replays the OPFS journal at
// start, serialises mutations across hub worker instances with a Web Lock, reads the
// tail another instance appended before each mutation, and appends what changed.

const LOCK_NAME = 'cos-hub-index';
const HEADER_BYTES = 16;       // src/journal.h: magic(4) version(1) reserved(3) generation(u64)
const COMPACT_AFTER_BYTES = 8 << 20;
const USAGE_FLUSH_MS = 5000;
// Outside OPFS, the last journal record this hub appended (IndexedDB of the hub origin, the
// same storage as its OPFS). A journal that replays to an earlier record lost what was
// committed after it: Chromium can revert OPFS changes after a browser kill (docs/hub.md,
// "Faults"). Only ever a report, never a decision: this mark may itself be older.
const MARK_DB = 'cos-hub-journal-mark';

export class HubIndex {
  /**
   * @param {{core: any, store: import('./opfs-store.js').OpfsStore, locks?: LockManager,
   *          policy?: object, publicHashList?: string, log?: (msg: string) => void}} options
   */
  static async open({ core, store, locks = navigator.locks, policy, publicHashList, log = () => {} }) {
    const raw = new core.raw.Index();
    if (policy) raw.setPolicy({ ...raw.policy(), ...policy });
    if (publicHashList) raw.loadPublicHashList(publicHashList);
    const index = new HubIndex(core, raw, store, locks, log);
    await index.#locked(() => index.#reopen());
    // The first call does not wait for IndexedDB (~10-20 ms to open). Resolves true when the
    // journal replays to an earlier record than the one marked (the hub then checks blobs/).
    index.lossChecked = index.#checkMark(Number(raw.lastSeq())).catch((e) => {
      log(`journal mark unreadable: ${e}`);
      return false;
    });
    index.flushTimer = setInterval(() => index.flushUsage().catch((e) => log(`usage flush failed: ${e}`)), USAGE_FLUSH_MS);
    return index;
  }

  constructor(core, raw, store, locks, log) {
    this.core = core;
    this.raw = raw;
    this.store = store;
    this.locks = locks;
    this.log = log;
    this.offset = 0;      // end of the last good record in the journal file we know
    this.openStats = null;
    this.marking = null;  // the mark write in flight, and whether another is due after it
    this.markDue = false;
    this.lossChecked = null;  // the check at open, which every mark write waits for
  }

  /**
   * Runs `fn(rawIndex, alongside)` under the lock, after catching up with other instances,
   * then persists. `alongside(promise)`: work that runs while the journal is appended and
   * is awaited, still under the lock, before mutate() resolves (a blob's sidecar).
   * `options.inPlace`: how to append the journal in place (OpfsStore.appendJournal).
   */
  mutate(fn, { inPlace = null } = {}) {
    return this.#locked(async () => {
      await this.#catchUp();
      const work = [];
      const result = await fn(this.raw, (promise) => { work.push(promise); });
      const settled = await Promise.allSettled([this.#persist(inPlace), ...work]);
      const failed = settled.find((s) => s.status === 'rejected');
      if (failed) throw failed.reason;
      return result;
    });
  }

  /**
   * Whether the journal replayed whole at open: readable, nothing torn or dropped, at least
   * one entry. Otherwise entries may be missing that blobs/ and the sidecars still hold.
   */
  replayedWhole() {
    const s = this.openStats;
    return !!s && s.status === this.core.Status.Ok && Number(s.droppedBytes) === 0 && Number(s.entries) > 0;
  }

  /** Writes batched usage counters (reads, probes) to the journal. */
  flushUsage() {
    return this.mutate((raw) => raw.flushUsage());
  }

  close() {
    clearInterval(this.flushTimer);
    this.raw.delete();  // the hub worker owns the one Index instance
  }

  #locked(fn) {
    return this.locks.request(LOCK_NAME, { mode: 'exclusive' }, fn);
  }

  async #reopen() {
    const bytes = await this.store.readJournal();
    const stats = this.raw.open(bytes);
    this.openStats = stats;
    if (stats.status === this.core.Status.Corrupt && bytes.byteLength > 0) {
      // Not a journal we can read from its header on: keep it for inspection, start anew
      // (the start-up rebuild restores entries from blobs/ and their sidecars).
      this.log(`journal: unreadable header; kept aside as ${await this.store.keepJournalAside(bytes)}`);
      await this.store.replaceJournal(new Uint8Array(0));
    }
    this.offset = Number(stats.validBytes);
    if (Number(stats.droppedBytes) > 0) {
      this.log(`journal: dropped ${stats.droppedBytes} torn or corrupt bytes after record ${stats.lastSeq}`);
    }
    return stats;
  }

  async #catchUp() {
    const file = await this.store.journalFile();
    if (!file || file.size === this.offset) return;
    const header = new DataView(await file.slice(0, HEADER_BYTES).arrayBuffer());
    const generation = header.byteLength === HEADER_BYTES ? header.getBigUint64(8, true) : -1n;
    if (file.size < this.offset || generation !== BigInt(this.raw.generation())) {
      await this.#reopen();  // another instance compacted the journal
      return;
    }
    const tail = new Uint8Array(await file.slice(this.offset).arrayBuffer());
    const stats = this.raw.applyTail(tail);
    if (stats.status !== this.core.Status.Ok) {
      await this.#reopen();
      return;
    }
    this.offset += Number(stats.consumedBytes);
  }

  async #persist(inPlace = null) {
    const bytes = this.raw.takePendingJournalBytes();
    if (bytes.byteLength > 0) {
      this.offset = await this.store.appendJournal(bytes, this.offset, inPlace);
      this.#mark();
    }
    if (this.offset > COMPACT_AFTER_BYTES && this.offset > 4 * this.raw.size() * 256) {
      this.offset = await this.store.replaceJournal(this.raw.compact(Date.now()));
    }
  }

  /** Records the last appended record's seq outside OPFS; never awaited by a write. */
  #mark() {
    if (typeof indexedDB === 'undefined') return;
    if (this.marking) { this.markDue = true; return; }
    const seq = Number(this.raw.lastSeq());
    // After the check at open has read the old mark (it runs alongside the start-up).
    this.marking = Promise.resolve(this.lossChecked)
      .then(() => markStore('readwrite', (os) => os.put({ seq, at: Date.now() }, 'journal')))
      .catch((e) => this.log(`journal mark not written: ${e}`))
      .finally(() => {
        this.marking = null;
        if (this.markDue) { this.markDue = false; this.#mark(); }
      });
  }

  /** At open: logs it, and resolves true, when the journal replays to an earlier record than the one marked. */
  async #checkMark(replayedSeq) {
    if (typeof indexedDB === 'undefined') return false;
    const mark = await markStore('readonly', (os) => os.get('journal'));
    if (!mark || !(mark.seq > replayedSeq)) return false;
    this.log(`STORE WENT BACK: the journal replays to record ${replayedSeq} but record ${mark.seq} was appended `
      + `(${new Date(mark.at).toISOString()}); what was committed after record ${replayedSeq} is lost unless its blob and sidecar survived (rebuild)`);
    return true;
  }
}

function markStore(mode, fn) {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(MARK_DB, 1);
    open.onupgradeneeded = () => open.result.createObjectStore('marks');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const tx = db.transaction('marks', mode);
      const req = fn(tx.objectStore('marks'));
      tx.oncomplete = () => { db.close(); resolve(req.result); };
      tx.onerror = tx.onabort = () => { db.close(); reject(tx.error); };
    };
  });
}
