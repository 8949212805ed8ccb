// node:test for js/writable.js, driven through a real MessageChannel to a TEST responder
// that only records requests and answers them with canned replies (not a hub).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CrossOriginStorageWritableFileStream, normalizeWrite } from '../../js/writable.js';
import { HubClient } from '../../js/polyfill.js';
import { CHUNK_BYTES } from '../../js/protocol.js';

/**
 * Test responder: records every request; answers with `replies[type](request)` (throw to send
 * an error reply); with `hold`, chunk replies wait until `release()`.
 */
function testResponder(port, { replies = {}, hold = false } = {}) {
  const log = [];
  const held = [];
  const defaults = { writeBegin: () => ({ writeId: 1 }), writeChunk: () => ({ position: 0 }), writeSeek: (r) => ({ position: r.position }), writeTruncate: (r) => ({ size: r.size }), writeClose: () => ({ size: 0 }), writeAbort: () => ({}) };
  const answer = (request) => {
    let reply;
    try {
      reply = { ...(replies[request.type] ?? defaults[request.type])(request), v: 1, id: request.id, ok: true };
    } catch (error) {
      reply = { v: 1, id: request.id, ok: false, error: { name: error.name, message: error.message } };
    }
    port.postMessage(reply);
  };
  port.onmessage = ({ data }) => {
    log.push(data);
    if (hold && data.type === 'writeChunk') held.push(data);
    else answer(data);
  };
  port.postMessage({ v: 1, type: 'ready', status: 'shared' });
  return { log, held, release() { for (const r of held.splice(0)) answer(r); }, types: () => log.map((m) => m.type) };
}

function setup(options = {}, writableOptions = {}) {
  const { port1, port2 } = new MessageChannel();
  const client = new HubClient();
  client.attach(port1);
  const responder = testResponder(port2, options);
  const writable = new CrossOriginStorageWritableFileStream({ client, writeId: 1, ...writableOptions });
  const done = () => { port1.close(); port2.close(); };
  return { client, responder, writable, done };
}

/**
 * Polls `check` (may be async) until it returns true; fails after `ms`. Used instead of a
 * fixed sleep before asserting that something happened: on a loaded machine (CI's two cores
 * busy) a 10 ms timer can fire before the message it waits for is delivered.
 */
async function eventually(check, what, ms = 5_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

const bytesOf = (message) => new Uint8Array(message.data);
const chunks = (log) => log.filter((m) => m.type === 'writeChunk');
/** Every byte the hub received, in order (bytes are staged: several writes may share a chunk). */
const sent = (log) => Buffer.concat(chunks(log).map(bytesOf));

test('it is a real WritableStream with the FileSystemWritableFileStream methods', () => {
  const { writable, done } = setup();
  assert.ok(writable instanceof WritableStream);
  for (const method of ['write', 'seek', 'truncate', 'close', 'abort', 'getWriter']) assert.equal(typeof writable[method], 'function');
  done();
});

test('strings are written as UTF-8; numbers are stringified like WebIDL USVString', async () => {
  const { writable, responder, done } = setup();
  await writable.write('héllo ✓');
  await writable.write(42);
  await writable.close();
  assert.equal(sent(responder.log).toString('utf8'), 'héllo ✓42');
  assert.equal(responder.types().at(-1), 'writeClose');
  done();
});

test('BufferSources are copied exactly and the caller\'s buffer is never detached', async () => {
  const { writable, responder, done } = setup();
  const buffer = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7]).buffer;
  await writable.write(buffer);
  await writable.write(new Uint8Array(buffer, 2, 3));
  await writable.write(new DataView(buffer, 6, 2));
  await writable.write(new Uint16Array([0x0201]));
  await writable.close();
  assert.equal(buffer.byteLength, 8, 'not detached');
  assert.deepEqual([...sent(responder.log)], [0, 1, 2, 3, 4, 5, 6, 7, 2, 3, 4, 6, 7, 1, 2]);
  for (const m of chunks(responder.log)) assert.ok(m.data instanceof ArrayBuffer);
  done();
});

test('a Blob is handed to the hub as a Blob, never read into the page', async () => {
  const { writable, responder, done } = setup();
  const blob = new Blob(['x'.repeat(10_000)]);
  const arrayBuffer = blob.arrayBuffer;
  blob.arrayBuffer = () => assert.fail('the page must not read the Blob');
  blob.stream = () => assert.fail('the page must not read the Blob');
  await writable.write(blob);
  await writable.write({ type: 'write', data: new Blob([]) }); // empty: nothing to send
  await writable.close();
  const [message] = chunks(responder.log);
  assert.equal(chunks(responder.log).length, 1);
  assert.ok(message.data instanceof Blob);
  assert.equal(message.data.size, 10_000);
  blob.arrayBuffer = arrayBuffer;
  done();
});

