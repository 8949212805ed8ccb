// What `npm pack` publishes: every export target and its types, the Wasm core (beside the
// ESM and in the hub folder), the whole hub folder, and nothing from tests, sources of the
// native core, or build trees. Needs dist/ built (npm run build).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

function packedFiles() {
  assert.ok(existsSync(join(root, 'dist', 'cos-polyfill.mjs')), 'dist/ is not built: run `npm run build` first');
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const [report] = JSON.parse(out);
  return new Set(report.files.map((f) => f.path));
}

const files = packedFiles();
const strip = (p) => p.replace(/^\.\//, '');

/** Every concrete file an `exports` entry can resolve to, under any condition. */
function exportTargets(value) {
  if (typeof value === 'string') return value.includes('*') ? [] : [strip(value)];
  return Object.values(value).flatMap(exportTargets);
}

test('every export target and types file is in the package', () => {
  const targets = Object.values(pkg.exports).flatMap(exportTargets);
  assert.ok(targets.length >= 14, 'the exports map lists the entry points');
  for (const target of targets) assert.ok(files.has(target), `${target} (from "exports") is packed`);
  for (const field of ['types', 'module']) assert.ok(files.has(strip(pkg[field])), `"${field}": ${pkg[field]} is packed`);
});

test('the Wasm core and the whole hub folder are in the package', () => {
  for (const f of ['dist/cos-core.mjs', 'dist/cos-core.wasm', 'dist/hub/cos-core.mjs', 'dist/hub/cos-core.wasm',
    'dist/hub/frame.html', 'dist/hub/hub-frame.js', 'dist/hub/hub-worker.js', 'dist/cos-polyfill.js',
    'dist/cos-polyfill.worker.js', 'README.md', 'package.json']) {
    assert.ok(files.has(f), `${f} is packed`);
  }
  // The hub folder is published whole (an operator copies it as is): everything the build put there.
  assert.equal(pkg.exports['./hub/*'], './dist/hub/*');
  for (const f of readdirSync(join(root, 'dist', 'hub'))) assert.ok(files.has(`dist/hub/${f}`), `dist/hub/${f} is packed`);
});

test('no tests, fixtures, native sources or build trees are published', () => {
  const forbidden = [
    /(^|\/)tests?\//, /\.test\.[cm]?[jt]s$/, /(^|\/)fixtures\//, /^src\//, /^bindings\//, /^build\//,
    /^third_party\//, /^tools\//, /^scripts\//, /^node_modules\//, /^web\/demo\//, /\.(cpp|h|cc)$/,
    /(^|\/)\.[^/]+$/, // dotfiles
  ];
  for (const f of files) {
    for (const pattern of forbidden) assert.doesNotMatch(f, pattern, `${f} must not be published`);
    if (f.endsWith('.ts')) assert.match(f, /^types\/.+\.d\.ts$/, `${f}: only declarations`);
  }
});
