// Storage facts the hub design rests on, measured in the real system Chromium with storage
// partitioning ON (see docs/testing.md). Fixture pages only (tests/e2e/fixtures/): the hub
// iframe is driven exclusively through its parent page's postMessage, never frame.evaluate().

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { collectConsole, getMetrics, launchBrowser, processMemory } from './lib/browser.js';
import { startServer } from './lib/server.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const FIXTURES = path.join(here, 'fixtures');
const SITE_HOSTS = ['site-a.test', '*.site-a.test', 'site-b.test', '*.site-b.test', 'evil.test', '*.evil.test'];
const MiB = 1 << 20;
const BIG = 64 * MiB;

let server;

before(async () => {
  server = await startServer();
  server.serveStatic('hub.test', path.join(FIXTURES, 'hub'));
  for (const h of SITE_HOSTS) server.serveStatic(h, path.join(FIXTURES, 'site'));
});

after(async () => {
  await server?.close();
});

const token = () => randomBytes(8).toString('hex');

/** Open https://<site>/parent.html embedding the fixture hub frame; returns page helpers. */
async function openSite(browser, site) {
  const hub = server.url('hub.test', '/frame.html');
  const page = await browser.newPage(server.url(site, `/parent.html?hub=${encodeURIComponent(hub)}`));
  const consoleLog = collectConsole(page);
  return {
    page,
    consoleLog,
    origin: server.origin(site),
    call: (cmd, args) => page.evaluate(([c, a]) => window.hubCall(c, a), [cmd, args]),
    try: (cmd, args) => page.evaluate(([c, a]) => window.hubTry(c, a), [cmd, args]),
    fetchFile: (name, opts) => page.evaluate(([n, o]) => window.hubFetchFile(n, o), [name, opts]),
    keepFile: (key, name, opts) => page.evaluate(([k, n, o]) => window.hubKeepFile(k, n, o), [key, name, opts]),
    readKept: (key) => page.evaluate((k) => window.readKeptFile(k), key),
  };
}

async function withBrowser(t, mode, fn, options = {}) {
  const browser = await launchBrowser({ mode, ...options });
  t.diagnostic(`chromium pid ${browser.pid}, profile mode '${mode}'`);
  try {
    return await fn(browser);
  } catch (err) {
    t.diagnostic(`chromium stderr tail:\n${browser.stderrTail().slice(-3000)}`);
    throw err;
  } finally {
    await browser.close();
  }
}

test('control: default profile partitions the hub iframe by top-level site', { timeout: 60000 }, async (t) => {
  await withBrowser(t, 'default', async (browser) => {
    const value = token();
    const a = await openSite(browser, 'site-a.test');
    const info = await a.call('info');
    assert.equal(info.origin, server.origin('hub.test'));
    assert.deepEqual(info.ancestorOrigins, [a.origin]);

    await a.call('opfs-write', { name: 'probe.txt', text: value });
    assert.deepEqual(await a.call('opfs-read', { name: 'probe.txt' }), { found: true, text: value });
    await a.call('ls-write', { key: 'probe', value });
    const swA = await a.call('sw', { op: 'hello' });

    // Same site (x.site-a.test is same-site with site-a.test): one partition.
    const x = await openSite(browser, 'x.site-a.test');
    assert.deepEqual(await x.call('opfs-read', { name: 'probe.txt' }), { found: true, text: value },
      'same-site top-level pages must share the hub iframe\'s OPFS');
    assert.equal(await x.call('ls-read', { key: 'probe' }), value);
    const swX = await x.call('sw', { op: 'hello' });
    assert.equal(swX.instanceId, swA.instanceId, 'same-site pages reach one SharedWorker');

    // Cross site: a different partition for every storage kind probed.
    const b = await openSite(browser, 'site-b.test');
    assert.deepEqual(await b.call('opfs-read', { name: 'probe.txt' }), { found: false },
      'site B must NOT see what the hub iframe wrote under site A (partitioning is off?)');
    assert.equal(await b.call('ls-read', { key: 'probe' }), null);
    const swB = await b.call('sw', { op: 'hello' });
    assert.notEqual(swB.instanceId, swA.instanceId, 'cross-site pages get separate SharedWorkers');
    t.diagnostic(`partitioned: OPFS, localStorage, SharedWorker (A=${swA.instanceId}, x.A=${swX.instanceId}, B=${swB.instanceId})`);
  });
});

