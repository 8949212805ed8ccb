// Issue 7, security / access: entries scoped same-site or to a list are never disclosed to
// other sites; a site cannot enumerate entries; a miss, an invisible entry, an entry still
// being written, a '*' entry off the Public Hash List and a probe over the budget give the
// same error name and message, and their timing does not tell them apart (distributions
// printed; the assertion is a held-out threshold classifier's accuracy, with a generous bound).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchBrowser } from './lib/browser.js';
import { RECOMMENDED_POLICY, openTestSite, sha256Hex, startInspectedServer, summarize } from './lib/attacker.js';

const SAMPLES = Number(process.env.COS_TIMING_SAMPLES ?? 150);  // per category
let server;
let launched;
let siteA;
let sameSiteReader;
let siteB;
let evil;
const h = {};

// Seeded bytes the victim writes; the PHL lists two of them.
const seeds = { sameSite: 1, listed: 2, starOffPhl: 3, phl1: 4, phl2: 5, inflight: 6, phl3: 7, phl4: 8, phl5: 9, sameSite2: 10, listed2: 11 };
const bytesFor = (seed) => {
  const out = Buffer.alloc(4096);
  let x = seed;
  for (let i = 0; i < out.length; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; out[i] = x & 255; }
  return out;
};

before(async () => {
  // Same generator as cosT.randomBytes(n, seed) in the page, so Node knows the hashes up front.
  for (const [name, seed] of Object.entries(seeds)) h[name] = sha256Hex(bytesFor(seed));
  server = await startInspectedServer(RECOMMENDED_POLICY, [h.phl1, h.phl2, h.phl3, h.phl4, h.phl5]);
  launched = await launchBrowser({ mode: 'cookies-allowed' });
  siteA = await openTestSite(launched, server, 'site-a.test');
  sameSiteReader = await openTestSite(launched, server, 'x.site-a.test');
  siteB = await openTestSite(launched, server, 'site-b.test');
  evil = await openTestSite(launched, server, 'evil.test');
  const stored = await siteA.page.evaluate(async ({ seeds, siteB }) => {
    const w = async (seed, origins) => { const b = cosT.randomBytes(4096, seed); const hex = await cosT.sha256(b); return { hex, ...(await cosT.write(hex, b, origins)) }; };
    const out = {
      sameSite: await w(seeds.sameSite),
      listed: await w(seeds.listed, [siteB]),
      sameSite2: await w(seeds.sameSite2),
      listed2: await w(seeds.listed2, [siteB]),
      starOffPhl: await w(seeds.starOffPhl, '*'),
      phl1: await w(seeds.phl1, '*'),
      phl2: await w(seeds.phl2, '*'),
      phl3: await w(seeds.phl3, '*'),
      phl4: await w(seeds.phl4, '*'),
      phl5: await w(seeds.phl5, '*'),
    };
    // An entry still being written: half the bytes, the writable kept open.
    const b = cosT.randomBytes(4096, seeds.inflight);
    const handle = await navigator.crossOriginStorage.getFileHandle({ algorithm: 'SHA-256', value: await cosT.sha256(b) }, { create: true, origins: '*' });
    window.inflight = { writable: await handle.createWritable(), bytes: b };
    await window.inflight.writable.write(b.subarray(0, 2048));
    return out;
  }, { seeds, siteB: server.origin('site-b.test') });
  for (const [name, r] of Object.entries(stored)) {
    assert.equal(r.ok, true, `victim stored ${name}`);
    assert.equal(r.hex, h[name], `page and Node agree on ${name}`);
  }
});

after(async () => {
  await launched?.close();
  await server?.close();
});

const read = (site, value) => site.page.evaluate((v) => cosT.read(v), value);
// GREASE may refuse one read of a non-storer (5 %): a disclosed entry is read within a few
// free repeats; an undisclosed one fails every time.
const readRepeated = (site, value, tries = 8) => site.page.evaluate(async ({ v, tries }) => {
  let last;
  for (let i = 0; i < tries; i++) { last = await cosT.read(v); if (last.ok) return last; }
  return last;
}, { v: value, tries });

