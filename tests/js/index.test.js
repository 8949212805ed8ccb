// The Wasm index through the same Embind API the hub worker uses (core.raw.Index):
// visibility, budget, quota, journal round trip, torn tails, two instances, compaction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { loadCore } from '../../dist/cos-core.mjs';

const core = await loadCore();
const { Status } = core;
const hex = (s) => createHash('sha256').update(s).digest('hex');
const NOW = 1.7e12;
const A = 'https://x.example.com';

function withIndex(fn, policy = { probeBudget: 0 }) {
  const index = new core.raw.Index();
  try {
    index.setPolicy(policy);
    return fn(index);
  } finally {
    index.delete();  // the hub worker does this once, at shutdown
  }
}

const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) { out.set(p, off); off += p.length; }
  return out;
};

test('commit then lookup follows the visibility tiers', () => withIndex((ix) => {
  const h = hex('one');
  const r = ix.commit(h, 10, 'application/wasm', A, { global: false, origins: ['https://partner.org'] }, null, NOW);
  assert.deepEqual(r, { status: Status.Ok, created: true, changed: true });
  assert.equal(ix.lookup(h, A, NOW), true);
  assert.equal(ix.lookup(h, 'https://y.example.com', NOW), true);  // same site
  assert.equal(ix.lookup(h, 'https://partner.org', NOW), true);    // listed
  assert.equal(ix.lookup(h, 'https://stranger.org', NOW), false);
  assert.equal(ix.isStorer(h, A), true);
  // '*' later keeps the list; a narrowing write changes nothing.
  assert.equal(ix.commit(h, 10, '', A, { global: true, origins: [] }, null, NOW).changed, true);
  assert.equal(ix.commit(h, 10, '', A, { global: false, origins: [] }, null, NOW).changed, false);
  const e = ix.entry(h);
  assert.equal(e.global, true);
  assert.deepEqual(e.listed, ['https://partner.org']);
  assert.equal(e.contentType, 'application/wasm');
  assert.equal(ix.entry(hex('absent')), null);
}));

test('bad input is a status, never an exception', () => withIndex((ix) => {
  assert.equal(ix.commit('XYZ', 1, '', A, { global: false, origins: [] }, null, NOW).status, Status.InvalidHashValue);
  assert.equal(ix.commit(hex('a'), 1, '', 'data:,x', { global: false, origins: [] }, null, NOW).status, Status.OpaqueOrigin);
  assert.equal(ix.lookup('not-a-hash', A, NOW), false);
  assert.equal(ix.recordRead(hex('a'), A, 1, NOW), Status.NotFound);
  assert.equal(ix.remove(hex('a')), Status.NotFound);
  assert.equal(ix.size(), 0);
}));

test('the allow-origin ceiling filters cross-site list entries', () => withIndex((ix) => {
  const h = hex('ceiling');
  ix.commit(h, 1, '', A, { global: false, origins: ['https://ok.org', 'https://no.org'] }, ['https://ok.org'], NOW);
  assert.deepEqual(ix.entry(h).listed, ['https://ok.org']);
}));

test('probe budget counts distinct hashes per site', () => withIndex((ix) => {
  const visible = hex('visible');
  ix.commit(visible, 1, '', A, { global: true, origins: [] }, null, NOW);
  for (let i = 0; i < 3; i++) assert.equal(ix.lookup(hex(`miss-${i % 2}`), 'https://p.org', NOW), false);
  assert.equal(ix.lookup(visible, 'https://p.org', NOW), false);  // third distinct hash: over budget
  assert.equal(ix.lookup(visible, 'https://q.org', NOW), true);
}, { probeBudget: 2 }));

test('quota evicts least recently used and returns the hashes to delete', () => withIndex((ix) => {
  const [h1, h2] = [hex('q1'), hex('q2')];
  ix.commit(h1, 600, '', A, { global: false, origins: [] }, null, NOW);
  ix.commit(h2, 300, '', A, { global: false, origins: [] }, null, NOW + 1);
  ix.beginRead(h1);
  assert.deepEqual(ix.reserve(200, 'https://other.org'), { status: Status.Ok, evicted: [h2] });
  assert.equal(ix.reserve(900, 'https://other.org').status, Status.QuotaExceeded);  // h1 is pinned
  ix.endRead(h1);
  ix.release(200, 'https://other.org');
  assert.equal(ix.reservedBytes(), 0);
  assert.equal(ix.usedBytes(), 600);
}, { probeBudget: 0, quotaBytes: 1000 }));

