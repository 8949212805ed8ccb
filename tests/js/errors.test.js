// node:test for js/errors.js: the status → error table and {name, message} round trips.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  STATUS_ERROR_NAMES, STATUS_MESSAGES, NOT_FOUND_MESSAGE, MAX_ERROR_MESSAGE_LENGTH,
  errorFromStatus, serializeError, reviveError, makeError, notFoundError,
} from '../../js/errors.js';

const EXPECTED = {
  InvalidAlgorithm: 'TypeError',
  UnsupportedAlgorithm: 'TypeError',
  InvalidHashValue: 'TypeError',
  InvalidOrigin: 'TypeError',
  OpaqueOrigin: 'TypeError',
  TooManyOrigins: 'TypeError',
  InvalidIntegrity: 'TypeError',
  NotFound: 'NotFoundError',
  NotAllowed: 'NotAllowedError',
  DataMismatch: 'DataError',
  QuotaExceeded: 'QuotaExceededError',
  InvalidState: 'InvalidStateError',
  Corrupt: 'UnknownError',
};

test('every core status (src/status.h) maps to the right error name', () => {
  assert.deepEqual({ ...STATUS_ERROR_NAMES }, EXPECTED);
  for (const [status, name] of Object.entries(EXPECTED)) {
    const error = errorFromStatus(status);
    assert.equal(error.name, name, status);
    assert.equal(error.message, STATUS_MESSAGES[status], status);
    if (name === 'TypeError') assert.ok(error instanceof TypeError, `${status} is a real TypeError`);
    else assert.ok(error instanceof DOMException, `${status} is a DOMException`);
  }
});

test('the status names match those src/status.cpp exports', async () => {
  const { readFile } = await import('node:fs/promises');
  const source = await readFile(new URL('../../src/status.cpp', import.meta.url), 'utf8');
  const names = [...source.matchAll(/case Status::k(\w+): return "(\w+)";/g)]
    .filter((m) => m[1] === m[2] && m[1] !== 'Ok').map((m) => m[1]);
  assert.ok(names.length >= 13, 'found the status_name() table');
  for (const name of names) assert.ok(Object.hasOwn(STATUS_ERROR_NAMES, name), `${name} is in the table`);
});

test('unknown statuses become UnknownError, never crash', () => {
  for (const status of ['Nope', '', undefined, 42, '__proto__', 'constructor']) {
    assert.equal(errorFromStatus(status).name, 'UnknownError');
  }
});

test('a custom message is kept except for NotFound, which is uniform', () => {
  assert.equal(errorFromStatus('DataMismatch', 'custom').message, 'custom');
  assert.equal(errorFromStatus('NotFound', 'entry abc not visible to you').message, NOT_FOUND_MESSAGE);
  assert.equal(notFoundError().message, NOT_FOUND_MESSAGE);
});

test('serialise then revive keeps DOMException names and native classes', () => {
  const cases = [
    new TypeError('t'), new RangeError('r'), new Error('e'),
    new DOMException('d', 'DataError'), new DOMException('q', 'QuotaExceededError'),
    new DOMException('n', 'NotAllowedError'), new DOMException('i', 'InvalidStateError'),
    new DOMException('a', 'AbortError'), new DOMException('x', 'NetworkError'),
  ];
  for (const original of cases) {
    const wire = structuredClone(serializeError(original));
    assert.deepEqual(Object.keys(wire).sort(), ['message', 'name']);
    const revived = reviveError(wire);
    assert.equal(revived.name, original.name);
    assert.equal(revived.message, original.message);
    assert.equal(revived.constructor, original.constructor);
  }
});

test('a revived NotFoundError always carries the uniform message', () => {
  const revived = reviveError({ name: 'NotFoundError', message: 'leaky detail' });
  assert.equal(revived.name, 'NotFoundError');
  assert.equal(revived.message, NOT_FOUND_MESSAGE);
});

test('serialise copes with odd throwables', () => {
  assert.deepEqual(serializeError('boom'), { name: 'UnknownError', message: 'boom' });
  assert.deepEqual(serializeError(undefined), { name: 'UnknownError', message: 'unknown error' });
  assert.deepEqual(serializeError(null), { name: 'UnknownError', message: 'unknown error' });
  assert.deepEqual(serializeError({ name: 'bad name!', message: 5 }), { name: 'UnknownError', message: 'unknown error' });
  const hostile = { get name() { throw new Error('x'); }, get message() { throw new Error('y'); } };
  assert.deepEqual(serializeError(hostile), { name: 'UnknownError', message: 'unknown error' });
  const long = serializeError(new Error('m'.repeat(5000)));
  assert.equal(long.message.length, MAX_ERROR_MESSAGE_LENGTH);
});

test('revive rejects malformed wire errors as UnknownError', () => {
  for (const wire of [null, 'x', 1, [], { name: '<script>', message: 'm' }, Object.create({ name: 'DataError' })]) {
    const error = reviveError(wire);
    assert.equal(error.name, 'UnknownError');
  }
});

test('makeError builds platform classes by name', () => {
  assert.ok(makeError('TypeError', 'm') instanceof TypeError);
  assert.ok(makeError('RangeError', 'm') instanceof RangeError);
  const d = makeError('DataError', 'm');
  assert.ok(d instanceof DOMException);
  assert.equal(d.code, 0); // DataError has no legacy code
  assert.equal(makeError('NotFoundError', 'm').code, DOMException.NOT_FOUND_ERR);
});
