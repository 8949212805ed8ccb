// Loaded as the hub's SharedWorker (hub origin; unpartitioned when the frame reached it
// through storage access). Owns the Wasm core, the index and the OPFS store. Trusts the
// `origin` the hub frame stamps on each request: only hub-origin documents can connect.

import { loadCore } from '../dist/cos-core.mjs';
import { parseRequest, makeReply, makeErrorReply, makeNotice, classify, parseNotice } from './protocol.js';
import { errorFromStatus, makeError, notFoundError } from './errors.js';
import { OpfsStore } from './opfs-store.js';
import { HubIndex } from './hub-index.js';
import { WriteSession, hashFile } from './write-session.js';
import { WriteWorkerLink } from './write-worker-link.js';
import { isManageHello, parseManageRequest, MAX_MANAGE_ENTRIES } from './protocol.js';  // management section, at the end

const VERSION = '0.1.0';
const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];
const IDLE_WRITE_MS = 10 * 60 * 1000;  // a write with no activity this long is abandoned
const BLOBS_HOUSEKEEPING_MS = 60 * 1000;  // after a start from a whole journal, blobs/ is checked this late

/**
 * The hub's built-in policy (docs/security.md, "The hub's default policy"): the defences against a site
 * probing what the user visited are ON unless the operator turns them off. A '*' entry
 * reaches sites that did not store it only when its hash is on the hub's Public Hash List
 * (public-hash-list.txt); an authorized non-storer read is refused at random 5 % of the
 * time (GREASE, one answer per site and hash); a site may probe 100 distinct hashes it does
 * not store per 24 hours. No byte quota: the browser's own storage quota applies.
 */
const DEFAULT_POLICY = Object.freeze({
  probeBudget: 100,
  probeWindowMs: 24 * 60 * 60 * 1000,
  phlEnabled: true,
  greaseRate: 0.05,
});

const log = (msg) => console.warn(`[cos hub] ${msg}`);
/**
 * Phase timings for profiling (tools/bench/profile-store.mjs): off unless a debugger set
 * `self.cosTrace = []` in this worker; then [label, ms] pairs are pushed there.
 */
const trace = (label, t0) => { self.cosTrace?.push([label, performance.now() - t0]); return performance.now(); };
// Held for this instance's whole life; a frame granted it knows the worker died.
const LIFE_LOCK = `cos-hub-worker-${crypto.randomUUID()}`;
const ready = start();

async function start() {
  // The first call waits for all of this: fetch and compile the core, open OPFS and read
  // the policy at the same time; only the journal replay needs them all.
  const [, core, store, policy, publicHashList] = await Promise.all([
    holdLock(LIFE_LOCK).acquired,
    loadCore({ locateFile: (name) => new URL(name, self.location.href).href }),
    // Before this session's first change of the store, the store pads over a record a
    // browser kill may have torn in Chromium's directory database (OpfsStore.padded).
    navigator.storage.getDirectory().then((root) => OpfsStore.open(root, { log })),
    loadPolicy(),
    fetchOptional('public-hash-list.txt', (res) => res.text()),
  ]);
  const index = await HubIndex.open({ core, store, policy, publicHashList: publicHashList ?? '', log });
  // Temporary files of writes alive in another instance are protected by their lock. Before
  // `ready`: no write of this instance exists yet, so none of its files can be taken for debris.
  const held = new Set(((await navigator.locks.query()).held ?? []).map((l) => l.name));
  const removed = await store.cleanTemp((id) => held.has(`cos-write-${id}`));
  if (removed) log(`removed ${removed} temporary files left by an interrupted write`);
  const hub = { core, store, index, blobsPending: false, blobsChecked: Promise.resolve() };
  // The check of blobs/ lists every blob: ~300 ms for 10k blobs here, during which the
  // browser serves this origin's other OPFS calls late. A journal that did not replay whole
  // (missing, empty, torn, unreadable) may have lost entries blobs/ still holds: checked
  // before anything is answered. A whole journal is answered from at once; a miss waits
  // (settleMisses) until the journal mark says it did not go back in time, or until the
  // check that follows when it did. Otherwise the check runs later as housekeeping (blobs
  // a crash left without entry: an eviction's unfinished delete, a commit cut short).
  if (!index.replayedWhole()) {
    await checkBlobs(core, index, store);
  } else {
    hub.blobsPending = true;
    hub.blobsChecked = index.lossChecked.then((wentBack) => {
      if (wentBack) return checkBlobs(core, index, store);
      setTimeout(() => checkBlobs(core, index, store), BLOBS_HOUSEKEEPING_MS);
      return null;
    }).finally(() => { hub.blobsPending = false; });
  }
  return hub;
}

