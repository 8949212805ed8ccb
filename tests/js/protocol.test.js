// node:test for js/protocol.js: every validator accepts good messages and rejects each kind
// of bad one (unknown type, missing/extra/mistyped fields, oversize, prototype-pollution keys).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  REQUESTS, NOTICES, PROTOCOL_VERSION, CHUNK_BYTES, WINDOW_BYTES, MAX_LOOKUP_HASHES, MAX_ORIGIN_LENGTH,
  parseRequest, parseReply, parseNotice, parseHandshake, classify, handshake, isSerializedOrigin,
  makeRequest, makeReply, makeErrorReply, makeNotice, transferList, ProtocolError,
} from '../../js/protocol.js';
import { MAX_ORIGINS } from '../../js/hash.js';

const HASH = { algorithm: 'SHA-256', value: 'ab'.repeat(32) };
const ORIGIN = 'https://site-a.example';

/** One valid page → frame request per type. */
const GOOD_FIELDS = {
  lookup: { hashes: [HASH, HASH] },
  getFile: { hash: HASH },
  writeBegin: { hash: HASH, origins: ['*', 'https://b.example', 'http://localhost:8080'] },
  writeChunk: { writeId: 1, data: new ArrayBuffer(8) },
  writeSeek: { writeId: 1, position: 10 },
  writeTruncate: { writeId: 2, size: 0 },
  writeClose: { writeId: 3 },
  writeAbort: { writeId: 4 },
  status: {},
  showConsent: {},
};

/** One valid ok reply (worker → frame) per type. */
const GOOD_REPLIES = {
  lookup: { entries: [{ size: 3, type: 'application/wasm' }, { size: 0, type: '' }] },
  getFile: { file: new File(['abc'], HASH.value) },
  writeBegin: { writeId: 7 },
  writeChunk: { position: 8 },
  writeSeek: { position: 10 },
  writeTruncate: { size: 0 },
  writeClose: { size: 100 },
  writeAbort: {},
  status: {},
  showConsent: { status: 'shared' },
};

const req = (type, fields = GOOD_FIELDS[type], id = 1) => makeRequest(id, type, fields);
const rejects = (fn, pattern) => assert.throws(fn, (error) => error instanceof ProtocolError && error instanceof TypeError && (!pattern || pattern.test(error.message)));

test('the table lists exactly the documented request types', () => {
  assert.deepEqual(Object.keys(REQUESTS).sort(), Object.keys(GOOD_FIELDS).sort());
  assert.deepEqual(Object.keys(NOTICES.worker).sort(), ['progress', 'ready']);
  assert.deepEqual(Object.keys(NOTICES.frame).sort(), ['progress', 'ready', 'refused', 'status']);
  assert.ok(WINDOW_BYTES >= CHUNK_BYTES && WINDOW_BYTES <= 8 * CHUNK_BYTES, 'the window is a few chunks');
});

test('every request type validates page → frame, and relayed ones frame → worker', () => {
  for (const type of Object.keys(REQUESTS)) {
    const parsed = parseRequest(structuredClone(req(type)), 'page');
    assert.equal(parsed.type, type);
    assert.equal(parsed.id, 1);
    assert.equal(parsed.v, PROTOCOL_VERSION);
    if (REQUESTS[type].relay) {
      const stamped = parseRequest({ ...req(type), origin: ORIGIN }, 'frame');
      assert.equal(stamped.origin, ORIGIN);
    } else {
      rejects(() => parseRequest({ ...req(type), origin: ORIGIN }, 'frame'), /never relayed/);
    }
  }
});

test('parsed requests are fresh objects holding only known fields', () => {
  const message = req('writeSeek');
  const parsed = parseRequest(message, 'page');
  assert.notEqual(parsed, message);
  assert.deepEqual(Object.keys(parsed).sort(), ['id', 'position', 'type', 'v', 'writeId']);
});

