// Issue 7, security / forged messages: an attacker page (evil.test) posts hand-made messages
// to the hub iframe's window and to every port it can get: claimed origins, other hashes,
// internal types, oversized and malformed payloads, prototype-pollution keys, and a few
// thousand random mutations. Nothing is stored or disclosed, the victim's open write is
// untouched, and the hub keeps answering.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchBrowser } from './lib/browser.js';
import { RECOMMENDED_POLICY, inspectStore, openTestSite, startInspectedServer } from './lib/attacker.js';

const FUZZ_MESSAGES = Number(process.env.COS_ATTACK_FUZZ ?? 3000);
let server;
let launched;
let victim;
let attacker;
const secrets = {};
let tmpLeft = null;

before(async () => {
  server = await startInspectedServer(RECOMMENDED_POLICY);
  launched = await launchBrowser({ mode: 'cookies-allowed' });
  victim = await openTestSite(launched, server, 'site-a.test');
  assert.equal(victim.status, 'shared');
  // The victim stores two entries: same-site only, and listed for site-b only.
  Object.assign(secrets, await victim.page.evaluate(async (siteB) => {
    const a = cosT.randomBytes(3000, 11);
    const b = cosT.randomBytes(5000, 12);
    const sameSite = await cosT.sha256(a);
    const listed = await cosT.sha256(b);
    const r1 = await cosT.write(sameSite, a);
    const r2 = await cosT.write(listed, b, [siteB]);
    if (!r1.ok || !r2.ok) throw new Error(`victim writes failed: ${JSON.stringify([r1, r2])}`);
    return { sameSite, listed };
  }, server.origin('site-b.test')));
  attacker = await openTestSite(launched, server, 'evil.test');
  assert.equal(attacker.status, 'shared');
});

after(async () => {
  await launched?.close();
  await server?.close();
});