test('same-site and listed entries are disclosed exactly to their audience', { timeout: 60_000 }, async () => {
  // GREASE hides a (non-storer site, hash) pair at 5 %, consistently: two entries of each
  // kind, at least one read with its bytes, the other read or a plain miss.
  const pair = async (site, a, b) => {
    const r = [await readRepeated(site, a, 2), await readRepeated(site, b, 2)];
    return { read: r.filter((x, i) => x.hex === [a, b][i]).length, misses: r.filter((x) => !x.ok && x.name === 'NotFoundError').length };
  };
  const same = await pair(sameSiteReader, h.sameSite, h.sameSite2);
  assert.ok(same.read >= 1 && same.read + same.misses === 2, `x.site-a.test (same site) reads the same-site entries ${JSON.stringify(same)}`);
  const listed = await pair(siteB, h.listed, h.listed2);
  assert.ok(listed.read >= 1 && listed.read + listed.misses === 2, `site-b.test (listed) reads the listed entries ${JSON.stringify(listed)}`);
  assert.equal((await readRepeated(siteB, h.sameSite)).name, 'NotFoundError', 'site-b.test does not read the same-site entry');
  for (const name of ['sameSite', 'listed', 'starOffPhl']) {
    assert.equal((await readRepeated(evil, h[name])).name, 'NotFoundError', `evil.test does not read ${name}`);
  }
  // A listed entry is the list plus the storer's site, not the list's sites: x.site-b.test is not listed.
  const xb = await openTestSite(launched, server, 'x.site-b.test');
  assert.equal((await readRepeated(xb, h.listed)).name, 'NotFoundError', 'x.site-b.test is same-site with a listed origin but not listed');
  await xb.page.close();
  // requestFileHandles is all-or-nothing: a visible hash next to an invisible one reveals nothing.
  const plural = await evil.page.evaluate(async (hs) => {
    try {
      await navigator.crossOriginStorage.requestFileHandles(hs.map((value) => ({ algorithm: 'SHA-256', value })));
      return 'resolved';
    } catch (e) { return { name: e.name, message: e.message }; }
  }, [h.phl1, h.sameSite]);
  assert.equal(plural.name, 'NotFoundError');
  // The entry still being written is visible to nobody, the writer's own site included.
  assert.equal((await read(sameSiteReader, (await siteA.page.evaluate(() => cosT.sha256(window.inflight.bytes))))).name, 'NotFoundError');
});

test('a site cannot enumerate entries: the raw protocol has no listing, status tells nothing about other sites', {
  timeout: 60_000,
}, async () => {
  const before = await evil.page.evaluate(async () => {
    const hub = await cosT.rawHub();
    window.evilHub = hub;
    const list = [];
    for (const type of ['list', 'entries', 'keys', 'enumerate', 'usage', 'dump']) list.push((await hub.send({ v: 1, id: 50 + list.length, type })).ok);
    const status = await hub.send({ v: 1, id: 90, type: 'status' });
    return { list, status };
  });
  assert.ok(before.list.every((ok) => ok === false), 'no listing request exists');
  // site-a stores one more same-site entry; evil.test must not be able to notice.
  await siteA.page.evaluate(async () => { const b = cosT.randomBytes(777_777, 77); await cosT.write(await cosT.sha256(b), b); });
  const afterStatus = await evil.page.evaluate(() => window.evilHub.send({ v: 1, id: 91, type: 'status' }));
  console.log(`# status seen by evil.test before/after site-a stored 777777 bytes: ${JSON.stringify([before.status, afterStatus])}`);
  assert.equal(afterStatus.entries, before.status.entries, 'entry count seen by evil.test unchanged by site-a\'s write');
  assert.equal(afterStatus.usage, before.status.usage, 'usage seen by evil.test unchanged by site-a\'s write');
});

