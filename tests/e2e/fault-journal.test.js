// Issue 7, faults / journal: between two runs of the browser, the hub's journal is truncated
// mid-record, has a byte flipped, gets garbage appended, has its header broken, or is
// deleted (through a top-level hub.test page while no hub worker runs). At the next start
// the hub comes up, keeps every entry whose records precede the damage with its bytes,
// never shows a dropped entry, leaves no blob it does not know, and says what it dropped.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { RECOMMENDED_POLICY, hubWorkerConsole, inspectStore, openTestSite, startInspectedServer } from './lib/attacker.js';
import { createProfile, launchOnProfile, removeProfile } from './lib/persistent-browser.js';

const ENTRIES = 12;
let server;

before(async () => {
  server = await startInspectedServer(RECOMMENDED_POLICY);
});

after(async () => {
  await server?.close();
});

// Runs in the top-level hub.test page: read, damage, write back the journal.
async function damageJournal(launched, how, at) {
  const page = await launched.newPage(server.url('hub.test', '/inspect.html'));
  try {
    return await page.evaluate(async ({ how, at }) => {
      const root = await navigator.storage.getDirectory();
      const handle = await root.getFileHandle('journal');
      const bytes = new Uint8Array(await (await handle.getFile()).arrayBuffer());
      let out = bytes;
      if (how === 'truncate') out = bytes.slice(0, at);
      if (how === 'flip') { out = bytes.slice(); out[at] ^= 0x5a; }
      if (how === 'append') { out = new Uint8Array(bytes.length + 300); out.set(bytes); crypto.getRandomValues(out.subarray(bytes.length)); }
      if (how === 'header') { out = bytes.slice(); out[0] ^= 0xff; }
      if (how === 'delete') { await root.removeEntry('journal'); return { before: bytes.length, after: 0 }; }
      const w = await handle.createWritable({ keepExistingData: false });
      await w.write(out);
      await w.close();
      return { before: bytes.length, after: out.length };
    }, { how, at });
  } finally {
    await page.close();
  }
}

/**
 * One scenario on a fresh persistent profile: store ENTRIES entries (noting the journal's
 * size after each), stop the browser, damage the journal, start again, and look.
 * `damage(ends)` returns {how, at, lastKept}: lastKept = index of the last entry that must survive.
 */
async function scenario(name, damage) {
  const profile = createProfile('cookies-allowed');
  let launched;
  try {
    launched = await launchOnProfile(profile);
    const site = await openTestSite(launched, server, 'site-a.test');
    const entries = [];
    const ends = [];
    for (let i = 0; i < ENTRIES; i++) {
      const e = await site.page.evaluate(async ({ seed, size }) => {
        const b = cosT.randomBytes(size, seed);
        const hex = await cosT.sha256(b);
        return { hex, size, ...(await cosT.write(hex, b, seed % 2 ? '*' : undefined)) };
      }, { seed: 300 + i, size: 1000 + i * 5000 });
      assert.equal(e.ok, true);
      entries.push(e);
      ends.push((await inspectStore(launched, server, { hashBlobs: false })).journalBytes);
    }
    await launched.close();

    launched = await launchOnProfile(profile);
    const plan = damage(ends);
    const damaged = await damageJournal(launched, plan.how, plan.at);
    await launched.close();

    launched = await launchOnProfile(profile);
    const again = await openTestSite(launched, server, 'site-a.test');
    assert.equal(again.status, 'shared', `${name}: the hub starts`);
    const reads = await again.page.evaluate(async (list) => {
      const out = [];
      for (const e of list) out.push(await cosT.read(e.hex));
      return out;
    }, entries);
    const kept = [];
    reads.forEach((r, i) => {
      if (i <= plan.lastKept) assert.equal(r.hex, entries[i].hex, `${name}: entry ${i} (before the damage) survives with its bytes`);
      if (r.ok) { assert.equal(r.hex, entries[i].hex, `${name}: entry ${i} has its bytes`); kept.push(i); }
      else assert.equal(r.name, 'NotFoundError', `${name}: a dropped entry ${i} is a plain miss`);
    });
    // The hub still takes writes, and they survive another restart.
    const fresh = await again.page.evaluate(async () => { const b = cosT.randomBytes(4321, 999); const hex = await cosT.sha256(b); return { hex, ...(await cosT.write(hex, b)) }; });
    assert.equal(fresh.ok, true, `${name}: a new write after the repair`);
    const store = await inspectStore(launched, server);
    const log = (await hubWorkerConsole(launched)).filter((l) => l.includes('[cos hub]'));
    await launched.close();
    launched = await launchOnProfile(profile);
    const third = await openTestSite(launched, server, 'site-a.test');
    const reread = await third.page.evaluate(async (list) => Promise.all(list.map(async (hex) => (await cosT.read(hex)).hex === hex)), [...kept.map((i) => entries[i].hex), fresh.hex]);
    assert.ok(reread.every(Boolean), `${name}: what was kept, and the new write, survive the next restart`);

    for (const b of store.blobs) assert.equal(b.hex, b.name, `${name}: blob ${b.name} is whole`);
    const blobNames = store.blobs.map((b) => b.name);
    const known = new Set([...kept.map((i) => entries[i].hex), fresh.hex]);
    console.log(`# ${name}: journal ${damaged.before} → ${damaged.after} B (${plan.how} at ${plan.at}); kept ${kept.length}/${ENTRIES} entries (must: ${plan.lastKept + 1}); blobs on disk ${blobNames.length}; hub log: ${JSON.stringify(log)}`);
    return { kept, blobNames, known, log, entries, root: store.root, damaged };
  } finally {
    await launched?.close();
    removeProfile(profile);
  }
}