test('a page message carrying an origin is rejected (the frame stamps the bound one)', () => {
  rejects(() => parseRequest({ ...req('lookup'), origin: ORIGIN }, 'page'), /must not carry an origin/);
});

test('a frame → worker message without a valid origin is rejected', () => {
  rejects(() => parseRequest(req('lookup'), 'frame'), /missing "origin"/);
  for (const origin of ['null', 'https://a.example/', 'https://A.example', 'data:,x', '*', 42, '', 'https://a.example:443']) {
    rejects(() => parseRequest({ ...req('lookup'), origin }, 'frame'), /origin/);
  }
});

test('envelope: wrong version, bad ids, unknown or malformed types are rejected', () => {
  for (const v of [0, 2, '1', undefined]) rejects(() => parseRequest({ ...req('status'), v }, 'page'), /\.v/);
  for (const id of [0, -1, 1.5, '1', null, 2 ** 53, NaN]) rejects(() => parseRequest({ ...req('status'), id }, 'page'), /\.id/);
  for (const type of ['nope', '', 'toString', 'hasOwnProperty', '__proto__', 'constructor', 42, null, 'lookup '.repeat(10)]) {
    rejects(() => parseRequest({ v: 1, id: 1, type }, 'page'), /type/);
  }
  for (const message of [null, undefined, 1, 'x', [], new Map(), Object.create({ v: 1 })]) rejects(() => parseRequest(message, 'page'));
});

test('the error carries the id when it was readable, so the frame can answer', () => {
  try {
    parseRequest({ v: 1, id: 9, type: 'nope' }, 'page');
    assert.fail('should throw');
  } catch (error) {
    assert.equal(error.id, 9);
  }
  try {
    parseRequest({ v: 1, id: 'x', type: 'status' }, 'page');
  } catch (error) {
    assert.equal(error.id, undefined);
  }
});

test('missing fields are rejected for every request type', () => {
  for (const type of Object.keys(REQUESTS)) {
    for (const field of Object.keys(GOOD_FIELDS[type])) {
      const message = req(type);
      delete message[field];
      rejects(() => parseRequest(message, 'page'), /missing/);
    }
  }
});

test('extra fields are rejected for every request type', () => {
  for (const type of Object.keys(REQUESTS)) {
    rejects(() => parseRequest({ ...req(type), extra: 1 }, 'page'), /unknown field "extra"/);
  }
});

test('prototype-pollution keys are rejected at every depth', () => {
  const polluted = [
    JSON.parse(`{"v":1,"id":1,"type":"status","__proto__":{"admin":true}}`),
    JSON.parse(`{"v":1,"id":1,"type":"status","constructor":{"prototype":{}}}`),
    JSON.parse(`{"v":1,"id":1,"type":"status","prototype":1}`),
    JSON.parse(`{"v":1,"id":1,"type":"getFile","hash":{"algorithm":"SHA-256","value":"${HASH.value}","__proto__":{"x":1}}}`),
    JSON.parse(`{"v":1,"id":1,"type":"lookup","hashes":[{"algorithm":"SHA-256","value":"${HASH.value}","constructor":1}]}`),
  ];
  for (const message of polluted) {
    rejects(() => parseRequest(structuredClone(message), 'page'), /forbidden|unknown field/);
  }
  assert.equal({}.admin, undefined);
  const reply = JSON.parse(`{"v":1,"id":1,"ok":false,"error":{"name":"DataError","message":"m","__proto__":{}}}`);
  rejects(() => parseReply(reply, 'writeClose', 'worker'), /forbidden/);
  const notice = JSON.parse(`{"v":1,"type":"ready","status":"shared","__proto__":{}}`);
  rejects(() => parseNotice(notice, 'frame'), /forbidden/);
});

test('symbol keys and accessor properties are rejected', () => {
  rejects(() => parseRequest({ ...req('status'), [Symbol('s')]: 1 }, 'page'), /symbol/);
  const message = req('status');
  Object.defineProperty(message, 'type', { get: () => 'status', enumerable: true });
  rejects(() => parseRequest(message, 'page'), /data property/);
});