/** rebuildFromBlobs, its outcome logged; never throws (a failed check is logged). */
function checkBlobs(core, index, store) {
  return rebuildFromBlobs(core, index, store).then((rebuilt) => {
    if (rebuilt.adopted || rebuilt.removed) {
      log(`blobs the journal did not know: ${rebuilt.adopted} rebuilt from their sidecars, ${rebuilt.removed} removed (${rebuilt.reasons.join(', ')})`);
    }
  }, (err) => log(`the check of blobs/ failed: ${err?.stack ?? err}`));
}

/**
 * `disclosed[i]`: whether `hexes[i]` was disclosed to `origin`. Until it is settled at
 * start whether blobs/ holds entries the journal lost (start()), a hash that was not
 * disclosed waits, and one the index did not hold is looked up again after (the check may
 * have adopted it). Absent and invisible entries wait alike, so the wait tells a site
 * nothing its answer does not. Probes are charged per
 * distinct hash, so the second lookup is not charged again (it counts one more miss or hit
 * in the site's statistics).
 */
async function settleMisses(hub, hexes, origin, disclosed) {
  if (!hub.blobsPending || disclosed.every(Boolean)) return disclosed;
  const absent = hexes.map((hex) => !hub.index.raw.contains(hex));
  await hub.blobsChecked;
  const now = Date.now();
  return disclosed.map((ok, i) => ok || (absent[i] && hub.index.raw.contains(hexes[i]) && hub.index.raw.lookup(hexes[i], origin, now)));
}

/**
 * Blobs without an index entry (a journal lost, damaged or cut short; a crash between an
 * eviction's Remove record and the blob's deletion). A blob whose bytes still hash to its
 * name and whose sidecar names its storers is committed again with those rights; any
 * other is removed, since nobody is known to have stored it. blobs/ is listed outside the
 * index lock; each candidate is handled under it, where another instance's
 * promote-and-commit is never half done.
 */
async function rebuildFromBlobs(core, index, store) {
  const result = { adopted: 0, removed: 0, reasons: [] };
  const candidates = (await store.blobNames()).filter((hex) => !index.raw.contains(hex));
  if (!candidates.length) return result;
  return index.mutate(async (raw) => {
    const drop = async (hex, reason) => {
      await store.removeBlob(hex);
      result.removed++;
      if (!result.reasons.includes(reason)) result.reasons.push(reason);
    };
    for (const hex of candidates) {
      if (raw.contains(hex)) continue;
      const meta = await store.readMeta(hex);
      const storers = Array.isArray(meta?.storers) ? meta.storers.filter((o) => typeof o === 'string') : [];
      if (!storers.length) { await drop(hex, 'no known storer'); continue; }
      const file = await store.blobFile(hex);
      if (!file || (await digestOf(core, file)) !== hex) { await drop(hex, 'bytes do not match'); continue; }
      const listed = Array.isArray(meta.listed) ? meta.listed.filter((o) => typeof o === 'string') : [];
      const type = typeof meta.type === 'string' ? meta.type : '';
      let ok = false;
      for (const storer of storers) {
        const r = raw.commit(hex, file.size, type, storer, { global: meta.global === true, origins: listed }, null, Date.now());
        ok ||= r.status === core.Status.Ok;
      }
      if (ok) result.adopted++;
      else await drop(hex, 'sidecar refused');
    }
    return result;
  });
}