test('journal round trip: take bytes, reopen, same entries and usage', () => {
  const log = [];
  const h = hex('journal');
  withIndex((ix) => {
    ix.commit(h, 42, 'text/plain', A, { global: true, origins: ['https://partner.org'] }, null, NOW);
    log.push(ix.takePendingJournalBytes());
    assert.equal(ix.lookup(h, 'https://reader.org', NOW + 1), true);
    assert.equal(ix.recordRead(h, 'https://reader.org', 42, NOW + 1), Status.Ok);
    assert.equal(ix.hasPendingJournalBytes(), false);  // reads are batched
    ix.flushUsage();
    log.push(ix.takePendingJournalBytes());
  });
  const file = concat(...log);
  assert.deepEqual([...file.subarray(0, 4)].map((b) => String.fromCharCode(b)).join(''), 'COSJ');
  withIndex((ix) => {
    const stats = ix.open(file);
    assert.equal(stats.status, Status.Ok);
    assert.equal(stats.entries, 1);
    assert.equal(stats.validBytes, file.length);
    assert.equal(stats.droppedBytes, 0);
    const e = ix.entry(h);
    assert.equal(e.size, 42);
    assert.deepEqual(e.storers, [A]);
    assert.equal(e.reads, 1);
    assert.equal(e.lastAccessMs, NOW + 1);
    const site = ix.sites().find((s) => s.site === 'https://reader.org');
    assert.equal(site.savedDownloads, 1);
    assert.equal(site.hits, 1);
  });
});

test('a torn tail replays to the last complete record', () => {
  let file;
  withIndex((ix) => {
    ix.commit(hex('t1'), 1, '', A, { global: false, origins: [] }, null, NOW);
    const first = ix.takePendingJournalBytes();
    ix.commit(hex('t2'), 1, '', A, { global: false, origins: [] }, null, NOW);
    file = { first, all: concat(first, ix.takePendingJournalBytes()) };
  });
  withIndex((ix) => {
    for (let cut = file.first.length; cut < file.all.length; cut++) {
      const stats = ix.open(file.all.subarray(0, cut));
      assert.equal(stats.entries, 1, `cut ${cut}`);
      assert.equal(stats.validBytes, file.first.length);
      assert.equal(ix.contains(hex('t2')), false);
    }
    assert.equal(ix.open(file.all).entries, 2);
  });
});

test('two instances share one journal through applyTail', () => {
  const a = new core.raw.Index();
  const b = new core.raw.Index();
  try {
    let file = new Uint8Array(0);
    let bOffset = 0;
    a.commit(hex('shared'), 5, '', A, { global: false, origins: [] }, null, NOW);
    file = concat(file, a.takePendingJournalBytes());
    const tail = b.applyTail(file.subarray(bOffset));
    assert.equal(tail.status, Status.Ok);
    bOffset += tail.consumedBytes;
    assert.equal(b.isStorer(hex('shared'), A), true);
    assert.equal(b.lastSeq(), a.lastSeq());
    // a compacts: b's next tail read asks for a reopen, which then matches.
    file = a.compact(NOW);
    assert.equal(a.generation(), 1);
    assert.notEqual(b.applyTail(file.subarray(bOffset)).status, Status.Ok);
    const reopened = b.open(file);
    assert.equal(reopened.snapshotComplete, true);
    assert.deepEqual(b.entries(), a.entries());
  } finally {
    a.delete();
    b.delete();
  }
});

test('forgetOrigin drops storer status and usage', () => withIndex((ix) => {
  const h = hex('forget');
  ix.commit(h, 1, '', A, { global: false, origins: [] }, null, NOW);
  ix.commit(h, 1, '', 'https://other.org', { global: false, origins: [] }, null, NOW);
  ix.recordRead(h, A, 1, NOW);
  assert.equal(ix.forgetOrigin(A), 1);
  assert.equal(ix.isStorer(h, A), false);
  assert.deepEqual(ix.entry(h).readers, []);
}));

test('policy and Public Hash List from the hub configuration', () => withIndex((ix) => {
  ix.setPolicy({ phlEnabled: true, greaseRate: 0, originsCap: 5 });
  const p = ix.policy();
  assert.equal(p.phlEnabled, true);
  assert.equal(p.originsCap, 5);
  assert.equal(p.probeBudget, 0);  // untouched keys keep their value
  const h = hex('phl');
  ix.commit(h, 1, '', A, { global: true, origins: [] }, null, NOW);
  assert.equal(ix.lookup(h, 'https://stranger.org', NOW), false);
  assert.deepEqual(ix.loadPublicHashList(`# list\n${h}\nbad\n`), { loaded: 1, rejectedLines: 1 });
  assert.equal(ix.lookup(h, 'https://stranger.org', NOW), true);
}));
