// Issue 7, security / poisoning: two attacker sites write wrong bytes (random, truncated,
// one bit flipped, right size wrong bytes, wrong size, overwritten after a seek, cut by a
// truncate) under hashes that other sites use, at least 10,000 times, while correct writers
// and readers keep working. Every wrong write is a DataError; no blob on disk holds bytes
// that do not hash to its name; every correct writer and reader is unaffected.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchBrowser } from './lib/browser.js';
import { RECOMMENDED_POLICY, inspectStore, openTestSite, startInspectedServer } from './lib/attacker.js';

const WRITES = Number(process.env.COS_POISON_WRITES ?? 10_000);
const CONCURRENCY = 24;
// Sizes of the targeted entries (bytes); each entry's bytes come from a seeded generator
// that victims and attackers both run (the attacker knows the real bytes: public files).
const TARGETS = [1, 63, 64, 65, 1000, 4096, 65_537, 1_000_000].map((size, i) => ({ size, seed: 1000 + i }));
// Hashes nobody has written yet: wrong writes first, then a correct writer.
const UNCLAIMED = [10, 5000, 70_000].map((size, i) => ({ size, seed: 2000 + i }));

let server;
let launched;

before(async () => {
  server = await startInspectedServer(RECOMMENDED_POLICY);
  launched = await launchBrowser({ mode: 'cookies-allowed' });
});

after(async () => {
  await launched?.close();
  await server?.close();
});

// Runs in an attacker page: `count` wrong writes spread over every target, `concurrency` at a time.
async function poison({ targets, count, concurrency, seed }) {
  let x = seed;
  const rnd = (n) => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return (x >>> 0) % n; };
  const real = await Promise.all(targets.map(async (t) => {
    const bytes = cosT.randomBytes(t.size, t.seed);
    return { bytes, hex: await cosT.sha256(bytes) };
  }));
  const kinds = ['random', 'truncated', 'bitflip', 'sameSizeWrong', 'extraByte', 'empty', 'seekOverwrite', 'truncateCall'];
  const tally = { byKind: {}, outcomes: {}, closeOk: 0, ms: [] };
  async function one(i) {
    const t = real[rnd(real.length)];
    const kind = kinds[i % kinds.length];
    const n = t.bytes.length;
    let data;
    let after = null;
    switch (kind) {
      case 'random': data = cosT.randomBytes(1 + rnd(Math.min(n + 16, 4096))); break;
      case 'truncated': data = n > 1 ? t.bytes.subarray(0, rnd(n)) : new Uint8Array(0); break;
      case 'bitflip': data = t.bytes.slice(); data[rnd(n)] ^= 1 << rnd(8); break;
      case 'sameSizeWrong': data = cosT.randomBytes(n); if (n && data.every((b, k) => b === t.bytes[k])) data[0] ^= 1; break;
      case 'extraByte': data = new Uint8Array(n + 1); data.set(t.bytes); data[n] = rnd(256); break;
      case 'empty': data = new Uint8Array(0); break;
      // The right bytes, then one byte overwritten in place (forces the hub's re-hash at close).
      case 'seekOverwrite': { const at = rnd(n); data = t.bytes; after = async (w) => { await w.seek(at); await w.write(new Uint8Array([t.bytes[at] ^ (1 + rnd(255))])); }; break; }
      // The right bytes plus junk, cut back by a truncate one byte too long.
      case 'truncateCall': data = new Uint8Array(n + 8); data.set(t.bytes); data.fill(7, n); after = async (w) => { await w.truncate(n + 1); }; break;
    }
    const t0 = performance.now();
    let outcome;
    try {
      const h = await navigator.crossOriginStorage.getFileHandle({ algorithm: 'SHA-256', value: t.hex }, { create: true, origins: '*' });
      const w = await h.createWritable();
      await w.write(data);
      if (after) await after(w);
      await w.close();
      outcome = 'ok';
      tally.closeOk++;
    } catch (e) {
      outcome = e.name;
    }
    tally.ms.push(performance.now() - t0);
    tally.byKind[kind] ??= {};
    tally.byKind[kind][outcome] = (tally.byKind[kind][outcome] ?? 0) + 1;
    tally.outcomes[outcome] = (tally.outcomes[outcome] ?? 0) + 1;
  }
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) await one(next++);
  }));
  tally.seconds = (performance.now() - started) / 1000;
  tally.ms.sort((a, b) => a - b);
  tally.p50 = tally.ms[Math.floor(tally.ms.length / 2)];
  tally.p99 = tally.ms[Math.floor(tally.ms.length * 0.99)];
  delete tally.ms;
  return tally;
}

// Runs in a correct writer's/reader's page: writes (or re-writes) and reads every target, in rounds.
async function correctTraffic({ targets, rounds, origins }) {
  const results = { writes: {}, reads: {}, badBytes: 0 };
  for (let r = 0; r < rounds; r++) {
    for (const t of targets) {
      const bytes = cosT.randomBytes(t.size, t.seed);
      const hex = await cosT.sha256(bytes);
      const w = await cosT.write(hex, bytes, origins);
      results.writes[w.ok ? 'ok' : w.name] = (results.writes[w.ok ? 'ok' : w.name] ?? 0) + 1;
      const rd = await cosT.read(hex);
      results.reads[rd.ok ? 'ok' : rd.name] = (results.reads[rd.ok ? 'ok' : rd.name] ?? 0) + 1;
      if (rd.ok && (rd.hex !== hex || rd.size !== t.size)) results.badBytes++;
    }
  }
  return results;
}