const results = {};

test('journal truncated in the middle of a record', { timeout: 120_000 }, async () => {
  const r = await scenario('truncate', (ends) => ({ how: 'truncate', at: ends[7] + 5, lastKept: 7 }));
  // Replay keeps the records that are whole (0–7; proven at every byte offset by
  // tests/cpp/journal_test.cpp); the rest come back from their blobs and sidecars.
  assert.deepEqual(r.kept, [...Array(ENTRIES).keys()], 'whole records replayed, the rest rebuilt from blobs/');
  assert.ok(r.log.some((l) => /4 rebuilt from their sidecars/.test(l)), 'the four cut-off entries were rebuilt');
  assert.deepEqual(r.blobNames.filter((n) => !r.known.has(n)), [], 'no blob the index does not know is left');
  assert.ok(r.log.some((l) => /dropped|removed/.test(l)), 'the hub says what it dropped');
});

test('a byte flipped inside a record in the middle', { timeout: 120_000 }, async () => {
  const r = results.flip = await scenario('flip', (ends) => ({ how: 'flip', at: ends[4] + 20, lastKept: 4 }));
  assert.ok(r.log.some((l) => /dropped|corrupt/.test(l)), 'the hub says what it dropped');
  assert.deepEqual(r.blobNames.filter((n) => !r.known.has(n)), [], 'no blob the index does not know is left');
});

test('garbage appended after the last record', { timeout: 120_000 }, async () => {
  const r = await scenario('append', () => ({ how: 'append', at: 0, lastKept: ENTRIES - 1 }));
  assert.equal(r.kept.length, ENTRIES);
});

test('journal deleted', { timeout: 120_000 }, async () => {
  const r = await scenario('delete', () => ({ how: 'delete', at: 0, lastKept: -1 }));
  assert.deepEqual(r.blobNames.filter((n) => !r.known.has(n)), [], 'no blob the index does not know is left');
  results.deleted = r;
});

test('header broken (wrong magic): the damaged journal is kept aside, as docs/journal.md says', {
  timeout: 120_000,
}, async () => {
  const r = await scenario('header', () => ({ how: 'header', at: 0, lastKept: -1 }));
  assert.ok(r.root.some((n) => !['blobs', 'tmp', 'journal'].includes(n)), `a copy of the damaged journal is kept (root: ${r.root})`);
});

// "Rebuild what it can from blobs/": a blob the journal no longer knows is committed again
// from its sidecar (blobs/meta/<hex>: storers and visibility) once its bytes re-hash to its name.
test('entries after the damage are rebuilt from their blobs', () => {
  assert.ok(results.flip && results.deleted, 'the scenarios ran');
  assert.equal(results.flip.kept.length, ENTRIES, 'entries after a flipped byte are rebuilt');
  assert.equal(results.deleted.kept.length, ENTRIES, 'entries are rebuilt after the journal is deleted');
});