async function digestOf(core, file) {
  const stream = new core.Sha256Stream();
  try {
    return await hashFile(stream, file);
  } finally {
    stream.delete();
  }
}

/** Rewrites a blob's sidecar from the index (after a commit widened or added rights). */
async function saveMeta(raw, store, hex) {
  const e = raw.entry(hex);
  if (!e) return;
  await store.writeMeta(hex, { type: e.contentType, size: Number(e.size), storers: [...e.storers], listed: [...e.listed], global: e.global });
}

/**
 * The policy in force: DEFAULT_POLICY, overridden key by key by the operator's
 * hub-config.json beside the worker (optional), e.g. {"phlEnabled": false, "quotaBytes":
 * 10737418240}. Unknown keys and wrong types are ignored with a console warning.
 */
async function loadPolicy() {
  const allowed = { probeBudget: 'number', probeWindowMs: 'number', phlEnabled: 'boolean', greaseRate: 'number',
    greaseSeed: 'number', quotaBytes: 'number', perSiteShare: 'number', originsCap: 'number' };
  const policy = { ...DEFAULT_POLICY };
  const overridden = [];
  const config = await fetchOptional('hub-config.json', (res) => res.json());
  if (config && typeof config === 'object') {
    for (const [key, value] of Object.entries(config)) {
      if (Object.hasOwn(allowed, key) && typeof value === allowed[key]) {
        policy[key] = value;
        overridden.push(key);
      } else {
        log(`hub-config.json: ignored ${key}`);
      }
    }
  }
  const shown = Object.fromEntries(Object.entries(policy).filter(([key]) => key !== 'greaseSeed'));
  console.info(`[cos hub] policy ${JSON.stringify(shown)} (${overridden.length ? `hub-config.json set ${overridden.join(', ')}` : 'built-in defaults'})`);
  // A fixed seed makes GREASE refusals the same sequence at every start (the core's default
  // is 0): an attacker would know which lookups are refused. Seed it per instance unless pinned.
  if (!Object.hasOwn(policy, 'greaseSeed')) policy.greaseSeed = crypto.getRandomValues(new Uint32Array(1))[0];
  return policy;
}

async function fetchOptional(name, read) {
  try {
    const res = await fetch(new URL(name, self.location.href), { cache: 'no-store' });
    return res.ok ? await read(res) : null;
  } catch {
    return null;
  }
}

// ---- connections: one port per hub frame ----

self.onconnect = (event) => {
  const port = event.ports[0];
  const conn = { port, writes: new Map(), nextWriteId: 1, writer: null };
  port.onmessage = (e) => routeWriter(conn, e) || routeManagement(conn, e.data) || dispatch(conn, e.data);
  port.start();
  ready.then(
    () => port.postMessage(makeNotice('ready', { version: VERSION, lock: LIFE_LOCK })),
    (err) => log(`start failed: ${err?.stack ?? err}`),
  );
};

// The frame's dedicated write worker (sync access handles): the frame sends one end of a
// channel to it before this connection's first writeBegin. Only hub-origin documents reach
// this port, and the frame never relays this type from a page (it is not in REQUESTS).
function routeWriter(conn, event) {
  if (event.ports?.length !== 1 || classify(event.data) !== 'notice') return false;
  try {
    if (parseNotice(event.data, 'hubFrame').type !== 'writer') return false;
  } catch {
    return false;
  }
  if (!conn.writer) conn.writer = new WriteWorkerLink(event.ports[0]);
  else event.ports[0].close();
  return true;
}

