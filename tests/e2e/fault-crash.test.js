// Issue 7, faults / crashes: kill the whole browser (SIGKILL to its process group) or crash
// the writing page's renderer (CDP Page.crash) at random points of a write, COS_CRASH_CYCLES
// times (default 100), on one persistent profile. Every committed entry survives with its
// bytes, an interrupted entry is never visible half-written, tmp/ is empty after each
// restart, and the journal replays (the entries are found again after every relaunch).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { RECOMMENDED_POLICY, hubWorkerConsole, inspectStore, openTestSite, startInspectedServer } from './lib/attacker.js';
import { createProfile, launchOnProfile, removeProfile } from './lib/persistent-browser.js';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const CYCLES = Number(process.env.COS_CRASH_CYCLES ?? 100);
const VERIFY_EVERY = 10;
let server;
let profile;

before(async () => {
  server = await startInspectedServer(RECOMMENDED_POLICY);
  profile = createProfile('cookies-allowed');
});

after(async () => {
  await server?.close();
  if (profile) removeProfile(profile);
});

// Diagnostics: Chromium's storage log lines of a launch, and the on-disk state of the
// profile's sandboxed file systems (where the hub's OPFS lives) before each launch.
const STORAGE_LOG = /SandboxDirectoryDatabase|SandboxOriginDatabase|ObfuscatedFileUtil|leveldb|Corrupt|[Rr]epair|Clearing|quota|bucket|file_system|storage/i;
const storageLines = (stderr) => stderr.split('\n').filter((l) => STORAGE_LOG.test(l) && !/dbus|CONSOLE|cos hub/.test(l));
const DIAG_DIR = process.env.COS_CRASH_DIAG;  // keep copies of the profile's storage folders here
function diskListing(profileDir) {
  try {
    return execFileSync('find', ['Default/File System', 'Default/WebStorage', '-printf', '%i %s %TT %p\\n'], { cwd: profileDir, encoding: 'utf8' });
  } catch (e) { return String(e.stdout ?? e); }
}
function snapshotProfile(profileDir, cycle) {
  if (!DIAG_DIR) return;
  const dest = path.join(DIAG_DIR, `launch-${String(cycle).padStart(3, '0')}`);
  fs.mkdirSync(dest, { recursive: true });
  for (const d of ['File System', 'WebStorage']) {
    if (fs.existsSync(path.join(profileDir, 'Default', d))) fs.cpSync(path.join(profileDir, 'Default', d), path.join(dest, d), { recursive: true });
  }
  fs.writeFileSync(path.join(dest, 'listing.txt'), diskListing(profileDir));
  // Keep the last 3 launches only.
  const all = fs.readdirSync(DIAG_DIR).filter((n) => n.startsWith('launch-')).sort();
  for (const old of all.slice(0, -3)) fs.rmSync(path.join(DIAG_DIR, old), { recursive: true, force: true });
}

// Chromium keeps the hub's OPFS (a first-party storage key: the only one in this profile) as
// `Default/File System/<n>/t/`, its directory database a LevelDB in `.../t/Paths/`.
function directoryDatabase(profileDir) {
  const root = path.join(profileDir, 'Default', 'File System');
  const dirs = fs.existsSync(root) ? fs.readdirSync(root).map((n) => path.join(root, n, 't', 'Paths')).filter((d) => fs.existsSync(d)) : [];
  assert.equal(dirs.length, 1, `one sandboxed file system directory database in the profile (found ${JSON.stringify(dirs)})`);
  return dirs[0];
}
// What the LevelDB recovery of the directory database dropped at the latest open ("(ignoring
// error) ...: dropping N bytes; Corruption: checksum mismatch").
const droppedAtOpen = (profileDir) => {
  try {
    return fs.readFileSync(path.join(directoryDatabase(profileDir), 'LOG'), 'utf8').split('\n').filter((l) => l.includes('dropping')).map((l) => l.slice(l.indexOf('dropping')));
  } catch { return []; }
};

// Seeded sizes: committed entries 1 KB–256 KB; interrupted writes 2–9 MB in 256 KB writes.
const committedSize = (i) => 1024 + ((i * 7919) % (256 * 1024));
const interruptedSize = (i) => (2 + (i % 8)) * 1024 * 1024;