test('hash fields: only canonical SHA-256 and 64 lowercase hex', () => {
  const bad = [
    { algorithm: 'sha-256', value: HASH.value }, { algorithm: 'SHA-1', value: HASH.value },
    { algorithm: 'SHA-256', value: HASH.value.toUpperCase() }, { algorithm: 'SHA-256', value: HASH.value.slice(1) },
    { algorithm: 'SHA-256', value: `${HASH.value}00` }, { algorithm: 'SHA-256' }, { value: HASH.value },
    { ...HASH, extra: 1 }, null, 'x', [HASH],
  ];
  for (const hash of bad) rejects(() => parseRequest(req('getFile', { hash }), 'page'));
});

test('lookup: 1..MAX_LOOKUP_HASHES hashes in a dense array', () => {
  assert.equal(parseRequest(req('lookup', { hashes: Array(MAX_LOOKUP_HASHES).fill(HASH) }), 'page').hashes.length, MAX_LOOKUP_HASHES);
  rejects(() => parseRequest(req('lookup', { hashes: Array(MAX_LOOKUP_HASHES + 1).fill(HASH) }), 'page'), /more than/);
  rejects(() => parseRequest(req('lookup', { hashes: [] }), 'page'), /empty/);
  rejects(() => parseRequest(req('lookup', { hashes: HASH }), 'page'), /array/);
  const sparse = [HASH, , HASH]; // eslint-disable-line no-sparse-arrays
  rejects(() => parseRequest(req('lookup', { hashes: sparse }), 'page'), /dense/);
  const extra = [HASH];
  extra.evil = 1;
  rejects(() => parseRequest(req('lookup', { hashes: extra }), 'page'), /dense/);
});

test('writeBegin origins: serialised origins or *, no duplicates, capped, no oversize strings', () => {
  const ok = (origins) => parseRequest(req('writeBegin', { hash: HASH, origins }), 'page').origins;
  assert.deepEqual(ok([]), []);
  assert.deepEqual(ok(['*']), ['*']);
  const list = Array.from({ length: MAX_ORIGINS }, (_, i) => `https://s${i}.example`);
  assert.equal(ok(list).length, MAX_ORIGINS);
  const bad = [
    [...list, 'https://x.example'], ['https://a.example/'], ['https://A.example'], ['null'], ['data:,x'],
    ['https://a.example', 'https://a.example'], ['*', '*'], [42], 'https://a.example', '*',
    [`https://${'a'.repeat(MAX_ORIGIN_LENGTH)}.example`],
  ];
  for (const origins of bad) rejects(() => ok(origins));
});

test('writeChunk data: ArrayBuffer up to CHUNK_BYTES, or any Blob; nothing else', () => {
  assert.ok(parseRequest(req('writeChunk', { writeId: 1, data: new ArrayBuffer(CHUNK_BYTES) }), 'page'));
  assert.ok(parseRequest(req('writeChunk', { writeId: 1, data: new Blob(['x']) }), 'page'));
  rejects(() => parseRequest(req('writeChunk', { writeId: 1, data: new ArrayBuffer(CHUNK_BYTES + 1) }), 'page'), /larger/);
  for (const data of [new Uint8Array(4), 'text', null, {}, new SharedArrayBuffer(4), new DataView(new ArrayBuffer(2))]) {
    rejects(() => parseRequest(req('writeChunk', { writeId: 1, data }), 'page'), /ArrayBuffer or a Blob/);
  }
});

test('integers: writeId positive, position/size non-negative safe integers', () => {
  for (const writeId of [0, -1, 1.5, '1', 2 ** 53]) rejects(() => parseRequest(req('writeClose', { writeId }), 'page'), /writeId/);
  for (const position of [-1, 0.5, '3', 2 ** 53, Infinity]) rejects(() => parseRequest(req('writeSeek', { writeId: 1, position }), 'page'), /position/);
  for (const size of [-1, NaN, null]) rejects(() => parseRequest(req('writeTruncate', { writeId: 1, size }), 'page'), /size/);
});