async function dispatch(conn, message) {
  if (classify(message) === 'notice') return onFrameNotice(conn, message);
  let request;
  try {
    request = parseRequest(message, 'frame');
  } catch (err) {
    if (err.id !== undefined) conn.port.postMessage(makeErrorReply(err.id, err));
    else log(`dropped a malformed message: ${err.message}`);
    return;
  }
  try {
    const hub = await ready;
    const t0 = performance.now();
    const reply = await HANDLERS[request.type](hub, conn, request);
    trace(request.type, t0);
    conn.port.postMessage(makeReply(request.id, reply ?? {}));
  } catch (err) {
    conn.port.postMessage(makeErrorReply(request.id, err));
  }
}

// Chromium fires no close event on a SharedWorker's ports: the frame names a Web Lock it
// holds for its whole life, and being granted that lock means the frame is gone.
function onFrameNotice(conn, message) {
  let notice;
  try {
    notice = parseNotice(message, 'hubFrame');
  } catch (err) {
    log(`dropped a malformed notice: ${err.message}`);
    return;
  }
  if (notice.type !== 'attach' || conn.lifetimeLock) return;
  conn.lifetimeLock = notice.lock;
  navigator.locks.request(notice.lock, () => abandonAll(conn)).catch(() => {});
}

function statusError(core, status) {
  return errorFromStatus(core.statusName(status));
}

function hashHex(core, hash) {
  const parsed = core.parseHashId(hash);
  if (!parsed.ok) throw statusError(core, parsed.status);
  return parsed.value;
}

// The page-side checks are a convenience; these are the authoritative ones.
function visibilityRequest(core, origins) {
  const request = { global: false, origins: [] };
  for (const entry of origins) {
    if (entry === '*') {
      request.global = true;
      continue;
    }
    const parsed = core.parseOrigin(entry);
    if (!parsed.ok) throw statusError(core, parsed.status);
    request.origins.push(parsed.origin);
  }
  return request;
}

function sniffType(head) {
  return WASM_MAGIC.every((b, i) => head[i] === b) ? 'application/wasm' : '';
}

function writeFor(conn, request) {
  const session = conn.writes.get(request.writeId);
  if (!session || session.origin !== request.origin) {
    throw makeError('InvalidStateError', 'No write in progress with this id.');
  }
  session.touched = Date.now();
  return session;
}

async function endWrite(hub, conn, session) {
  conn.writes.delete(session.writeId);
  clearInterval(session.idleTimer);
  hub.index.raw.endWrite(session.hex);
  if (session.reserved > 0) hub.index.raw.release(session.reserved, session.origin);
  session.reserved = 0;
  session.lock?.release();
}

function abandonAll(conn) {
  conn.writer?.close();  // its write worker died with the frame: nothing it holds will answer
  ready.then(async (hub) => {
    for (const session of [...conn.writes.values()]) {
      await session.write.abort().catch(() => {});
      await endWrite(hub, conn, session);
    }
  });
}

/**
 * The journal append in place through the connection's write worker (a sync access handle:
 * no copy of the journal per commit), or null when the frame has none or it stopped
 * answering; OpfsStore.appendJournal falls back to createWritable on any failure.
 */
function journalInPlace(conn) {
  const writer = conn.writer;
  if (!writer || writer.broken) return null;
  return (handle, bytes, offset) => writer.appendJournal(handle, bytes, offset);
}