// This test found the loss of every entry committed in one browser session (about one run
// in three): a record of Chromium's directory database torn by a kill (see the next test).
// The hub now pads that log before its first change of the store (OpfsStore.padded); `tornDirectoryLog` in the
// summary counts the opens at which Chromium dropped a torn block, with nothing lost.
test(`${CYCLES} crash cycles mid-write: committed entries survive, nothing half-written, tmp/ cleaned, journal replays`, {
  timeout: 600_000,
}, async () => {
  let launched = null;
  let site = null;
  const committed = [];    // {seed, size, hex}
  const interrupted = [];  // {seed, size, hex}
  const stats = { browserKills: 0, pageCrashes: 0, relaunches: 0, tmpAfterRestart: [], interruptedVisible: 0, tornDirectoryLog: 0 };
  const started = Date.now();
  let checkedUpTo = 0;
  const journalSizes = [];
  const hubLog = [];
  const chromiumLog = [];
  let lastLaunchStderr = '';
  // Committed entries whose blob is not on disk (seen before the hub worker of a launch starts).
  const missingOnDisk = (store) => { const names = new Set(store.blobs.map((b) => b.name)); return committed.filter((c) => !names.has(c.hex)).map((c) => c.seed - 100_000); };
  const killDiag = [];
  let lastKilled = null;
  const relaunch = async (cycle) => {
    if (lastKilled) {
      lastLaunchStderr = lastKilled.stderr();
      const k = lastKilled.killReport();
      if (k && (k.left.length || k.holders.length || k.ms > 1000)) killDiag.push(`cycle ${cycle}: kill ${JSON.stringify(k)}`);
    }
    snapshotProfile(profile, cycle);
    const l = await launchOnProfile(profile, { logging: true });
    if (l.holdersAtLaunch.length) killDiag.push(`cycle ${cycle}: at launch, profile files still open: ${JSON.stringify(l.holdersAtLaunch)}`);
    stats.relaunches++;
    return l;
  };
  // Relaunch and look at the store before anything starts the hub worker: what Chromium's
  // storage logged, whether its directory database dropped records, committed blobs missing.
  const relaunchAndLook = async (cycle) => {
    const l = await relaunch(cycle);
    const store = await inspectStore(l, server, { hashBlobs: false });
    const lines = storageLines(l.stderr());
    if (lines.length) chromiumLog.push(...lines.map((line) => `cycle ${cycle}: ${line}`));
    const dropped = droppedAtOpen(profile);
    if (dropped.length) { stats.tornDirectoryLog++; chromiumLog.push(`cycle ${cycle}: directory database recovery: ${dropped.join('; ')}`); }
    const missing = missingOnDisk(store);
    if (missing.length) {
      console.log(`# cycle ${cycle}: BEFORE the hub worker started, blobs of ${missing.length} committed entries are not on disk (cycles ${missing.join(',')}); ${store.blobs.length} blobs, journal ${store.journalBytes} B, root ${JSON.stringify(store.root)}`);
      console.log(`# cycle ${cycle}: Chromium storage log of this launch: ${JSON.stringify(lines)}; kills: ${JSON.stringify(killDiag.slice(-3))}`);
      console.log(`# cycle ${cycle}: on disk now:\n${diskListing(profile)}`);
      if (DIAG_DIR) { fs.writeFileSync(path.join(DIAG_DIR, `stderr-${cycle}.txt`), l.stderr()); fs.writeFileSync(path.join(DIAG_DIR, `stderr-before-${cycle}.txt`), lastLaunchStderr); }
    }
    return { launched: l, store };
  };
  try {
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      if (!launched) {
        const look = await relaunchAndLook(cycle);
        launched = look.launched;
        const cold = look.store;
        journalSizes.push(cold.journalBytes);
        if (cold.journalBytes < Math.max(...journalSizes.slice(0, -1), 0)) console.log(`# cycle ${cycle}: the journal on disk SHRANK to ${cold.journalBytes} B (was ${Math.max(...journalSizes.slice(0, -1))}); root ${JSON.stringify(cold.root)}, ${cold.blobs.length} blobs`);
        site = await openTestSite(launched, server, 'site-a.test');
        hubLog.push(...(await hubWorkerConsole(launched, { waitMs: 200 })).filter((l) => l.includes('[cos hub]')).map((l) => `cycle ${cycle}: ${l}`));
        assert.equal(site.status, 'shared', `cycle ${cycle}: the hub is up after the restart`);
        // The worker has started (and cleaned up) by now: tmp/ must be empty.
        if (cycle > 0) {
          const store = await inspectStore(launched, server, { hashBlobs: false });
          stats.tmpAfterRestart.push(store.tmp.length);
          assert.deepEqual(store.tmp, [], `cycle ${cycle}: tmp/ is cleaned at the next start`);
        }
      } else if (!site) {
        site = await openTestSite(launched, server, 'site-a.test');
      }
      // One committed entry per cycle.
      const seed = 100_000 + cycle;
      const c = await site.page.evaluate(async ({ seed, size }) => {
        const b = cosT.randomBytes(size, seed);
        const hex = await cosT.sha256(b);
        return { hex, ...(await cosT.write(hex, b)) };
      }, { seed, size: committedSize(cycle) });
      assert.equal(c.ok, true, `cycle ${cycle}: committed write ${JSON.stringify(c)}`);
      committed.push({ seed, size: committedSize(cycle), hex: c.hex });

      // An interrupted write: started, not awaited, killed after a random delay.
      const iseed = 500_000 + cycle;
      const isize = interruptedSize(cycle);
      const ihex = await site.page.evaluate(async ({ seed, size }) => {
        const b = cosT.randomBytes(size, seed);
        const hex = await cosT.sha256(b);
        window.interrupted = (async () => {
          const h = await navigator.crossOriginStorage.getFileHandle({ algorithm: 'SHA-256', value: hex }, { create: true });
          const w = await h.createWritable();
          for (let off = 0; off < b.length; off += 256 * 1024) await w.write(b.subarray(off, off + 256 * 1024));
          await w.close();
          window.interruptedClosed = true;
        })();
        return hex;
      }, { seed: iseed, size: isize });
      interrupted.push({ seed: iseed, size: isize, hex: ihex });
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 80)));
      if (cycle % 2 === 0) {
        await launched.kill();
        lastKilled = launched;
        stats.browserKills++;
        launched = null;
        site = null;
      } else {
        const cdp = await site.page.context().newCDPSession(site.page);
        cdp.send('Page.crash').catch(() => {});  // the renderer dies; the call never answers
        await new Promise((r) => setTimeout(r, 100));
        stats.pageCrashes++;
        await site.page.close().catch(() => {});
        site = null;
      }

      if ((cycle + 1) % VERIFY_EVERY === 0 || cycle === CYCLES - 1) {
        if (!launched) {
          const look = await relaunchAndLook(cycle);
          launched = look.launched;
          const { store } = look;
          // Nothing has started the hub worker yet on this launch, so tmp/ may hold leftovers;
          // opening a site starts it and it cleans.
          site = await openTestSite(launched, server, 'site-a.test');
          const cleaned = await inspectStore(launched, server, { hashBlobs: false });
          stats.tmpAfterRestart.push(cleaned.tmp.length);
          assert.deepEqual(cleaned.tmp, [], `cycle ${cycle}: tmp/ cleaned at start (had ${store.tmp.length})`);
        }
        if (!site) site = await openTestSite(launched, server, 'site-a.test');
        // Committed entries (small) are all re-read each time; interrupted ones are looked
        // up each time and their bytes read when new since the last check.
        const fresh = interrupted.slice(checkedUpTo);
        const check = await site.page.evaluate(async ({ committed, interrupted, fresh }) => {
          const bad = [];
          for (const c of committed) {
            const r = await cosT.read(c.hex);
            if (!r.ok || r.hex !== c.hex || r.size !== c.size) bad.push({ ...c, got: r });
          }
          let visible = 0;
          const halfVisible = [];
          for (const w of interrupted) {
            const r = await cosT.read(w.hex, { bytes: fresh.includes(w.hex) });
            if (r.ok) {
              visible++;
              if (r.hex !== undefined && (r.hex !== w.hex || r.size !== w.size)) halfVisible.push({ ...w, got: r });
            } else if (r.name !== 'NotFoundError') halfVisible.push({ ...w, got: r });
          }
          return { bad, visible, halfVisible };
        }, { committed, interrupted, fresh: fresh.map((w) => w.hex) });
        checkedUpTo = interrupted.length;
        assert.deepEqual(check.bad.map((b) => b.seed - 100_000), [], `cycle ${cycle}: every committed entry survives with its bytes (lost: entries of these cycles)`);
        assert.deepEqual(check.halfVisible, [], `cycle ${cycle}: no interrupted entry is visible with wrong bytes`);
        stats.interruptedVisible = check.visible;
        // Disk view: every blob's bytes hash to its name.
        const store = await inspectStore(launched, server, { hashBlobs: [...committed.map((c) => c.hex), ...fresh.map((w) => w.hex)] });
        const poisoned = store.blobs.filter((b) => b.hex !== null && b.hex !== b.name);
        const known = new Set([...committed, ...interrupted].map((e) => e.hex));
        assert.deepEqual(store.blobs.filter((b) => !known.has(b.name)), [], `cycle ${cycle}: no unknown blob on disk`);
        assert.deepEqual(poisoned, [], `cycle ${cycle}: every blob on disk is whole`);
        console.log(`# cycle ${cycle + 1}/${CYCLES}: ${committed.length} committed entries intact, ${check.visible}/${interrupted.length} interrupted writes had finished before the kill, ${store.blobs.length} blobs, journal ${store.journalBytes} B, ${((Date.now() - started) / 1000).toFixed(0)} s`);
      }
    }
  } finally {
    await launched?.close();
    console.log(`# hub worker log at restarts: ${JSON.stringify(hubLog.slice(-20))}`);
    console.log(`# Chromium storage log lines: ${JSON.stringify(chromiumLog.slice(-30))}`);
    console.log(`# kills: ${killDiag.length} slow or incomplete: ${JSON.stringify(killDiag.slice(-10))}`);
  }
  assert.deepEqual(hubLog.filter((l) => l.includes('STORE WENT BACK')), [], 'the journal never went back');
  console.log(`# ${JSON.stringify({ ...stats, tmpAfterRestart: `${stats.tmpAfterRestart.length} checks, max ${Math.max(0, ...stats.tmpAfterRestart)}` })}; ${((Date.now() - started) / 1000).toFixed(0)} s`);
  assert.equal(stats.browserKills + stats.pageCrashes, CYCLES);
});