test('forged handshakes on the hub window: only the parent, only once, never an opaque origin', { timeout: 60_000 }, async () => {
  const result = await attacker.page.evaluate(async () => {
    const wait = (ms) => new Promise((r) => setTimeout(r, ms));
    const listen = (port) => { const got = []; port.onmessage = (e) => got.push(e.data); return got; };
    // 1. A second handshake to the polyfill's own, already bound hub frame.
    const bound = document.querySelector('iframe[title="Cross-Origin Storage hub"]');
    const second = new MessageChannel();
    const secondGot = listen(second.port1);
    bound.contentWindow.postMessage({ v: 1, type: 'connect' }, '*', [second.port2]);
    // 2. A handshake to a fresh hub frame from a sibling frame (not the hub frame's parent).
    const hub = document.createElement('iframe');
    const hubLoaded = new Promise((r) => { hub.onload = r; });
    hub.src = navigator.crossOriginStorage.polyfill.hub;
    document.body.append(hub);
    await hubLoaded;
    const sibling = document.createElement('iframe');
    sibling.srcdoc = '<script>onmessage = (e) => parent.frames[e.data.index].postMessage({ v: 1, type: "connect" }, "*", [e.ports[0]]);<\/script>';
    const sibLoaded = new Promise((r) => { sibling.onload = r; });
    document.body.append(sibling);
    await sibLoaded;
    const fromSibling = new MessageChannel();
    const siblingGot = listen(fromSibling.port1);
    let index = 0;
    while (window.frames[index] !== hub.contentWindow) index++;
    sibling.contentWindow.postMessage({ index }, '*', [fromSibling.port2]);
    // 3. Garbage on the fresh frame's window: non-handshakes, extra ports, polluting keys.
    const junk = [null, 1, 'connect', [], { v: 1 }, { v: 1, type: 'connect', origin: 'https://site-a.test' },
      JSON.parse('{"v":1,"type":"connect","__proto__":{"origin":"https://site-a.test"}}'), { v: 2, type: 'connect' }];
    for (const j of junk) hub.contentWindow.postMessage(j, '*');
    const two = [new MessageChannel(), new MessageChannel()];
    const twoGot = listen(two[0].port1);
    hub.contentWindow.postMessage({ v: 1, type: 'connect' }, '*', [two[0].port2, two[1].port2]);
    await wait(1500);
    // 4. The real parent still gets exactly one handshake on that frame (nothing above bound it).
    const real = new MessageChannel();
    const realGot = listen(real.port1);
    hub.contentWindow.postMessage({ v: 1, type: 'connect' }, '*', [real.port2]);
    const again = new MessageChannel();
    const againGot = listen(again.port1);
    hub.contentWindow.postMessage({ v: 1, type: 'connect' }, '*', [again.port2]);
    for (let i = 0; i < 200 && !realGot.length; i++) await wait(25);
    // 5. Opaque origins embed the hub and handshake: a data: document and a sandboxed one.
    const opaqueHandshake = (setup) => {
      const inner = `<body><script>
        const f = document.createElement('iframe');
        f.src = ${JSON.stringify(navigator.crossOriginStorage.polyfill.hub)};
        f.onload = () => {
          const ch = new MessageChannel();
          ch.port1.onmessage = (e) => parent.postMessage({ opaqueGot: e.data }, '*');
          f.contentWindow.postMessage({ v: 1, type: 'connect' }, '*', [ch.port2]);
        };
        document.body.append(f);
      <\/script>`;
      const frame = document.createElement('iframe');
      setup(frame, inner);
      return new Promise((r) => {
        const on = (e) => { if (e.source === frame.contentWindow && e.data && e.data.opaqueGot) { removeEventListener('message', on); r(e.data.opaqueGot); } };
        addEventListener('message', on);
        setTimeout(() => r('timeout'), 6000);
        document.body.append(frame);
      });
    };
    const opaque = await opaqueHandshake((f, html) => { f.src = `data:text/html,${encodeURIComponent(html)}`; });
    const sandboxed = await opaqueHandshake((f, html) => { f.sandbox = 'allow-scripts'; f.srcdoc = html; });
    await wait(500);
    return { secondGot, siblingGot, twoGot, realGot, againGot, opaque, sandboxed };
  });
  assert.deepEqual(result.secondGot, [], 'a second handshake to a bound frame gets nothing');
  assert.deepEqual(result.siblingGot, [], 'a handshake from a frame that is not the parent gets nothing');
  assert.deepEqual(result.twoGot, [], 'a handshake with two ports is not a handshake');
  assert.equal(result.realGot[0]?.type, 'ready', 'the parent\'s handshake still binds the frame');
  assert.deepEqual(result.againGot, [], 'exactly one handshake');
  assert.equal(result.opaque.type, 'refused', 'an opaque origin is refused');
  assert.equal(result.opaque.error.name, 'NotAllowedError');
  // A sandboxed parent's hub frame inherits the sandbox: its module cannot even load, so it never gets ready.
  assert.ok(result.sandboxed === 'timeout' || result.sandboxed.type === 'refused', `sandboxed: ${JSON.stringify(result.sandboxed)}`);
});