const HANDLERS = {
  async lookup(hub, conn, { hashes, origin }) {
    const { core, index, store } = hub;
    const now = Date.now();
    const hexes = hashes.map((h) => hashHex(core, h));
    // All-or-nothing: every hash is looked up (and charged) before anything is revealed.
    const disclosed = await settleMisses(hub, hexes, origin, hexes.map((hex) => index.raw.lookup(hex, origin, now)));
    if (!disclosed.every(Boolean)) throw notFoundError();
    const entries = [];
    for (const hex of hexes) {
      const entry = index.raw.entry(hex);
      if (!entry || !(await store.hasBlob(hex))) throw notFoundError();
      entries.push({ size: Number(entry.size), type: entry.contentType });
    }
    return { entries };
  },

  async getFile(hub, conn, { hash, origin }) {
    const { core, index, store } = hub;
    const hex = hashHex(core, hash);
    const [disclosed] = await settleMisses(hub, [hex], origin, [index.raw.lookup(hex, origin, Date.now())]);
    if (!disclosed) throw notFoundError();
    const now = Date.now();
    index.raw.beginRead(hex);
    try {
      const file = await store.blobFile(hex);
      if (!file) throw notFoundError();
      index.raw.recordRead(hex, origin, file.size, now);
      return { file: new File([file], hex, { type: index.raw.entry(hex)?.contentType || '' }) };
    } finally {
      index.raw.endRead(hex);
    }
  },

  async writeBegin({ core, index, store }, conn, { hash, origins, origin }) {
    const hex = hashHex(core, hash);
    const visibility = visibilityRequest(core, origins);
    const session = { writeId: conn.nextWriteId++, hex, origin, visibility, reserved: 0, touched: Date.now() };
    index.raw.beginWrite(hex);
    // The lock comes first: another instance's start-up spares tmp files whose lock is held.
    const tempId = OpfsStore.newTempId();
    let t = performance.now();
    session.lock = holdLock(`cos-write-${tempId}`);
    await session.lock.acquired;
    t = trace('begin: temp file lock', t);
    try {
      session.write = await WriteSession.begin({
        core, store, hex, tempId, writer: conn.writer,
        // Bytes in flight never evict anything: a write that then fails (wrong bytes, too
        // big) must not cost other sites their entries. Eviction waits for verified bytes
        // (writeClose); here only a file that could never fit is refused.
        onGrow: (bytes) => {
          const limit = fileLimit(index.raw.policy());
          if (limit > 0 && session.write.size + bytes > limit) throw statusError(core, core.Status.QuotaExceeded);
        },
      });
    } catch (err) {
      index.raw.endWrite(hex);
      session.lock.release();
      throw err;
    }
    trace('begin: temp file, write worker open', t);
    session.idleTimer = setInterval(() => {
      if (Date.now() - session.touched > IDLE_WRITE_MS) HANDLERS.writeAbort({ core, index, store }, conn, session).catch(() => {});
    }, IDLE_WRITE_MS / 4);
    conn.writes.set(session.writeId, session);
    return { writeId: session.writeId };
  },

  async writeChunk(hub, conn, request) {
    // No await before the write is queued: a write's operations must queue in arrival
    // order whatever the frame relays at once (it sends one at a time today).
    const session = writeFor(conn, request);
    try {
      return { position: await session.write.write(request.data) };
    } catch (err) {
      await HANDLERS.writeAbort(hub, conn, session).catch(() => {});
      throw err;
    }
  },

  async writeSeek(hub, conn, request) {
    // seek() queues behind the chunks still being written: await its position.
    return { position: await writeFor(conn, request).write.seek(request.position) };
  },

  async writeTruncate(hub, conn, request) {
    const session = writeFor(conn, request);
    return { size: await session.write.truncate(request.size) };
  },

  async writeClose(hub, conn, request) {
    const { core, index } = hub;
    const session = writeFor(conn, request);
    let result;
    let t = performance.now();
    try {
      result = await session.write.finish();
      t = trace('close: last writes, flush, digest', t);
    } catch (err) {
      await session.write.abort();
      await endWrite(hub, conn, session);
      throw err;
    }
    if (!result.ok) {
      await endWrite(hub, conn, session);
      throw makeError('DataError', 'The written bytes do not match the hash.');
    }
    try {
      // A blob the start-up check may still adopt keeps its sidecar's storers: commit after it.
      await hub.blobsChecked;
      await index.mutate(async (raw, alongside) => {
        t = trace('close: index lock, journal catch-up', t);
        if (!raw.contains(session.hex)) {
          const r = raw.reserve(result.size, session.origin);
          if (r.status !== core.Status.Ok) {
            await hub.store.removeTemp(session.write.temp.id);
            throw statusError(core, r.status);
          }
          session.reserved = result.size;  // endWrite releases it once the commit counts the bytes
          for (const evicted of r.evicted) await hub.store.removeBlob(evicted);
        }
        await session.write.promote();
        t = trace('close: move into blobs/', t);
        const type = sniffType(session.write.headBytes() ?? await headOf(hub.store, session.hex));
        const r = raw.commit(session.hex, result.size, type, session.origin, session.visibility, null, Date.now());
        if (r.status !== core.Status.Ok) throw statusError(core, r.status);
        // The sidecar is written while the journal is appended (both before the reply).
        if (r.created || r.changed) alongside(saveMeta(raw, hub.store, session.hex));
        t = trace('close: commit', t);
      }, { inPlace: journalInPlace(conn) });
      t = trace('close: journal append + sidecar', t);
    } finally {
      await endWrite(hub, conn, session);
    }
    return { size: result.size };
  },

  async writeAbort(hub, conn, request) {
    const session = writeFor(conn, request);
    await session.write.abort();
    await endWrite(hub, conn, session);
    return {};
  },

  // Hub-wide figures (entries, bytes used) would let any site watch other sites' writes:
  // a site learns only its access mode, which the frame adds. The hub's page has the totals.
  async status() {
    return {};
  },
};