test('default profile: requestStorageAccess({all: true}) without a gesture rejects', { timeout: 60000 }, async (t) => {
  await withBrowser(t, 'default', async (browser) => {
    const a = await openSite(browser, 'site-a.test');
    const info = await a.call('info');
    t.diagnostic(`before: hasStorageAccess=${info.hasStorageAccess} permission=${info.permission} activation=${JSON.stringify(info.activation)}`);
    assert.equal(info.hasStorageAccess, false);
    assert.equal(info.activation.isActive, false, 'the hub frame must have no user activation');
    assert.equal(info.activation.hasBeenActive, false);

    const cookie = await a.call('cookie', { token: token() });
    t.diagnostic(`third-party SameSite=None cookie readable in hub iframe: ${cookie.readBack}`);
    assert.equal(cookie.readBack, false, 'third-party cookies are expected blocked by default');

    const all = await a.try('rsa', { types: { all: true } });
    t.diagnostic(`requestStorageAccess({all: true}) -> ${JSON.stringify(all)}`);
    assert.equal(all.ok, false);
    assert.equal(all.error.name, 'NotAllowedError');

    const plain = await a.try('rsa', { types: null });
    t.diagnostic(`requestStorageAccess() -> ${JSON.stringify(plain)}`);
    assert.equal(plain.ok, false);
    assert.equal(plain.error.name, 'NotAllowedError');

    const empty = await a.try('rsa', { types: {} });
    t.diagnostic(`requestStorageAccess({}) -> ${JSON.stringify(empty)}`);

    const after = await a.call('info');
    assert.equal(after.hasStorageAccess, false);
    assert.equal(after.activation.hasBeenActive, false);
  });
});

test('seeded-grant: a grant covers only its own (hub, site) pair', { timeout: 60000 }, async (t) => {
  // Control for the seeded profile: only site A is granted. Site B, with third-party cookies
  // still blocked, must be refused: the Preferences entry, nothing else, is what grants.
  await withBrowser(t, 'seeded-grant', async (browser) => {
    const a = await openSite(browser, 'site-a.test');
    const b = await openSite(browser, 'site-b.test');
    const ra = await a.try('rsa', { types: { all: true } });
    const rb = await b.try('rsa', { types: { all: true } });
    t.diagnostic(`granted site A -> ${ra.ok ? 'resolved' : JSON.stringify(ra.error)}; ungranted site B -> ${rb.ok ? 'resolved' : JSON.stringify(rb.error)}`);
    assert.equal(ra.ok, true);
    assert.equal(rb.ok, false);
    assert.equal(rb.error.name, 'NotAllowedError');
    assert.equal((await b.call('cookie', { token: token() })).readBack, false);
  }, { embeddingSites: ['site-a.test'] });
});