test('hand-made requests on a port bound to evil.test: claimed origins, internal types, oversized, polluting keys', { timeout: 90_000 }, async () => {
  const siteA = server.origin('site-a.test');
  const out = await attacker.page.evaluate(async ({ secrets, siteA }) => {
    const hub = await cosT.rawHub();
    const H = (value) => ({ algorithm: 'SHA-256', value });
    const J = (s) => JSON.parse(s);
    let id = 100;
    const n = () => ++id;
    const fresh = cosT.hexOf(crypto.getRandomValues(new Uint8Array(32)));
    const cases = [
      ['getFile claiming site-a', { v: 1, id: n(), type: 'getFile', hash: H(secrets.sameSite), origin: siteA }],
      ['lookup claiming site-a', { v: 1, id: n(), type: 'lookup', hashes: [H(secrets.listed)], origin: siteA }],
      ['writeBegin claiming site-a', { v: 1, id: n(), type: 'writeBegin', hash: H(fresh), origins: [], origin: siteA }],
      ['origin via own __proto__', J(`{"v":1,"id":${n()},"type":"getFile","hash":{"algorithm":"SHA-256","value":"${secrets.sameSite}"},"__proto__":{"origin":"${siteA}"}}`)],
      ['constructor key', J(`{"v":1,"id":${n()},"type":"getFile","hash":{"algorithm":"SHA-256","value":"${secrets.sameSite}"},"constructor":{"prototype":{"origin":"${siteA}"}}}`)],
      ['__proto__ inside hash', J(`{"v":1,"id":${n()},"type":"getFile","hash":{"algorithm":"SHA-256","value":"${secrets.sameSite}","__proto__":{"x":1}}}`)],
      ['prototype key in origins', J(`{"v":1,"id":${n()},"type":"writeBegin","hash":{"algorithm":"SHA-256","value":"${fresh}"},"origins":["*"],"prototype":{}}`)],
      ['internal: ready', { v: 1, id: n(), type: 'ready', version: 'x' }],
      ['internal: progress', { v: 1, id: n(), type: 'progress', writeId: 1, loaded: 1 }],
      ['internal: commit', { v: 1, id: n(), type: 'commit', hash: H(secrets.sameSite), origins: ['*'] }],
      ['internal: setPolicy', { v: 1, id: n(), type: 'setPolicy', policy: { probeBudget: 1e9, phlEnabled: false } }],
      ['internal: flushUsage', { v: 1, id: n(), type: 'flushUsage' }],
      ['internal: refused', { v: 1, id: n(), type: 'refused', error: { name: 'NotAllowedError', message: 'x' } }],
      ['toString type', { v: 1, id: n(), type: 'toString' }],
      ['hasOwnProperty type', { v: 1, id: n(), type: 'hasOwnProperty' }],
      ['__proto__ type', { v: 1, id: n(), type: '__proto__' }],
      ['version 2', { v: 2, id: n(), type: 'status' }],
      ['uppercase hex', { v: 1, id: n(), type: 'getFile', hash: H(secrets.sameSite.toUpperCase()) }],
      ['lowercase algorithm', { v: 1, id: n(), type: 'getFile', hash: { algorithm: 'sha-256', value: secrets.sameSite } }],
      ['hash as string', { v: 1, id: n(), type: 'getFile', hash: secrets.sameSite }],
      ['257 hashes', { v: 1, id: n(), type: 'lookup', hashes: Array.from({ length: 257 }, () => H(secrets.sameSite)) }],
      ['sparse hashes', { v: 1, id: n(), type: 'lookup', hashes: Object.assign([H(secrets.sameSite)], { extra: 1 }) }],
      ['101 origins', { v: 1, id: n(), type: 'writeBegin', hash: H(fresh), origins: Array.from({ length: 101 }, (_, i) => `https://o${i}.test`) }],
      ['3000-char origin', { v: 1, id: n(), type: 'writeBegin', hash: H(fresh), origins: [`https://${'a'.repeat(2990)}.test`] }],
      ['data: origin', { v: 1, id: n(), type: 'writeBegin', hash: H(fresh), origins: ['data:text/plain,x'] }],
      ['"null" origin', { v: 1, id: n(), type: 'writeBegin', hash: H(fresh), origins: ['null'] }],
      ['origin with path', { v: 1, id: n(), type: 'writeBegin', hash: H(fresh), origins: [`${siteA}/x`] }],
      ['10 MB type string', { v: 1, id: n(), type: 'x'.repeat(10 << 20) }],
      ['writeChunk 4 MiB + 1', { v: 1, id: n(), type: 'writeChunk', writeId: 1, data: new ArrayBuffer(4 * 1024 * 1024 + 1) }],
      ['writeChunk string data', { v: 1, id: n(), type: 'writeChunk', writeId: 1, data: 'abc' }],
      ['writeChunk typed array', { v: 1, id: n(), type: 'writeChunk', writeId: 1, data: new Uint8Array(8) }],
      ['id 0', { v: 1, id: 0, type: 'status' }],
      ['id -1', { v: 1, id: -1, type: 'status' }],
      ['id 1.5', { v: 1, id: 1.5, type: 'status' }],
      ['id 2^53', { v: 1, id: 2 ** 53, type: 'status' }],
      ['id string', { v: 1, id: '7', type: 'status' }],
      ['null', null], ['number', 42], ['string', 'getFile'], ['array', [1, { v: 1 }]],
      ['deep nesting', (() => { let o = {}; const top = o; for (let i = 0; i < 500; i++) { o.a = {}; o = o.a; } return { v: 1, id: n(), type: 'status', deep: top }; })()],
      ['a MessagePort in the message', (() => { const c = new MessageChannel(); return { v: 1, id: n(), type: 'status', port: c.port1 }; })()],
    ];
    const results = [];
    for (const [name, message] of cases) {
      const transfer = message && message.port instanceof MessagePort ? [message.port] : [];
      const reply = await hub.send(message, transfer, 2500);
      results.push({ name, reply: reply === 'timeout' ? 'timeout' : reply.postError ? `post:${reply.postError}` : { ok: reply.ok, error: reply.error, keys: Object.keys(reply) } });
    }
    // Write ids the victim's or anyone's connection might use: none is ours.
    const hijack = [];
    for (let w = 1; w <= 16; w++) {
      for (const type of ['writeChunk', 'writeSeek', 'writeTruncate', 'writeClose', 'writeAbort']) {
        const m = { v: 1, id: n(), type, writeId: w };
        if (type === 'writeChunk') m.data = new ArrayBuffer(16);
        if (type === 'writeSeek') m.position = 0;
        if (type === 'writeTruncate') m.size = 0;
        const r = await hub.send(m, [], 2500);
        hijack.push(r === 'timeout' ? 'timeout' : r.ok ? 'ok' : r.error.name);
      }
    }
    const alive = await hub.send({ v: 1, id: n(), type: 'lookup', hashes: [H(fresh)] });
    return { results, hijack, alive, strays: hub.strays.length };
  }, { secrets, siteA });

  const byName = Object.fromEntries(out.results.map((r) => [r.name, r.reply]));
  for (const { name, reply } of out.results) {
    assert.notEqual(reply?.ok, true, `${name}: must not succeed`);
    if (typeof reply === 'object') assert.ok(!reply.keys.includes('file') && !reply.keys.includes('entries'), `${name}: discloses nothing`);
  }
  // Every request with a usable id is answered (a refusal), not silently dropped.
  for (const name of ['getFile claiming site-a', 'lookup claiming site-a', 'writeBegin claiming site-a', 'origin via own __proto__',
    'constructor key', 'internal: commit', 'internal: setPolicy', 'uppercase hex', '257 hashes', '101 origins',
    'writeChunk 4 MiB + 1', 'deep nesting']) {
    assert.notEqual(byName[name], 'timeout', `${name}: answered`);
    assert.equal(byName[name].ok, false, `${name}: refused`);
  }
  assert.match(byName['getFile claiming site-a'].error.message, /origin/, 'the claimed origin is what is refused');
  assert.ok(out.hijack.every((r) => r === 'InvalidStateError'), `no write id is reachable: ${[...new Set(out.hijack)]}`);
  assert.equal(out.alive.ok, false);
  assert.equal(out.alive.error.name, 'NotFoundError', 'the hub still answers a valid request');
  const summary = {};
  for (const { name, reply } of out.results) summary[reply === 'timeout' ? 'no reply' : reply.error?.name ?? 'ok'] = (summary[reply === 'timeout' ? 'no reply' : reply.error?.name ?? 'ok'] ?? 0) + 1;
  console.log(`# ${out.results.length} hand-made messages: ${JSON.stringify(summary)}; ${out.hijack.length} write-id hijacks all InvalidStateError`);
});