// The root cause of the losses the test above used to find (about one run in three): a browser
// kill between LevelDB's two write() calls of one record (header, then payload) leaves a
// header with no payload at the end of Chromium's directory database log. The next session
// appends after it (LevelDB reuses the log), and the open after that drops the rest of that
// 32 KiB log block as a checksum mismatch, silently: every file that session created, moved
// or removed reverts. Here the torn header is written by hand (the same 7 bytes a kill
// leaves), so the case is met every run instead of once in ~150 kills.
test('a record torn in Chromium\'s directory database by a kill does not take the next session\'s entries with it', { timeout: 120_000 }, async () => {
  const dir = createProfile('cookies-allowed');
  let launched = null;
  try {
    const write = (site, i) => site.page.evaluate(async (i) => {
      const b = cosT.randomBytes(3000 + i, 700 + i);
      const hex = await cosT.sha256(b);
      return { hex, ...(await cosT.write(hex, b)) };
    }, i);
    const readAll = (site, entries) => site.page.evaluate(async (hexes) => {
      const out = [];
      for (const hex of hexes) out.push((await cosT.read(hex)).ok);
      return out;
    }, entries.map((e) => e.hex));

    launched = await launchOnProfile(dir);
    let site = await openTestSite(launched, server, 'site-a.test');
    assert.equal(site.status, 'shared');
    const before = [];
    for (let i = 0; i < 3; i++) before.push(await write(site, i));
    assert.deepEqual(before.map((e) => e.ok), [true, true, true]);
    await launched.kill();
    launched = null;

    const paths = directoryDatabase(dir);
    const logs = fs.readdirSync(paths).filter((n) => /^\d+\.log$/.test(n));
    assert.equal(logs.length, 1, `one directory database log (${logs})`);
    // crc (any), length 180, type 1 (FULL); the payload never written.
    fs.appendFileSync(path.join(paths, logs[0]), Buffer.from([0x12, 0x34, 0x56, 0x78, 180, 0, 1]));

    launched = await launchOnProfile(dir);
    site = await openTestSite(launched, server, 'site-a.test');
    const next = [];
    for (let i = 3; i < 6; i++) next.push(await write(site, i));
    assert.deepEqual(next.map((e) => e.ok), [true, true, true]);
    assert.deepEqual(await readAll(site, [...before, ...next]), [true, true, true, true, true, true]);
    await launched.close();  // even a clean shutdown: the loss happens when the log is read again
    launched = null;

    launched = await launchOnProfile(dir);
    const store = await inspectStore(launched, server, { hashBlobs: false });  // opens the database
    const dropped = droppedAtOpen(dir);
    console.log(`# directory database recovery after the torn record: ${JSON.stringify(dropped)}`);
    // The case was met: Chromium dropped part of its log at this open.
    assert.ok(dropped.some((l) => l.includes('checksum mismatch')), 'Chromium dropped the torn block at the open');
    const onDisk = new Set(store.blobs.map((b) => b.name));
    assert.deepEqual([...before, ...next].filter((e) => !onDisk.has(e.hex)).map((e) => before.includes(e) ? `before ${before.indexOf(e)}` : `after ${next.indexOf(e)}`), [],
      'the blobs of both sessions are in the store before the hub starts');
    assert.notEqual(store.journalBytes, null, 'the journal is there');
    site = await openTestSite(launched, server, 'site-a.test');
    assert.deepEqual(await readAll(site, [...before, ...next]), [true, true, true, true, true, true], 'every committed entry is read after the restart');
  } finally {
    await launched?.close();
    removeProfile(dir);
  }
});