test('miss, invisible, in-flight, off-PHL and over-budget look the same: name, message, timing', { timeout: 180_000 }, async () => {
  const inflightHex = await siteA.page.evaluate(() => cosT.sha256(window.inflight.bytes));
  const rand = () => [...crypto.getRandomValues(new Uint8Array(32))].map((b) => b.toString(16).padStart(2, '0')).join('');
  const categories = {
    miss: [rand(), rand(), rand(), rand()],
    invisibleSameSite: [h.sameSite],
    invisibleListed: [h.listed],
    inFlight: [inflightHex],
    offPhl: [h.starOffPhl],
    // GREASE refuses a (site, hash) pair consistently at 5 %: two PHL entries, so one is disclosed.
    hit: [h.phl1, h.phl3],
  };
  const out = await evil.page.evaluate(async ({ categories, budget, samples, overPhl }) => {
    const probe = async (value) => {
      const t0 = performance.now();
      try {
        await navigator.crossOriginStorage.getFileHandle({ algorithm: 'SHA-256', value });
        return { ok: true, ms: performance.now() - t0 };
      } catch (e) {
        return { ok: false, name: e.name, message: e.message, ms: performance.now() - t0 };
      }
    };
    const randHex = () => cosT.hexOf(crypto.getRandomValues(new Uint8Array(32)));
    // Phase 1: each hash once (charging the probe budget), then spend the rest of the budget.
    const first = {};
    for (const [cat, hexes] of Object.entries(categories)) first[cat] = await Promise.all(hexes.map(probe));
    let spent = Object.values(categories).flat().length;
    while (spent < budget + 5) { await probe(randHex()); spent++; }
    // Over budget now: new hashes, one of them a PHL-listed '*' entry other sites can read.
    const cats = { ...categories, overBudget: [randHex(), randHex(), ...overPhl] };
    const overPhlFirst = await Promise.all(overPhl.map(probe));
    // Phase 2: interleaved samples (repeats are free, so each category keeps its meaning).
    const order = [];
    for (const cat of Object.keys(cats)) for (let i = 0; i < samples; i++) order.push(cat);
    for (let i = order.length - 1; i > 0; i--) { const j = Math.floor(Math.random() * (i + 1)); [order[i], order[j]] = [order[j], order[i]]; }
    const results = {};
    const pick = {};
    for (const cat of order) {
      pick[cat] = ((pick[cat] ?? -1) + 1) % cats[cat].length;
      (results[cat] ??= []).push(await probe(cats[cat][pick[cat]]));
    }
    return { first, overPhlFirst, results };
  }, { categories, budget: RECOMMENDED_POLICY.probeBudget, samples: SAMPLES, overPhl: [h.phl2, h.phl4, h.phl5] });

  // Within budget, the PHL-listed '*' entry is readable by evil.test (GREASE may refuse a probe).
  assert.ok(out.results.hit.filter((r) => r.ok).length >= SAMPLES * 0.4, 'PHL entries are disclosed within budget');
  assert.ok(out.overPhlFirst.every((r) => !r.ok), 'PHL entries probed for the first time over budget are not disclosed');
  const bReads = await Promise.all([h.phl2, h.phl4, h.phl5].map((hex) => readRepeated(siteB, hex, 2)));
  assert.ok(bReads.some((r, i) => r.hex === [h.phl2, h.phl4, h.phl5][i]), 'while site-b.test, within its budget, reads them (GREASE may hide one)');

  const undisclosed = ['miss', 'invisibleSameSite', 'invisibleListed', 'inFlight', 'offPhl', 'overBudget'];
  const answers = new Set();
  for (const cat of undisclosed) {
    for (const r of [...(out.first[cat] ?? []), ...out.results[cat]]) {
      assert.equal(r.ok, false, `${cat}: never disclosed`);
      answers.add(`${r.name}: ${r.message}`);
    }
  }
  assert.deepEqual([...answers].length, 1, `one name and message for every undisclosed read: ${[...answers]}`);
  assert.match([...answers][0], /^NotFoundError: /);

  // Timing: print the distributions; then train a threshold on half the samples of
  // (miss, X) and test it on the other half. Useless timing gives ~50 %.
  const ms = (cat) => out.results[cat].filter((r) => cat !== 'hit' || r.ok).map((r) => r.ms);
  for (const cat of [...undisclosed, 'hit']) console.log(`# timing ${cat.padEnd(18)} ${JSON.stringify(summarize(ms(cat)))}`);
  for (const cat of undisclosed.filter((c) => c !== 'miss')) {
    const acc = heldOutThresholdAccuracy(ms('miss'), ms(cat));
    console.log(`# timing classifier miss vs ${cat}: held-out accuracy ${(acc * 100).toFixed(1)} %`);
    assert.ok(acc < 0.75, `timing separates miss from ${cat} (${(acc * 100).toFixed(1)} %)`);
  }
  const hitAcc = heldOutThresholdAccuracy(ms('miss'), ms('hit'));
  console.log(`# timing classifier miss vs hit (disclosed; for contrast): held-out accuracy ${(hitAcc * 100).toFixed(1)} %`);
});

/**
 * Best single threshold (either direction) on the even-indexed samples, accuracy on the
 * odd-indexed ones; both classes equally many in each half.
 */
function heldOutThresholdAccuracy(a, b) {
  const n = Math.min(a.length, b.length);
  const split = (xs, parity) => xs.slice(0, n).filter((_, i) => i % 2 === parity);
  const [trainA, trainB, testA, testB] = [split(a, 0), split(b, 0), split(a, 1), split(b, 1)];
  const score = (xa, xb, t, dir) => (xa.filter((x) => (dir ? x < t : x >= t)).length + xb.filter((x) => (dir ? x >= t : x < t)).length) / (xa.length + xb.length);
  let best = { acc: -1, t: 0, dir: true };
  for (const t of [...trainA, ...trainB]) {
    for (const dir of [true, false]) {
      const acc = score(trainA, trainB, t, dir);
      if (acc > best.acc) best = { acc, t, dir };
    }
  }
  return score(testA, testB, best.t, best.dir);
}