for (const mode of ['cookies-allowed', 'seeded-grant']) {
  test(`${mode}: storage access resolves without a gesture and both sites share one hub store`, { timeout: 90000 }, async (t) => {
    await withBrowser(t, mode, async (browser) => {
      const since = server.mark();
      const a = await openSite(browser, 'site-a.test');
      const b = await openSite(browser, 'site-b.test');

      for (const [label, s] of [['A', a], ['B', b]]) {
        const r = await s.call('rsa', { types: { all: true } });
        t.diagnostic(`site ${label}: rsa resolved; activation before=${JSON.stringify(r.activationBefore)} hadAccess=${r.hadAccess} now=${r.hasStorageAccess}`);
        assert.equal(r.activationBefore.isActive, false, 'resolved without a user gesture in the hub frame');
        assert.equal(r.activationBefore.hasBeenActive, false);
        assert.ok(r.handleKeys.includes('getDirectory') && r.handleKeys.includes('SharedWorker'), r.handleKeys.join());
        if (label === 'A') {
          t.diagnostic(`handle members: ${r.handleKeys.join(', ')}`);
          t.diagnostic(`new handle.SharedWorker(url): ${JSON.stringify(r.newSharedWorker)}`);
        }
      }

      // OPFS through handle.getDirectory(): one store for both sites.
      const v1 = token();
      await a.call('opfs-write', { via: 'handle', name: 'shared.txt', text: v1 });
      assert.deepEqual(await b.call('opfs-read', { via: 'handle', name: 'shared.txt' }), { found: true, text: v1 },
        'site B\'s hub must read what site A\'s hub wrote through the handle');
      // ...while the frame's own navigator.storage stays partitioned.
      assert.deepEqual(await b.call('opfs-read', { via: 'own', name: 'shared.txt' }), { found: false });

      // handle.localStorage is shared too.
      const v2 = token();
      await a.call('ls-write', { via: 'handle', key: 'k', value: v2 });
      assert.equal(await b.call('ls-read', { via: 'handle', key: 'k' }), v2);

      // handle.SharedWorker(url): one instance for both sites, with first-party OPFS that
      // is the same store as handle.getDirectory().
      const swA = await a.call('sw', { via: 'handle', op: 'hello' });
      const swB = await b.call('sw', { via: 'handle', op: 'hello' });
      t.diagnostic(`handle.SharedWorker: A=${swA.instanceId} B=${swB.instanceId} connections=${swB.connections} createSyncAccessHandle=${swB.hasCreateSyncAccessHandle} Worker=${swB.hasWorker}`);
      assert.equal(swB.instanceId, swA.instanceId, 'one hub SharedWorker for all embedding sites');
      assert.deepEqual(await b.call('sw', { via: 'handle', op: 'read', args: { name: 'shared.txt' } }), { found: true, text: v1 });
      const v3 = token();
      await a.call('sw', { via: 'handle', op: 'write', args: { name: 'from-worker.txt', text: v3 } });
      assert.deepEqual(await b.call('opfs-read', { via: 'handle', name: 'from-worker.txt' }), { found: true, text: v3 });
      // A SharedWorker started the ordinary way in the same frame is a different (partitioned) one.
      const swOwn = await b.call('sw', { via: 'own', op: 'hello' });
      assert.notEqual(swOwn.instanceId, swA.instanceId);

      // Dedicated worker + sync access handle on a file handle from handle.getDirectory().
      // A marker in the frame's own (partitioned) OPFS shows which store the worker's own
      // navigator.storage is.
      await a.call('opfs-write', { via: 'own', name: 'own-marker.txt', text: 'x' });
      const speeds = [];
      for (let i = 0; i < 3; i++) {
        const w = await a.call('sync-write', { name: 'big.bin', bytes: BIG });
        assert.equal(w.size, BIG);
        assert.equal(w.sizeSeenByFrame, BIG);
        assert.deepEqual(w.ownRoot, ['own-marker.txt'], 'the dedicated worker\'s own OPFS is the frame\'s partition, not the handle\'s');
        speeds.push(`${(BIG / MiB / (w.totalMs / 1000)).toFixed(0)} MiB/s (${w.totalMs.toFixed(0)} ms, open ${w.openMs.toFixed(1)} ms)`);
      }
      t.diagnostic(`sync access handle, 64 MiB in 1 MiB writes + flush, 3 runs: ${speeds.join('; ')}`);

      // An OPFS File posted worker -> frame -> page, read in both sites' pages.
      for (const [label, s] of [['A', a], ['B', b]]) {
        const f = await s.fetchFile('big.bin', { via: 'handle' });
        assert.ok(f.ok, JSON.stringify(f));
        assert.equal(f.isFile, true);
        assert.equal(f.name, 'big.bin');
        assert.equal(f.size, BIG);
        assert.equal(f.readLength, BIG);
        assert.equal(f.mismatches, 0);
        t.diagnostic(`site ${label}: 64 MiB File arrived in ${f.arriveMs.toFixed(1)} ms, arrayBuffer() ${f.readMs.toFixed(1)} ms`);
      }

      // The server saw each site load the hub frame as an iframe, and no site fetched the file.
      const frames = server.requestsFor({ host: 'hub.test', path: '/frame.html', since });
      assert.deepEqual(frames.map((r) => r.headers['sec-fetch-dest']), ['iframe', 'iframe']);
      assert.deepEqual(frames.map((r) => new URL(r.headers.referer).host).sort(), [a.origin, b.origin].map((o) => new URL(o).host));
      assert.equal(server.requestsFor({ path: '/big.bin', since }).length, 0);

      const mem = processMemory(browser);
      const metrics = await getMetrics(a.page);
      t.diagnostic(`memory: ${mem.processes.length} browser processes, PSS ${(mem.totalPssBytes / MiB).toFixed(0)} MiB (RSS sum ${(mem.totalRssBytes / MiB).toFixed(0)} MiB); site A page JS heap ${(metrics.JSHeapUsedSize / MiB).toFixed(1)} MiB`);
      for (const s of [a, b]) assert.deepEqual(s.consoleLog.errors, []);
    });
  });
}

/** Open site A and site B embedding the hub and get storage access in both (no gesture). */
async function openGranted(browser) {
  const a = await openSite(browser, 'site-a.test');
  const b = await openSite(browser, 'site-b.test');
  await a.call('rsa', { types: { all: true } });
  await b.call('rsa', { types: { all: true } });
  return { a, b };
}