test(`${FUZZ_MESSAGES} random mutations of valid requests: nothing disclosed or stored, the hub keeps answering`, { timeout: 180_000 }, async () => {
  const before = await inspectStore(launched, server);
  // The victim keeps a write open meanwhile; it must finish untouched.
  await victim.page.evaluate(async () => {
    const bytes = cosT.randomBytes(200_000, 99);
    window.openWrite = { bytes, hex: await cosT.sha256(bytes) };
    const h = await navigator.crossOriginStorage.getFileHandle({ algorithm: 'SHA-256', value: window.openWrite.hex }, { create: true });
    window.openWrite.w = await h.createWritable();
    await window.openWrite.w.write(bytes.subarray(0, 100_000));
  });
  const out = await attacker.page.evaluate(async ({ count, secrets, siteA }) => {
    const hub = await cosT.rawHub();
    let seed = 12345;
    const rnd = (n) => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return (seed >>> 0) % n; };
    const H = (value) => ({ algorithm: 'SHA-256', value });
    const hexes = [secrets.sameSite, secrets.listed, 'f'.repeat(64), '0'.repeat(64)];
    const pool = () => [null, undefined, -1, 0, 1, 2 ** 53, NaN, Infinity, 1e300, '', 'x'.repeat(5000), siteA, '*', [], {}, [siteA],
      true, new ArrayBuffer(8), new Blob(['x']), 10n, new Date(0), /re/, new Map([[1, 2]]), new Set([1]),
      JSON.parse('{"__proto__":{"ok":true}}'), { algorithm: 'SHA-256', value: hexes[rnd(4)] }, H(hexes[rnd(4)]).value][rnd(27)];
    const keys = ['origin', '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'then', 'valueOf', 'writeId', 'data', 'hashes', 'hash', 'origins', 'type', 'v', 'id', 'position', 'size'];
    const templates = [
      () => ({ v: 1, type: 'lookup', hashes: [H(hexes[rnd(4)])] }),
      () => ({ v: 1, type: 'getFile', hash: H(hexes[rnd(4)]) }),
      () => ({ v: 1, type: 'writeBegin', hash: H(hexes[rnd(4)]), origins: rnd(2) ? ['*'] : [siteA] }),
      () => ({ v: 1, type: 'writeChunk', writeId: 1 + rnd(4), data: new ArrayBuffer(rnd(64)) }),
      () => ({ v: 1, type: 'writeSeek', writeId: 1 + rnd(4), position: rnd(1000) }),
      () => ({ v: 1, type: 'writeTruncate', writeId: 1 + rnd(4), size: rnd(1000) }),
      () => ({ v: 1, type: 'writeClose', writeId: 1 + rnd(4) }),
      () => ({ v: 1, type: 'writeAbort', writeId: 1 + rnd(4) }),
      () => ({ v: 1, type: 'status' }),
    ];
    let nextId = 10_000;
    const tally = { replies: 0, noReply: 0, noReplyWithId: 0, ok: {}, errors: {}, disclosed: 0 };
    const batch = 50;
    for (let start = 0; start < count; start += batch) {
      const sends = [];
      for (let i = start; i < Math.min(count, start + batch); i++) {
        const m = templates[rnd(templates.length)]();
        m.id = ++nextId;
        const mutations = 1 + rnd(3);
        for (let k = 0; k < mutations; k++) {
          const op = rnd(4);
          const key = keys[rnd(keys.length)];
          if (op === 0) delete m[key];
          else if (op === 1) Object.defineProperty(m, key, { value: pool(), enumerable: true, configurable: true, writable: true });
          else if (op === 2 && m.hash && typeof m.hash === 'object') Object.defineProperty(m.hash, keys[rnd(keys.length)], { value: pool(), enumerable: true, configurable: true, writable: true });
          else if (op === 3 && Array.isArray(m.hashes)) m.hashes.push(pool());
        }
        const usableId = Number.isSafeInteger(m.id) && m.id >= 1 && Object.getOwnPropertyDescriptor(m, 'id');
        if (!usableId) { try { hub.port.postMessage(m); } catch (e) { tally.errors[`post:${e.name}`] = (tally.errors[`post:${e.name}`] ?? 0) + 1; } tally.withoutId = (tally.withoutId ?? 0) + 1; continue; }
        sends.push(hub.send(m, [], 5000).then((r) => {
          if (r === 'timeout') { tally.noReply++; if (usableId && m.id > 10_000) tally.noReplyWithId++; return; }
          if (r.postError) { tally.errors[`post:${r.postError}`] = (tally.errors[`post:${r.postError}`] ?? 0) + 1; return; }
          tally.replies++;
          if (r.ok) tally.ok[m.type] = (tally.ok[m.type] ?? 0) + 1;
          else tally.errors[r.error.name] = (tally.errors[r.error.name] ?? 0) + 1;
          if (r.ok && ('file' in r || (r.entries && r.entries.length))) tally.disclosed++;
        }));
      }
      await Promise.all(sends);
    }
    const alive = await hub.send({ v: 1, id: ++nextId, type: 'getFile', hash: H(secrets.sameSite) });
    const api = await cosT.read(secrets.listed);
    return { tally, alive, api };
  }, { count: FUZZ_MESSAGES, secrets, siteA: server.origin('site-a.test') });
  console.log(`# fuzz: ${JSON.stringify(out.tally)}`);
  assert.equal(out.tally.disclosed, 0, 'no mutated request disclosed a file or an entry');
  assert.equal(out.tally.noReplyWithId, 0, 'every request with a fresh usable id was answered');
  assert.equal(out.alive.ok, false);
  assert.equal(out.alive.error.name, 'NotFoundError', 'the hub still answers; the secret stays hidden');
  assert.equal(out.api.name, 'NotFoundError', 'the listed entry stays hidden from evil.test through the API');

  const victimAfter = await victim.page.evaluate(async (s) => {
    const w = window.openWrite;
    await w.w.write(w.bytes.subarray(100_000));
    await w.w.close();
    return { open: await cosT.read(w.hex), same: await cosT.read(s.sameSite), listed: await cosT.read(s.listed), hex: w.hex };
  }, secrets);
  assert.equal(victimAfter.open.hex, victimAfter.hex, 'the victim\'s open write finished with its bytes');
  assert.equal(victimAfter.same.hex, secrets.sameSite);
  assert.equal(victimAfter.listed.hex, secrets.listed);

  await attacker.page.close();
  // The worker aborts a closed frame's open writes when its port closes; give it a moment.
  let afterStore;
  for (let i = 0; i < 10; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    afterStore = await inspectStore(launched, server, { hashBlobs: false });
    if (afterStore.tmp.length === 0) break;
  }
  tmpLeft = afterStore.tmp;
  console.log(`# temporary files left 10 s after the attacker's page closed: ${afterStore.tmp.length}`);
  afterStore = await inspectStore(launched, server);
  const names = (s) => s.blobs.map((b) => b.name);
  assert.deepEqual(names(afterStore).filter((n) => !names(before).includes(n)), [victimAfter.hex], 'only the victim\'s new entry was added');
  for (const b of afterStore.blobs) assert.equal(b.hex, b.name, `blob ${b.name} holds its bytes`);
});

// The writes the fuzz test above left open (mutated writeBegin requests) end when its page
// closes: the hub frame's lifetime lock tells the worker (no port close event in Chromium).
test('writes left open by a page that closed leave no temporary files', () => {
  assert.ok(tmpLeft, 'the fuzz test ran');
  assert.deepEqual(tmpLeft, [], 'no temporary file left once the attacker is gone');
});
