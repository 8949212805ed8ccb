// tools/cos_manifest.cpp (build/native/cos-manifest): the manifest of a temp folder against
// node:crypto, its determinism and format, and that the Transformers.js adapter accepts it.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseManifest } from '../../js/integrations/transformers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(root, 'build/native/cos-manifest');
const MiB = 1 << 20;
let dir;
let expected;

before(() => {
  assert.ok(existsSync(CLI), `${CLI} is missing: run \`npm run build\``);
  dir = mkdtempSync(path.join(tmpdir(), 'cos-manifest-'));
  const files = {
    'config.json': Buffer.from('{"model_type":"bert"}\n'),
    'empty.txt': Buffer.alloc(0),
    'onnx/model.onnx': randomBytes(MiB + 1), // one past the CLI's chunk
    'onnx/model.onnx_data': randomBytes(2 * MiB - 1),
    'onnx/sub/deeper/x.bin': randomBytes(64),
    'B-upper.txt': Buffer.from('sorted before lowercase'),
    'quote"and\\slash é.txt': Buffer.from('name needs JSON escaping'),
  };
  for (const [p, bytes] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    writeFileSync(path.join(dir, p), bytes);
  }
  // Hidden entries are not part of a model; a symlink (as in the HF cache) is followed.
  mkdirSync(path.join(dir, '.git/objects'), { recursive: true });
  writeFileSync(path.join(dir, '.git/objects/blob'), 'git internals');
  writeFileSync(path.join(dir, '.gitattributes'), '*.onnx filter=lfs');
  symlinkSync(path.join(dir, 'config.json'), path.join(dir, 'linked.json'));
  files['linked.json'] = files['config.json'];
  expected = Object.fromEntries(Object.entries(files)
    .map(([p, b]) => [p, { sha256: createHash('sha256').update(b).digest('hex'), size: b.length }]));
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('every file, hashed as node:crypto does, paths relative and sorted bytewise', () => {
  const out = execFileSync(CLI, [dir], { encoding: 'utf8' });
  const manifest = JSON.parse(out);
  assert.deepEqual(manifest, expected);
  const keys = Object.keys(manifest);
  assert.deepEqual(keys, [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
  assert.ok(!keys.some((k) => k.startsWith('.') || k.includes('/.')), 'no hidden entries');
});

test('deterministic: the same bytes twice, and -o writes what stdout prints', () => {
  const first = execFileSync(CLI, [dir]);
  const second = execFileSync(CLI, [dir]);
  assert.ok(first.equals(second));
  assert.ok(execFileSync(CLI, [`${dir}/`]).equals(first), 'a trailing slash changes nothing');
  const file = path.join(tmpdir(), `cos-manifest-${process.pid}.json`);
  try {
    execFileSync(CLI, [dir, '-o', file]);
    assert.ok(readFileSync(file).equals(first));
  } finally {
    rmSync(file, { force: true });
  }
});

test('the Transformers.js adapter accepts the output', () => {
  const files = parseManifest(JSON.parse(execFileSync(CLI, [dir], { encoding: 'utf8' })));
  assert.equal(files.get('onnx/model.onnx').size, MiB + 1);
  assert.equal(files.get('onnx/model.onnx').sha256, expected['onnx/model.onnx'].sha256);
});

test('an empty folder is {}; a missing folder or bad arguments fail', () => {
  const empty = mkdtempSync(path.join(tmpdir(), 'cos-manifest-empty-'));
  try {
    assert.deepEqual(JSON.parse(execFileSync(CLI, [empty], { encoding: 'utf8' })), {});
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
  assert.equal(spawnSync(CLI, [path.join(dir, 'nope')]).status, 1);
  assert.equal(spawnSync(CLI, [path.join(dir, 'config.json')]).status, 1);
  assert.equal(spawnSync(CLI, []).status, 2);
  assert.equal(spawnSync(CLI, [dir, '--bogus']).status, 2);
});