test('large buffers are cut into ≤ 4 MiB chunks, and later bytes fill the last one', async () => {
  const { writable, responder, done } = setup();
  const big = new Uint8Array(CHUNK_BYTES * 2 + 123);
  big[0] = 1; big[CHUNK_BYTES] = 2; big[CHUNK_BYTES * 2] = 3;
  await writable.write(big);
  await writable.write('s'.repeat(CHUNK_BYTES + 1));
  await writable.close();
  const sizes = chunks(responder.log).map((m) => m.data.byteLength);
  assert.deepEqual(sizes, [CHUNK_BYTES, CHUNK_BYTES, CHUNK_BYTES, 124]);
  assert.deepEqual(chunks(responder.log).slice(0, 3).map((m) => bytesOf(m)[0]), [1, 2, 3]);
  assert.equal(bytesOf(chunks(responder.log)[2])[123], 's'.charCodeAt(0));
  done();
});

test('seek, truncate and positioned writes reach the hub in call order', async () => {
  const { writable, responder, done } = setup();
  await writable.write('ab');
  await writable.seek(0);
  await writable.write('c');
  await writable.truncate(1);
  await writable.write({ type: 'write', position: 5, data: 'z' });
  await writable.write({ type: 'seek', position: 2 });
  await writable.write({ type: 'truncate', size: 9 });
  await writable.close();
  const ops = responder.log.map((m) => [m.type, m.position ?? m.size ?? (m.data ? new TextDecoder().decode(m.data) : undefined)]);
  assert.deepEqual(ops, [
    ['writeChunk', 'ab'], ['writeSeek', 0], ['writeChunk', 'c'], ['writeTruncate', 1],
    ['writeSeek', 5], ['writeChunk', 'z'], ['writeSeek', 2], ['writeTruncate', 9], ['writeClose', undefined],
  ]);
  assert.ok(responder.log.every((m) => m.writeId === 1 && !('origin' in m)));
  done();
});

test('small writes are staged into whole chunks: one message per chunk, the caller\'s buffer free at once', async () => {
  const { writable, responder, done } = setup({}, { chunkBytes: 1024 });
  const piece = new Uint8Array(100);
  const expected = [];
  for (let i = 0; i < 100; i++) {
    piece.fill(i);
    await writable.write(piece);  // copied before write() resolves: the caller may refill it
    expected.push(...piece);
  }
  await writable.write({ type: 'seek', position: 0 });  // any other operation sends the staged bytes first
  await writable.write('z');
  await writable.close();
  const sizes = chunks(responder.log).map((m) => m.data.byteLength);
  assert.deepEqual(sizes, [...Array(9).fill(1024), 784, 1]);
  assert.deepEqual([...sent(responder.log)].slice(0, 10_000), expected);
  assert.deepEqual(responder.types().slice(-4), ['writeChunk', 'writeSeek', 'writeChunk', 'writeClose']);
  assert.equal(piece.byteLength, 100, 'never detached');
  done();
});

test('the in-flight window bounds memory whatever the size written', async () => {
  const chunkBytes = 1024;
  const windowBytes = 4 * chunkBytes;
  const { writable, responder, done } = setup({ hold: true }, { chunkBytes, windowBytes });
  const writing = writable.write(new Uint8Array(20 * chunkBytes));
  let maxHeld = 0;
  for (let round = 0; round < 2_000 && chunks(responder.log).length < 20; round++) {
    await new Promise((resolve) => setTimeout(resolve, 2));
    maxHeld = Math.max(maxHeld, responder.held.length);
    responder.release();
  }
  await writing;
  assert.equal(chunks(responder.log).length, 20);
  assert.ok(maxHeld > 0 && maxHeld <= 4, `at most 4 chunks in flight (saw ${maxHeld})`);
  responder.release();
  await writable.close();
  done();
});

test('a Blob waits for the window to empty, then fills it', async () => {
  const { writable, responder, done } = setup({ hold: true }, { chunkBytes: 8, windowBytes: 32 });
  const first = writable.write(new Uint8Array(8));
  const second = writable.write(new Blob(['blob']));
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(chunks(responder.log).length, 1, 'the Blob is not sent while bytes are in flight');
  responder.release();
  await first;
  await eventually(() => chunks(responder.log).length === 2, 'the Blob is sent once the window is empty');
  responder.release();
  await second;
  await writable.close();
  done();
});

test('close() resolves after a verified close and reports progress', async () => {
  const progress = [];
  let verified = 0;
  const { writable, done } = setup({ replies: { writeClose: () => ({ size: 5 }) } }, { onprogress: (p) => progress.push(p), onverified: (size) => { verified = size; } });
  await writable.write('abc');
  await writable.write(new Uint8Array(2));
  await writable.close();
  assert.equal(verified, 5);
  assert.deepEqual(progress, [{ loaded: 5, verified: false }, { loaded: 5, verified: true }]);
  done();
});

test('close() rejects with DataError on mismatch and then the writable is closed', async () => {
  const { writable, done } = setup({ replies: { writeClose: () => { throw new DOMException('The written bytes do not match the hash.', 'DataError'); } } });
  await writable.write('wrong');
  await assert.rejects(writable.close(), { name: 'DataError' });
  await assert.rejects(writable.write('more'), { name: 'InvalidStateError' });
  done();
});

