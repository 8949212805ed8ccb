// node:test for js/hash.js: every SPEC §2 validation case for hash dictionaries and origins.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeHash, normalizeOrigins, normalizeOrigin, normalizeOptions, MAX_ORIGINS } from '../../js/hash.js';

const HEX = 'a'.repeat(32) + '0123456789abcdef'.repeat(2);

test('SHA-256 is matched case-insensitively and spelled canonically', () => {
  for (const algorithm of ['SHA-256', 'sha-256', 'Sha-256', 'sHa-256']) {
    assert.deepEqual(normalizeHash({ algorithm, value: HEX }), { algorithm: 'SHA-256', value: HEX });
  }
});

test('known Web Crypto digests other than SHA-256 are TypeErrors (unsupported)', () => {
  for (const algorithm of ['SHA-1', 'sha-384', 'SHA-512']) {
    assert.throws(() => normalizeHash({ algorithm, value: HEX }), { name: 'TypeError', message: /only SHA-256/ });
  }
});

test('unknown algorithm names are TypeErrors', () => {
  for (const algorithm of ['md5', 'foo', '', 'SHA256', 'SHA-256 ', 'sha-3', 'SHA-256\0', '\u017fha-256', 'ＳＨＡ-256']) {
    assert.throws(() => normalizeHash({ algorithm, value: HEX }), { name: 'TypeError', message: /not a known digest/ }, algorithm);
  }
});

test('value must be exactly 64 lowercase hex digits', () => {
  const bad = [HEX.slice(1), `${HEX}0`, HEX.toUpperCase(), `${HEX.slice(0, 63)}g`, `${HEX.slice(0, 63)} `, '', `0x${HEX.slice(2)}`];
  for (const value of bad) {
    assert.throws(() => normalizeHash({ algorithm: 'SHA-256', value }), { name: 'TypeError', message: /64 lowercase/ }, value);
  }
});

test('malformed dictionaries are TypeErrors', () => {
  for (const hash of [undefined, null, 'x', 42, {}, { algorithm: 'SHA-256' }, { value: HEX }, { algorithm: 256, value: HEX }, { algorithm: 'SHA-256', value: 42 }]) {
    assert.throws(() => normalizeHash(hash), TypeError);
  }
});

test('origins omitted or [] mean the same-site tier', () => {
  assert.deepEqual(normalizeOrigins(undefined), []);
  assert.deepEqual(normalizeOrigins([]), []);
  assert.deepEqual(normalizeOptions(undefined), { create: false, origins: [] });
  assert.deepEqual(normalizeOptions({}), { create: false, origins: [] });
});

test("'*' is the wildcard grant, alone or beside a list", () => {
  assert.deepEqual(normalizeOrigins('*'), ['*']);
  assert.deepEqual(normalizeOrigins(['https://a.example', '*', '*']), ['*', 'https://a.example']);
});

test('one origin string or an array, normalised by the URL parser', () => {
  assert.deepEqual(normalizeOrigins('https://a.example'), ['https://a.example']);
  assert.deepEqual(normalizeOrigins(['HTTPS://A.Example:443/path?q#f', 'https://b.example:8443']), ['https://a.example', 'https://b.example:8443']);
  assert.deepEqual(normalizeOrigins(['https://a.example', 'https://a.example/other']), ['https://a.example']);
  assert.deepEqual(normalizeOrigins(['http://localhost:8080']), ['http://localhost:8080']);
  assert.equal(normalizeOrigin('https://xn--nxasmq6b.example'), 'https://xn--nxasmq6b.example');
  assert.equal(normalizeOrigin('https://βόλος.example'), 'https://xn--nxasmm1c.example');
});

test('any iterable of strings is accepted (WebIDL sequence)', () => {
  assert.deepEqual(normalizeOrigins(new Set(['https://a.example'])), ['https://a.example']);
});

test('opaque origins (data:, about:, javascript:, null-origin URLs) are TypeErrors', () => {
  for (const entry of ['data:text/plain,hi', 'about:blank', 'javascript:alert(1)', 'mailto:x@y.z', 'file:///etc/passwd']) {
    assert.throws(() => normalizeOrigins([entry]), { name: 'TypeError', message: /opaque/ }, entry);
  }
});

test('strings that are not URLs are TypeErrors', () => {
  for (const entry of ['', 'example.com', '//a.example', 'https://', 'null', 'http://[::1', ' ']) {
    assert.throws(() => normalizeOrigins([entry]), { name: 'TypeError' }, entry);
  }
});

test('non-string entries and wrong types are TypeErrors', () => {
  for (const origins of [null, 42, true, {}, [42], [null], [['https://a.example']], [{ toString: () => 'https://a.example' }]]) {
    assert.throws(() => normalizeOrigins(origins), TypeError);
  }
});

test(`a list longer than the cap (${MAX_ORIGINS}) is a TypeError`, () => {
  const list = (n) => Array.from({ length: n }, (_, i) => `https://s${i}.example`);
  assert.equal(normalizeOrigins(list(MAX_ORIGINS)).length, MAX_ORIGINS);
  assert.throws(() => normalizeOrigins(list(MAX_ORIGINS + 1)), { name: 'TypeError', message: /more than/ });
  assert.ok(MAX_ORIGINS < 1000);
});

test('an endless iterable stops at the cap instead of hanging', () => {
  function* endless() { for (;;) yield 'https://a.example'; }
  assert.throws(() => normalizeOrigins(endless()), TypeError);
});

test('options: create coerces to boolean; non-object options are TypeErrors', () => {
  assert.deepEqual(normalizeOptions({ create: 1, origins: '*' }), { create: true, origins: ['*'] });
  assert.deepEqual(normalizeOptions(null), { create: false, origins: [] });
  for (const options of [1, 'x', true]) assert.throws(() => normalizeOptions(options), TypeError);
  assert.throws(() => normalizeOptions({ create: true, origins: ['data:,x'] }), TypeError);
});
