// Issue 8, first call: the hub's check of blobs/ (blobs the journal does not know: adopted
// again from their sidecars, or removed) lists every blob, ~300 ms for 10k blobs. From a
// journal that replays whole the hub answers at once and a miss waits only until the
// journal mark says the journal did not go back in time; when it did, the check runs and
// misses wait for it. This test brings the journal back to an earlier record (as a revert
// by Chromium would), makes the check long (stray blobs to remove), and asks first thing
// for the entry only the check can bring back: it must be found, and only by the sites
// allowed. (A missing or torn journal is checked before the hub answers anything:
// fault-crash.test.js.)
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { RECOMMENDED_POLICY, hubWorkerConsole, inspectStore, openTestSite, startInspectedServer } from './lib/attacker.js';
import { createProfile, launchOnProfile, removeProfile } from './lib/persistent-browser.js';

const STRAYS = 400;  // blobs without entry or sidecar: each is removed by the check
let server;

before(async () => {
  server = await startInspectedServer(RECOMMENDED_POLICY);
});

after(async () => {
  await server?.close();
});

/** The hub's journal bytes (base64), or writes them back. */
async function journal(launched, bytes = null) {
  const page = await launched.newPage(server.url('hub.test', '/inspect.html'));
  try {
    return await page.evaluate(async (b64) => {
      const root = await navigator.storage.getDirectory();
      if (b64 === null) {
        const buf = new Uint8Array(await (await (await root.getFileHandle('journal')).getFile()).arrayBuffer());
        return btoa(String.fromCharCode(...buf));
      }
      const w = await (await root.getFileHandle('journal')).createWritable();
      await w.write(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
      await w.close();
      return null;
    }, bytes);
  } finally {
    await page.close();
  }
}

test('a journal that went back: the first reads wait for the blobs/ check and find what it restores', { timeout: 180_000 }, async () => {
  const dir = createProfile('cookies-allowed');
  let launched = null;
  try {
    launched = await launchOnProfile(dir);
    const a = await openTestSite(launched, server, 'site-a.test');
    const write = (i) => a.page.evaluate(async (i) => {
      const b = cosT.randomBytes(3000 + i, 4242 + i);
      const hex = await cosT.sha256(b);
      return { hex, ...(await cosT.write(hex, b)) };  // no origins: same-site, not site B
    }, i);
    const kept = await write(0);
    assert.equal(kept.ok, true);
    const older = await journal(launched);
    const lost = await write(1);
    assert.equal(lost.ok, true);
    await new Promise((r) => setTimeout(r, 500));  // the journal mark is written after the append, unawaited
    await launched.close();

    // Before the next start: the journal as it was after the first write, and stray blobs.
    launched = await launchOnProfile(dir);
    await journal(launched, older);
    const hub = await launched.newPage(server.url('hub.test', '/inspect.html'));
    await hub.evaluate(async (strays) => {
      const blobs = await (await (await navigator.storage.getDirectory()).getDirectoryHandle('blobs')).getDirectoryHandle('sha256');
      const name = (i) => [...crypto.getRandomValues(new Uint8Array(28))].map((x) => x.toString(16).padStart(2, '0')).join('') + String(i).padStart(8, '0');
      for (let i = 0; i < strays; i += 100) await Promise.all(Array.from({ length: 100 }, (_, j) => blobs.getFileHandle(name(i + j), { create: true })));
    }, STRAYS);
    await hub.close();

    // The hub starts with this page; its first request is for the entry the journal lost.
    const a2 = await openTestSite(launched, server, 'site-a.test');
    assert.equal(a2.status, 'shared');
    const reads = await a2.page.evaluate(async (hexes) => {
      const out = [];
      for (const h of hexes) out.push(await cosT.read(h));
      return out;
    }, [lost.hex, kept.hex]);
    assert.deepEqual(reads.map((r) => r.ok), [true, true], `site A finds both: ${JSON.stringify(reads)}`);
    assert.deepEqual(reads.map((r) => r.hex), [lost.hex, kept.hex], 'with their bytes');

    // Site B did not store them and they were stored same-site: not found by it.
    const b = await openTestSite(launched, server, 'site-b.test');
    const readsB = await b.page.evaluate(async (hexes) => Promise.all(hexes.map((h) => cosT.read(h))), [lost.hex, kept.hex]);
    assert.deepEqual(readsB.map((r) => r.name), ['NotFoundError', 'NotFoundError']);

    const log = (await hubWorkerConsole(launched)).filter((l) => l.includes('[cos hub]'));
    assert.ok(log.some((l) => /STORE WENT BACK/.test(l)), `the loss is reported: ${JSON.stringify(log)}`);
    assert.ok(log.some((l) => new RegExp(`blobs the journal did not know: 1 rebuilt from their sidecars, ${STRAYS} removed`).test(l)),
      `the check ran and reported: ${JSON.stringify(log)}`);
    const store = await inspectStore(launched, server, { hashBlobs: false });
    assert.deepEqual(store.blobs.map((x) => x.name).sort(), [kept.hex, lost.hex].sort(), 'the strays are gone, the two blobs stay');
  } finally {
    await launched?.close();
    removeProfile(dir);
  }
});