/** Largest file one write may grow to (0: no limit): the quota, or one site's share of it. */
function fileLimit(policy) {
  const quota = Number(policy.quotaBytes ?? 0);
  if (!quota) return 0;
  return Math.min(quota, Math.floor(Number(policy.perSiteShare ?? 1) * quota));
}

async function headOf(store, hex) {
  const file = await store.blobFile(hex);
  return file ? new Uint8Array(await file.slice(0, 4).arrayBuffer()) : new Uint8Array(0);
}

/** Holds a Web Lock until release() is called; `acquired` resolves once it is granted. */
function holdLock(name) {
  let release;
  let granted;
  const held = new Promise((resolve) => { release = resolve; });
  const acquired = new Promise((resolve) => { granted = resolve; });
  navigator.locks.request(name, () => { granted(); return held; }).catch(() => {});
  return { release, acquired };
}

// ---- management: the hub's own top-level page (js/hub-manage.js), never a site ----
// A port becomes a management port only if its FIRST message is manageHello. The hub frame
// never sends it (it relays only REQUESTS types, stamped with the site's origin), so no
// embedding site can reach these handlers; a management port accepts nothing else.

const ACTIVE_MS = 10 * 60 * 1000;  // a site that sent a request this recently counts as active
const activeOrigins = new Map();   // origin → last request time (ports have no close event)

/** Returns true when the message was handled here (management), false for dispatch(). */
function routeManagement(conn, data) {
  const first = !conn.seenMessage;
  conn.seenMessage = true;
  if (conn.manage) {
    dispatchManage(conn, data);
    return true;
  }
  if (first && isManageHello(data)) {
    conn.manage = true;
    return true;
  }
  if (typeof data?.origin === 'string' && data.origin.length <= 2048) activeOrigins.set(data.origin, Date.now());
  return false;
}

async function dispatchManage(conn, message) {
  let request;
  try {
    request = parseManageRequest(message);
  } catch (err) {
    if (err.id !== undefined) conn.port.postMessage(makeErrorReply(err.id, err));
    else log(`management: dropped a malformed message: ${err.message}`);
    return;
  }
  try {
    const hub = await ready;
    await hub.blobsChecked;  // the hub's own page sees every entry, adopted ones included
    const reply = await MANAGE_HANDLERS[request.type](hub, request);
    conn.port.postMessage(makeReply(request.id, reply));
  } catch (err) {
    conn.port.postMessage(makeErrorReply(request.id, err));
  }
}