test('every ok reply type validates; the frame adds access to status', () => {
  for (const [type, fields] of Object.entries(GOOD_REPLIES)) {
    const parsed = parseReply(makeReply(5, fields), type, type === 'showConsent' ? 'frame' : 'worker');
    assert.equal(parsed.ok, true);
    assert.equal(parsed.id, 5);
  }
  assert.equal(parseReply(makeReply(1, { access: 'partitioned' }), 'status', 'frame').access, 'partitioned');
  rejects(() => parseReply(makeReply(1, { access: 'shared', usage: 3 }), 'status', 'frame'), /unknown field "usage"/);
  assert.ok(parseReply(makeReply(1, {}), 'status', 'worker'));
  rejects(() => parseReply(makeReply(1, {}), 'status', 'frame'), /missing "access"/);
  rejects(() => parseReply(makeReply(1, { access: 'shared' }), 'status', 'worker'), /unknown field/);
});

test('bad ok replies are rejected', () => {
  const bad = [
    ['lookup', { entries: [{ size: -1, type: '' }] }], ['lookup', { entries: [{ size: 1 }] }],
    ['lookup', { entries: [{ size: 1, type: 'x'.repeat(300) }] }], ['lookup', {}],
    ['getFile', { file: 'bytes' }], ['getFile', { file: new ArrayBuffer(1) }],
    ['writeBegin', { writeId: 0 }], ['writeChunk', { position: -1 }], ['writeClose', {}],
    ['writeAbort', { extra: 1 }], ['showConsent', { status: 'connecting' }],
  ];
  for (const [type, fields] of bad) rejects(() => parseReply(makeReply(1, fields), type, type === 'showConsent' ? 'frame' : 'worker'));
  rejects(() => parseReply({ v: 1, id: 1, ok: 'yes' }, 'status', 'worker'), /ok/);
  rejects(() => parseReply(makeReply(1, {}), 'nope', 'worker'), /unknown request type/);
});

test('error replies: {name, message} with a sane name and a bounded message', () => {
  const parsed = parseReply(makeErrorReply(3, new DOMException('mismatch', 'DataError')), 'writeClose', 'worker');
  assert.deepEqual(parsed, { v: 1, id: 3, ok: false, error: { name: 'DataError', message: 'mismatch' } });
  const long = makeErrorReply(3, new Error('m'.repeat(10_000)));
  assert.ok(parseReply(long, 'status', 'frame'));
  for (const error of [{ name: 'bad name', message: 'm' }, { name: 'DataError' }, { name: 'DataError', message: 'm', stack: 's' }, 'DataError', null,
    { name: 'DataError', message: 'm'.repeat(5000) }]) {
    rejects(() => parseReply({ v: 1, id: 1, ok: false, error }, 'writeClose', 'worker'));
  }
  rejects(() => parseReply({ v: 1, id: 1, ok: false, error: { name: 'E', message: '' }, size: 3 }, 'writeClose', 'worker'), /unknown field/);
});