// What the hub cannot prevent it reports: it marks the last journal record it appended outside
// OPFS (IndexedDB), and a journal that replays to an earlier record is logged as a loss.
test('a journal that went back in time (what Chromium reverted) is reported at start', { timeout: 120_000 }, async () => {
  const dir = createProfile('cookies-allowed');
  let launched = null;
  try {
    launched = await launchOnProfile(dir);
    let site = await openTestSite(launched, server, 'site-a.test');
    const entries = [];
    for (let i = 0; i < 3; i++) {
      entries.push(await site.page.evaluate(async (i) => {
        const b = cosT.randomBytes(2000 + i, 900 + i);
        const hex = await cosT.sha256(b);
        return { hex, ...(await cosT.write(hex, b)) };
      }, i));
    }
    assert.deepEqual(entries.map((e) => e.ok), [true, true, true]);
    await new Promise((r) => setTimeout(r, 500));  // the mark is written after the append, unawaited
    await launched.close();
    launched = await launchOnProfile(dir);
    // Before the hub starts: the journal disappears, as when Chromium reverts its swaps.
    const page = await launched.newPage(server.url('hub.test', '/inspect.html'));
    await page.evaluate(async () => (await navigator.storage.getDirectory()).removeEntry('journal'));
    await page.close();
    site = await openTestSite(launched, server, 'site-a.test');
    assert.equal(site.status, 'shared');
    const log = (await hubWorkerConsole(launched)).filter((l) => l.includes('[cos hub]'));
    console.log(`# hub log: ${JSON.stringify(log)}`);
    assert.ok(log.some((l) => /STORE WENT BACK: the journal replays to record 0 but record [1-9]\d* was appended/.test(l)), 'the loss is reported');
    // The blobs and sidecars survived here, so the rebuild restores the entries.
    const reads = await site.page.evaluate(async (hexes) => Promise.all(hexes.map(async (h) => (await cosT.read(h)).ok)), entries.map((e) => e.hex));
    assert.deepEqual(reads, [true, true, true]);
  } finally {
    await launched?.close();
    removeProfile(dir);
  }
});