/** Removes entries from the index (journaled), then their blobs: never an entry without its blob. */
async function removeEntries({ core, index, store }, hexes) {
  const removed = await index.mutate((raw) => hexes.filter((hex) => {
    const status = raw.remove(hex);
    if (status === core.Status.Ok) return true;
    if (status === core.Status.NotFound) return false;
    throw hexes.length === 1 ? makeError('InvalidStateError', 'The file is being read or written; try again.') : statusError(core, status);
  }));
  for (const hex of removed) await store.removeBlob(hex).catch((e) => log(`management: remove blob ${hex}: ${e}`));
  return removed;
}

function visibilityOf(entry) {
  if (entry.global) return '*';
  return entry.listed.length > 0 ? 'list' : 'same-site';
}

const MANAGE_HANDLERS = {
  async manageList({ index }) {
    await index.mutate(() => {});  // catch up with what another instance journaled
    const raw = index.raw;
    const all = raw.entries();
    all.sort((a, b) => b.lastAccessMs - a.lastAccessMs);
    const entries = all.slice(0, MAX_MANAGE_ENTRIES).map((e) => ({
      hash: e.hash, size: e.size, contentType: e.contentType, createdMs: e.createdMs, lastAccessMs: e.lastAccessMs,
      visibility: visibilityOf(e), listed: e.listed, storers: e.storers,
      readers: e.readers.map((r) => ({ origin: r.origin, lastAccessMs: r.lastAccessMs, count: r.count, bytes: r.bytes })),
      reads: e.reads, bytesServed: e.bytesServed, pinned: e.pinned,
    }));
    const sites = raw.sites();
    const sum = (key) => sites.reduce((s, x) => s + Number(x[key] || 0), 0);
    let estimate = {};
    try { estimate = await navigator.storage.estimate(); } catch { /* not available */ }
    const now = Date.now();
    const connected = [...activeOrigins].filter(([, at]) => now - at < ACTIVE_MS).map(([origin]) => origin).sort();
    return {
      entries,
      sites,
      connected,
      totals: {
        entries: Number(raw.size()), listed: entries.length, bytesStored: Number(raw.usedBytes()),
        bytesServed: sum('bytesServed'), savedDownloads: sum('savedDownloads'), hits: sum('hits'), misses: sum('misses'),
        quotaBytes: Number(raw.policy().quotaBytes ?? 0),
        storageUsage: Number(estimate.usage ?? 0), storageQuota: Number(estimate.quota ?? 0),
      },
    };
  },

  async manageDelete(hub, { hash }) {
    const hex = hashHex(hub.core, hash);
    const removed = await removeEntries(hub, [hex]);
    if (removed.length === 0) throw notFoundError();
    return { removed: 1 };
  },

  // Forget a site: every origin of it loses its storer status and usage records, and the
  // entries that no origin stores any more are deleted (what that site alone put here).
  async manageForget(hub, { site }) {
    const { core, index } = hub;
    const ofSite = (origin) => core.siteOf(origin) === site;
    await index.mutate(() => {});
    const origins = new Set();
    const touched = [];
    for (const e of index.raw.entries()) {
      const mine = e.storers.filter(ofSite);
      for (const o of [...mine, ...e.readers.map((r) => r.origin).filter(ofSite)]) origins.add(o);
      if (mine.length > 0) touched.push(e.hash);
    }
    await index.mutate((raw) => { for (const o of origins) raw.forgetOrigin(o); });
    for (const o of origins) activeOrigins.delete(o);
    const orphans = touched.filter((hex) => (index.raw.entry(hex)?.storers.length ?? 1) === 0);
    const removed = orphans.length > 0 ? await removeEntries(hub, orphans) : [];
    // Entries the site shared with others keep their blob: their sidecars lose the site too.
    for (const hex of touched) if (!orphans.includes(hex)) await saveMeta(index.raw, hub.store, hex);
    return { forgottenOrigins: origins.size, removed: removed.length };
  },

  async manageClear(hub) {
    await hub.index.mutate(() => {});
    const hexes = hub.index.raw.entries().filter((e) => !e.pinned).map((e) => e.hash);
    const removed = hexes.length > 0 ? await removeEntries(hub, hexes) : [];
    return { removed: removed.length };
  },
};

