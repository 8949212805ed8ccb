// js/integrations/fetch.js in Node: SRI parsing, hit Content-Type, the crossOriginStorage member,
// and pass-through of calls the integration must not touch (a recording base fetch, no hub).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { sha256FromIntegrity, contentTypeFor, originsOption, crossOriginStorageFetch } from '../../js/integrations/fetch.js';

const digest = (alg, text) => createHash(alg).update(text).digest();

test('sha256FromIntegrity: base64 and base64url, several tokens, options, junk ignored', () => {
  const a = digest('sha256', 'a');
  const b = digest('sha256', 'b');
  assert.deepEqual(sha256FromIntegrity(`sha256-${a.toString('base64')}`).hexes, [a.toString('hex')]);
  assert.deepEqual(sha256FromIntegrity(`  sha256-${a.toString('base64url')}?opt  bogus sha256-${b.toString('base64')} `).hexes,
    [a.toString('hex'), b.toString('hex')]);
  assert.deepEqual(sha256FromIntegrity(`SHA256-${a.toString('base64')}`).hexes, [a.toString('hex')], 'algorithm case-insensitive');
  assert.deepEqual(sha256FromIntegrity('sha256-AAAA').hexes, [], 'wrong digest length');
  assert.deepEqual(sha256FromIntegrity('').hexes, []);
  assert.deepEqual(sha256FromIntegrity(undefined).hexes, []);
});

test('sha256FromIntegrity: a stronger algorithm wins, so SHA-256 is not used', () => {
  const a = digest('sha256', 'a');
  const strong = digest('sha384', 'a');
  const result = sha256FromIntegrity(`sha256-${a.toString('base64')} sha384-${strong.toString('base64')}`);
  assert.deepEqual(result, { hexes: [], strongest: 'sha384' });
});

test('contentTypeFor: stored type, then extension, then octet-stream', () => {
  assert.equal(contentTypeFor('https://cdn.example/x.bin', 'application/wasm'), 'application/wasm');
  assert.equal(contentTypeFor('https://cdn.example/ort.WASM?v=2#h', ''), 'application/wasm');
  assert.equal(contentTypeFor('https://cdn.example/a/b.mjs', ''), 'text/javascript');
  assert.equal(contentTypeFor('https://cdn.example/a/model.onnx', ''), 'application/octet-stream');
  assert.equal(contentTypeFor('https://cdn.example/', ''), 'application/octet-stream');
});

test('originsOption: the fetch member and the HTML attribute forms', () => {
  assert.equal(originsOption(''), undefined);
  assert.equal(originsOption('*'), '*');
  assert.deepEqual(originsOption(' https://a.example  https://b.example '), ['https://a.example', 'https://b.example']);
  assert.deepEqual(originsOption(['https://a.example']), ['https://a.example']);
  assert.throws(() => originsOption(42), TypeError);
});

test('calls without crossOriginStorage, non-GET, or without SHA-256 integrity go to the base fetch untouched', async () => {
  const calls = [];
  const base = async (input, init) => { calls.push({ input, init }); return new Response('net'); };
  const storage = { getFileHandle: () => { throw new Error('storage must not be asked'); } };
  const a = digest('sha256', 'a').toString('base64');
  await crossOriginStorageFetch('https://x.example/a', undefined, { fetch: base, storage });
  await crossOriginStorageFetch('https://x.example/a', { method: 'POST', body: 'x', integrity: `sha256-${a}`, crossOriginStorage: '*' }, { fetch: base, storage });
  await crossOriginStorageFetch('https://x.example/a', { crossOriginStorage: '*' }, { fetch: base, storage });
  await crossOriginStorageFetch('https://x.example/a', { integrity: `sha256-${a}`, headers: { range: 'bytes=0-1' }, crossOriginStorage: '*' }, { fetch: base, storage });
  assert.equal(calls.length, 4);
  assert.equal(calls[0].init, undefined);
  assert.ok(!('crossOriginStorage' in calls[1].init), 'our members are not passed on');
});