test('use of a closed writable: InvalidStateError from our methods, TypeError from the raw stream', async () => {
  const { writable, done } = setup();
  await writable.close();
  await assert.rejects(writable.write('x'), { name: 'InvalidStateError' });
  await assert.rejects(writable.seek(0), { name: 'InvalidStateError' });
  await assert.rejects(writable.truncate(0), { name: 'InvalidStateError' });
  await assert.rejects(writable.close(), { name: 'InvalidStateError' });
  // (writer.write() on a closed stream trips an internal assertion in Node 20's streams, so
  // the raw-stream TypeError is checked through close(), which follows the same rule.)
  const writer = writable.getWriter();
  await assert.rejects(writer.close(), TypeError);
  done();
});

test('a failed chunk errors the stream, and the hub is told to abort', async () => {
  let n = 0;
  const { writable, responder, done } = setup({
    replies: { writeChunk: () => { if (++n === 2) throw new DOMException('full', 'QuotaExceededError'); return { position: 0 }; } },
  }, { chunkBytes: 1 });  // every 1-byte write is a whole chunk, sent at once
  await writable.write('a');
  await writable.write('b'); // sent; its failure surfaces on a later call (once its reply is in)
  await eventually(async () => {
    try {
      await writable.write('c');
      return false;
    } catch (error) {
      assert.equal(error.name, 'QuotaExceededError');
      return true;
    }
  }, 'a later write() rejects with the failed chunk\'s error');
  await assert.rejects(writable.close(), { name: 'QuotaExceededError' });
  await assert.rejects(writable.getWriter().closed, { name: 'QuotaExceededError' });
  await eventually(() => responder.types().includes('writeAbort'), 'the hub is told to abort');
  assert.ok(!responder.types().includes('writeClose'));
  done();
});

test('bad write arguments are TypeErrors', async () => {
  for (const bad of [undefined, null, Symbol('s'), {}, { type: 'bogus' }, { type: 'seek' }, { type: 'seek', position: -1 },
    { type: 'truncate' }, { type: 'truncate', size: 1.5 }, { type: 'write' }, { type: 'write', data: null },
    { type: 'write', data: 'x', position: -2 }, { type: 'write', data: {} }, new SharedArrayBuffer(1)]) {
    assert.throws(() => [...normalizeWrite(bad)], TypeError, String(bad?.type ?? typeof bad));
  }
  const { writable, responder, done } = setup();
  await assert.rejects(writable.write({ type: 'nope' }), TypeError);
  await eventually(() => responder.types().includes('writeAbort'), 'the errored write is abandoned at the hub');
  done();
});

test('write() on a locked stream is a TypeError (the platform rule)', async () => {
  const { writable, done } = setup();
  const writer = writable.getWriter();
  await assert.rejects(writable.write('x'), TypeError);
  await assert.rejects(writable.close(), TypeError);
  writer.releaseLock();
  await writable.write('x'); // unlocked again: usable, close() was not consumed by the failure
  await writable.close();
  done();
});

test('pipeTo streams chunks and closes (verifying) at the end', async () => {
  const { writable, responder, done } = setup();
  const source = new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('one '));
      controller.enqueue('two ');
      controller.enqueue(new Blob(['three']));
      controller.close();
    },
  });
  await source.pipeTo(writable);
  // 'one ' and 'two ' share a chunk, sent before the Blob (operations keep their order).
  assert.deepEqual(responder.types(), ['writeChunk', 'writeChunk', 'writeClose']);
  assert.equal(new TextDecoder().decode(bytesOf(responder.log[0])), 'one two ');
  assert.ok(responder.log[1].data instanceof Blob);
  await assert.rejects(writable.write('x'), { name: 'InvalidStateError' });
  done();
});

test('abort() tells the hub to drop the write, and drops what is staged', async () => {
  const { writable, responder, done } = setup({}, { chunkBytes: 4 });
  await writable.write('partial');  // one whole chunk goes out, 'ial' stays staged
  await writable.abort(new Error('user cancelled'));
  assert.deepEqual(responder.types(), ['writeChunk', 'writeAbort']);
  assert.equal(new TextDecoder().decode(bytesOf(responder.log[0])), 'part');
  await assert.rejects(writable.write('x'), { name: 'InvalidStateError' });
  done();
});

test('progress notices from the hub advance onprogress during a Blob write', async () => {
  const progress = [];
  const { port1, port2 } = new MessageChannel();
  const client = new HubClient();
  client.attach(port1);
  port2.onmessage = ({ data }) => {
    if (data.type === 'writeChunk') port2.postMessage({ v: 1, type: 'progress', writeId: 1, loaded: 50 });
    setTimeout(() => port2.postMessage({ v: 1, id: data.id, ok: true, ...(data.type === 'writeClose' ? { size: 100 } : { position: 100 }) }), 5);
  };
  port2.postMessage({ v: 1, type: 'ready', status: 'partitioned' });
  const writable = new CrossOriginStorageWritableFileStream({ client, writeId: 1, onprogress: (p) => progress.push(p.loaded) });
  await writable.write(new Blob(['x'.repeat(100)]));
  await writable.close();
  assert.deepEqual(progress, [50, 100, 100]);
  port1.close();
  port2.close();
});