test(`${WRITES} wrong writes under hashes other sites use: all DataError, nothing poisoned, correct writers unaffected`, { timeout: 300_000 }, async () => {
  const victim = await openTestSite(launched, server, 'site-a.test');
  const attackers = [await openTestSite(launched, server, 'evil.test'), await openTestSite(launched, server, 'site-b.test')];
  const reader = await openTestSite(launched, server, 'x.site-a.test');
  assert.equal(victim.status, 'shared');

  // The victim stores the targets ('*' so the attackers' sites could read them too).
  const stored = await victim.page.evaluate(correctTraffic, { targets: TARGETS, rounds: 1, origins: '*' });
  assert.deepEqual(stored.writes, { ok: TARGETS.length });

  // Storm: both attackers poison the stored targets and the unclaimed hashes, while the
  // victim rewrites (dedup) and its same-site reader reads everything, over and over.
  const half = Math.ceil(WRITES / 2);
  const [a, b, victimDuring, readerDuring] = await Promise.all([
    attackers[0].page.evaluate(poison, { targets: [...TARGETS, ...UNCLAIMED], count: half, concurrency: CONCURRENCY, seed: 7 }),
    attackers[1].page.evaluate(poison, { targets: [...TARGETS, ...UNCLAIMED], count: WRITES - half, concurrency: CONCURRENCY, seed: 9 }),
    victim.page.evaluate(correctTraffic, { targets: TARGETS, rounds: 5, origins: '*' }),
    reader.page.evaluate(correctTraffic, { targets: TARGETS, rounds: 5 }),
  ]);
  for (const [name, t] of [['evil.test', a], ['site-b.test', b]]) {
    console.log(`# ${name}: ${JSON.stringify(t.outcomes)} in ${t.seconds.toFixed(1)} s (p50 ${t.p50.toFixed(1)} ms, p99 ${t.p99.toFixed(1)} ms per write); by kind ${JSON.stringify(t.byKind)}`);
  }
  const total = (t) => Object.values(t.outcomes).reduce((s, n) => s + n, 0);
  assert.equal(total(a) + total(b), WRITES);
  assert.equal(a.closeOk + b.closeOk, 0, 'no wrong write closed successfully');
  assert.deepEqual(Object.keys(a.outcomes), ['DataError'], `evil.test outcomes ${JSON.stringify(a.outcomes)}`);
  assert.deepEqual(Object.keys(b.outcomes), ['DataError'], `site-b.test outcomes ${JSON.stringify(b.outcomes)}`);
  console.log(`# during the storm: victim ${JSON.stringify(victimDuring)}, same-site reader ${JSON.stringify(readerDuring)}`);
  assert.deepEqual(victimDuring, { writes: { ok: 5 * TARGETS.length }, reads: { ok: 5 * TARGETS.length }, badBytes: 0 });
  // The same-site reader (x.site-a.test) writes the same bytes too: dedup, every write verified.
  assert.deepEqual(readerDuring, { writes: { ok: 5 * TARGETS.length }, reads: { ok: 5 * TARGETS.length }, badBytes: 0 });

  // The unclaimed hashes stayed free: a correct writer now claims them.
  const late = await victim.page.evaluate(correctTraffic, { targets: UNCLAIMED, rounds: 1, origins: '*' });
  assert.deepEqual(late, { writes: { ok: UNCLAIMED.length }, reads: { ok: UNCLAIMED.length }, badBytes: 0 });
  // Another site reads every entry with its exact bytes.
  const crossSite = await attackers[1].page.evaluate(async (targets) => {
    const out = [];
    for (const t of targets) {
      const bytes = cosT.randomBytes(t.size, t.seed);
      const hex = await cosT.sha256(bytes);
      const r = await cosT.read(hex);
      out.push(r.ok && r.hex === hex && r.size === t.size);
    }
    return out;
  }, [...TARGETS, ...UNCLAIMED]);
  // site-b.test wrote nothing correct, so reading '*' entries needs the PHL; it is empty here.
  assert.ok(crossSite.every((ok) => ok === false), 'a non-storer does not read \'*\' entries off the PHL');

  for (const p of [...attackers, reader]) await p.page.close();
  await new Promise((r) => setTimeout(r, 500));
  const store = await inspectStore(launched, server);
  const poisoned = store.blobs.filter((blob) => blob.hex !== blob.name);
  console.log(`# store after ${WRITES} wrong writes: ${store.blobs.length} blobs, ${poisoned.length} poisoned, ${store.tmp.length} temporary files`);
  assert.equal(poisoned.length, 0, 'no blob holds bytes that do not hash to its name');
  assert.equal(store.blobs.length, TARGETS.length + UNCLAIMED.length);
  assert.deepEqual(store.tmp, [], 'every failed write removed its temporary file');
});
