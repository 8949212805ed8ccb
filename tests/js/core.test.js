// The Wasm core from Node: the same vectors as GoogleTest, through dist/cos-core.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomFillSync } from 'node:crypto';
import { loadCore } from '../../dist/cos-core.mjs';

const core = await loadCore();

const hex = (s) => createHash('sha256').update(s).digest('hex');
const streamHex = (chunks) => {
  const s = new core.Sha256Stream();
  try {
    for (const c of chunks) s.update(c);
    return s.digestHex();
  } finally {
    s.delete();
  }
};

test('NIST SHA-256 vectors', () => {
  const enc = new TextEncoder();
  const vectors = [
    ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    ['abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq',
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1'],
    ['abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu',
      'cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1'],
  ];
  for (const [msg, want] of vectors) assert.equal(streamHex([enc.encode(msg)]), want, msg);
  assert.equal(streamHex([new Uint8Array(1e6).fill(0x61)]),
    'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
});

test('chunked updates around the block edge equal the one-shot digest', () => {
  const data = randomFillSync(new Uint8Array(3 * 4097 + 11));
  const want = hex(data);
  for (const size of [1, 3, 55, 56, 63, 64, 65, 127, 4097]) {
    const chunks = [];
    for (let off = 0; off < data.length; off += size) chunks.push(data.subarray(off, off + size));
    assert.equal(streamHex(chunks), want, `chunk size ${size}`);
  }
});

test('update accepts any BufferSource view and ArrayBuffer', () => {
  const data = randomFillSync(new Uint8Array(1000));
  const want = hex(data);
  assert.equal(streamHex([data.buffer]), want);
  assert.equal(streamHex([new DataView(data.buffer, 0, 500), new Uint16Array(data.buffer, 500, 250)]), want);
});

test('a stream can be reset and reused; bytesHashed counts', () => {
  const s = new core.Sha256Stream();
  s.update(new Uint8Array([1, 2, 3]));
  assert.equal(s.bytesHashed, 3);
  s.reset();
  assert.equal(s.bytesHashed, 0);
  s.update(new TextEncoder().encode('abc'));
  assert.equal(s.digestHex(), hex('abc'));
  assert.equal(s.bytesHashed, 0, 'digestHex resets');
  s.delete();
});

test('1 GiB in 1 MiB chunks equals node:crypto while Wasm memory stays below 32 MB', () => {
  const chunk = randomFillSync(new Uint8Array(1 << 20));
  const ours = new core.Sha256Stream();
  const ref = createHash('sha256');
  for (let i = 0; i < 1024; i++) {
    new DataView(chunk.buffer).setUint32(0, i);  // every chunk differs
    ours.update(chunk);
    ref.update(chunk);
  }
  assert.equal(ours.digestHex(), ref.digest('hex'));
  ours.delete();
  const wasmBytes = core.raw.HEAPU8.buffer.byteLength;
  assert.ok(wasmBytes < 32 * 1024 * 1024, `Wasm memory is ${wasmBytes} bytes`);
});

test('parseHashId follows SPEC §2', () => {
  const v = hex('abc');
  const ok = core.parseHashId({ algorithm: 'sha-256', value: v });
  assert.deepEqual([ok.ok, ok.algorithm, ok.value, ok.statusName], [true, 'SHA-256', v, 'Ok']);
  const cases = [
    [{ algorithm: 'md5', value: v }, 'InvalidAlgorithm'],
    [{ algorithm: 'foo', value: v }, 'InvalidAlgorithm'],
    [{ algorithm: 'SHA-384', value: v }, 'UnsupportedAlgorithm'],
    [{ value: v }, 'InvalidAlgorithm'],
    [{ algorithm: 'SHA-256', value: v.slice(1) }, 'InvalidHashValue'],
    [{ algorithm: 'SHA-256', value: v + 'a' }, 'InvalidHashValue'],
    [{ algorithm: 'SHA-256', value: v.toUpperCase() }, 'InvalidHashValue'],
    [{ algorithm: 'SHA-256', value: 'z'.repeat(64) }, 'InvalidHashValue'],
    [{ algorithm: 'SHA-256' }, 'InvalidHashValue'],
    [{ algorithm: Symbol('x'), value: v }, 'InvalidAlgorithm'],
    [{ algorithm: { toString() { throw new Error('hostile'); } }, value: v }, 'InvalidAlgorithm'],
    [null, 'InvalidAlgorithm'],
    ['SHA-256', 'InvalidAlgorithm'],
  ];
  for (const [input, name] of cases) {
    const r = core.parseHashId(input);
    assert.equal(r.ok, false);
    assert.equal(r.statusName, name, JSON.stringify(input) ?? String(input));
    assert.equal(r.status, core.Status[name]);
  }
});

test('integrity (SRI) round trip', () => {
  const v = hex('abc');
  const sri = core.hexToIntegrity(v);
  assert.equal(sri, 'sha256-' + createHash('sha256').update('abc').digest('base64'));
  assert.equal(core.parseIntegrity(`sha512-xyz ${sri}`).value, v);
  assert.equal(core.parseIntegrity('sha384-abc').statusName, 'InvalidIntegrity');
  assert.equal(core.hexToIntegrity('nothex'), null);
});

test('origins and sites', () => {
  const o = core.parseOrigin('HTTPS://Example.COM:443/path?q#f');
  assert.equal(o.ok, true);
  assert.equal(o.origin, 'https://example.com');
  assert.equal(o.site, 'https://example.com');
  assert.equal(core.parseOrigin('http://127.0.0.1:8080/').origin, 'http://127.0.0.1:8080');
  assert.equal(core.parseOrigin('data:text/plain,hi').statusName, 'OpaqueOrigin');
  assert.equal(core.parseOrigin('null').statusName, 'OpaqueOrigin');
  assert.equal(core.parseOrigin('not a url').statusName, 'InvalidOrigin');
  assert.equal(core.siteOf('https://x.example.co.uk'), 'https://example.co.uk');
  assert.equal(core.siteOf('garbage'), null);
  assert.equal(core.isSameSite('https://x.example.co.uk', 'https://y.example.co.uk'), true);
  assert.equal(core.isSameSite('https://a.github.io', 'https://b.github.io'), false);
  assert.equal(core.isSameSite('http://example.com', 'https://example.com'), false, 'schemeful');
  assert.equal(core.isSameSite('https://localhost:1', 'https://localhost:2'), true);
});

test('status names are exported once, from C++', () => {
  for (const [name, code] of Object.entries(core.Status)) assert.equal(core.statusName(code), name);
  assert.ok(Object.isFrozen(core.Status));
});