for (const mode of ['cookies-allowed', 'seeded-grant']) {
  test(`${mode}: OPFS file locks and handle.locks hold across sites`, { timeout: 60000 }, async (t) => {
    await withBrowser(t, mode, async (browser) => {
      const { a, b } = await openGranted(browser);

      // A sync access handle held under site A locks the file for site B's hub.
      await a.call('sync-hold', { name: 'locked.bin' });
      const whileHeld = await b.call('write-probe', { name: 'locked.bin' });
      t.diagnostic(`site B writing a file site A holds open: ${JSON.stringify(whileHeld)}`);
      assert.deepEqual(whileHeld, { createWritable: 'NoModificationAllowedError', createSyncAccessHandle: 'NoModificationAllowedError' });
      await a.call('sync-release', { name: 'locked.bin' });
      assert.deepEqual(await b.call('write-probe', { name: 'locked.bin' }), { createWritable: 'ok', createSyncAccessHandle: 'ok' });

      // handle.locks is one lock manager for every embedding site; navigator.locks is not.
      await a.call('lock-hold', { via: 'handle', name: 'writer' });
      assert.equal(await b.call('lock-try', { via: 'handle', name: 'writer' }), false, 'site B must see site A\'s handle lock');
      assert.equal(await b.call('lock-try', { via: 'own', name: 'writer' }), true, 'the frame\'s own navigator.locks is partitioned');
      await a.call('lock-release', { via: 'handle', name: 'writer' });
      assert.equal(await b.call('lock-try', { via: 'handle', name: 'writer' }), true);
    });
  });

  test(`${mode}: the top-level hub page shares the handle's worker and OPFS`, { timeout: 60000 }, async (t) => {
    await withBrowser(t, mode, async (browser) => {
      const { a } = await openGranted(browser);
      const value = token();
      await a.call('opfs-write', { via: 'handle', name: 'from-site-a.txt', text: value });
      const swA = await a.call('sw', { via: 'handle', op: 'hello' });

      const top = await browser.newPage(server.url('hub.test', '/top.html'));
      assert.deepEqual(await top.evaluate((n) => window.topRead(n), 'from-site-a.txt'), { found: true, text: value },
        'the hub\'s first-party OPFS is the handle\'s');
      const plain = await top.evaluate(() => window.topHello());
      const none = await top.evaluate(() => window.topHello({ sameSiteCookies: 'none' }));
      t.diagnostic(`top-level hub SharedWorker: plain=${plain.instanceId} sameSiteCookies:none=${none.instanceId} handle (site A)=${swA.instanceId}`);
      assert.notEqual(plain.instanceId, swA.instanceId, 'a plain top-level SharedWorker is a different instance');
      assert.equal(none.instanceId, swA.instanceId, 'sameSiteCookies: \'none\' reaches the handle\'s worker');
    });
  });
}

test('cookies-allowed: a posted File goes stale when its OPFS file is overwritten or deleted', { timeout: 60000 }, async (t) => {
  await withBrowser(t, 'cookies-allowed', async (browser) => {
    const { a, b } = await openGranted(browser);
    await a.call('sync-write', { name: 'f.bin', bytes: MiB });
    assert.equal((await b.keepFile('before-overwrite', 'f.bin')).size, MiB);
    assert.equal((await b.keepFile('untouched', 'f.bin')).size, MiB);
    assert.deepEqual(await b.readKept('untouched'), { ok: true, size: MiB, readLength: MiB });

    await a.call('sync-write', { name: 'f.bin', bytes: MiB }); // same size, new bytes on disk
    const overwritten = await b.readKept('before-overwrite');
    t.diagnostic(`File taken before an overwrite, read after: ${JSON.stringify(overwritten)}`);
    assert.equal(overwritten.ok, false);
    assert.equal(overwritten.error.name, 'NotReadableError');

    assert.equal((await b.keepFile('before-delete', 'f.bin')).size, MiB);
    await a.call('opfs-remove', { via: 'handle', name: 'f.bin' });
    const deleted = await b.readKept('before-delete');
    t.diagnostic(`File taken before a delete, read after: ${JSON.stringify(deleted)}`);
    assert.equal(deleted.ok, false);
    // Measured: NotFoundError (ARCHITECTURE.md said NotReadableError for both cases).
    assert.equal(deleted.error.name, 'NotFoundError');
  });
});