test('notices from the worker and the frame', () => {
  assert.deepEqual(parseNotice(makeNotice('ready'), 'worker'), { v: 1, type: 'ready' });
  assert.equal(parseNotice(makeNotice('ready', { version: '0.1.0', lock: 'cos-hub-alive' }), 'worker').lock, 'cos-hub-alive');
  assert.ok(parseNotice(makeNotice('progress', { writeId: 1, loaded: 10 }), 'worker'));
  assert.ok(parseNotice(makeNotice('ready', { status: 'partitioned' }), 'frame'));
  assert.equal(parseNotice(makeNotice('ready', { status: 'partitioned', reason: 'refused' }), 'frame').reason, 'refused');
  assert.ok(parseNotice(makeNotice('status', { status: 'unavailable', reason: 'gone' }), 'frame'));
  assert.ok(parseNotice(makeNotice('refused', { error: { name: 'NotAllowedError', message: 'opaque' } }), 'frame'));
  const bad = [
    [makeNotice('ready', { status: 'shared' }), 'worker'], [makeNotice('ready'), 'frame'],
    [makeNotice('ready', { status: 'unavailable' }), 'frame'], [makeNotice('status', { status: 'weird' }), 'frame'],
    [makeNotice('status', { status: 'shared', reason: 'r'.repeat(2000) }), 'frame'],
    [makeNotice('ready', { status: 'partitioned', reason: 'r'.repeat(2000) }), 'frame'],
    [makeNotice('refused', { error: {} }), 'frame'], [makeNotice('hello'), 'frame'], [makeNotice('ready'), 'page'],
    [makeNotice('progress', { writeId: 1 }), 'worker'], [{ type: 'ready' }, 'worker'],
    [makeNotice('ready', { version: 'v'.repeat(65) }), 'worker'],
  ];
  for (const [message, from] of bad) rejects(() => parseNotice(message, from));
});

test('handshake: exactly {v:1, type:"connect"} with exactly one port', () => {
  const { port1, port2 } = new MessageChannel();
  try {
    assert.equal(parseHandshake(handshake(), [port1]), port1);
    rejects(() => parseHandshake(handshake(), []), /one MessagePort/);
    rejects(() => parseHandshake(handshake(), [port1, port2]), /one MessagePort/);
    rejects(() => parseHandshake({ ...handshake(), origin: ORIGIN }, [port1]), /unknown field/);
    rejects(() => parseHandshake({ v: 1, type: 'lookup' }, [port1]), /connect/);
    rejects(() => parseHandshake('connect', [port1]));
  } finally {
    port1.close();
    port2.close();
  }
});

test('classify tells replies from notices', () => {
  assert.equal(classify(makeReply(1)), 'reply');
  assert.equal(classify(makeErrorReply(1, new Error('x'))), 'reply');
  assert.equal(classify(makeNotice('ready')), 'notice');
  assert.equal(classify(makeRequest(1, 'status')), 'invalid');
  for (const message of [null, 1, 'x', {}]) assert.equal(classify(message), 'invalid');
});

test('transferList moves a chunk ArrayBuffer and nothing else', () => {
  const data = new ArrayBuffer(4);
  assert.deepEqual(transferList(req('writeChunk', { writeId: 1, data })), [data]);
  assert.deepEqual(transferList(req('writeChunk', { writeId: 1, data: new Blob(['x']) })), []);
  assert.deepEqual(transferList(req('status')), []);
});

test('isSerializedOrigin accepts exactly serialised tuple origins', () => {
  for (const ok of ['https://a.example', 'http://localhost:8080', 'https://xn--nxasmm1c.example', 'http://127.0.0.1']) assert.ok(isSerializedOrigin(ok), ok);
  for (const bad of ['null', 'https://a.example/', 'HTTPS://a.example', 'https://a.example:443', 'data:,x', '', 42, null]) assert.ok(!isSerializedOrigin(bad), String(bad));
});

test('validators never crash on hostile (cloneable) values: always a ProtocolError', () => {
  let deep = HASH;
  for (let i = 0; i < 10_000; i++) deep = { hash: deep };
  const hostile = [
    { v: 1, id: 1, type: 'getFile', hash: deep },
    { v: 1, id: 1, type: 'x'.repeat(1_000_000) },
    { v: 1, id: 1, type: 'lookup', hashes: new Array(1_000_000) },
    { v: 1, id: 1, type: 'status', toString: 1 },
    { v: 1, id: 1, type: { toString() { return 'status'; } } },
    { v: 1, id: { valueOf() { return 1; } }, type: 'status' },
  ];
  for (const message of hostile) {
    rejects(() => parseRequest(message, 'page')); // the validators never recurse past known depth
  }
});
