// Issue 6, packaging: the tarball `npm pack` makes, unpacked and served as is (its dist/hub on
// hub.test, the package under /node_modules/cos-polyfill/ on the site), used through an import
// map generated from its package.json "exports": `cos-polyfill/auto` installs from
// <meta name="cos-hub"> and shares one instance with `cos-polyfill`; `cos-polyfill/core`
// loads its Wasm in the browser; the classic `./auto` build honours data-fetch.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { launchBrowser } from './lib/browser.js';
import { REPO_ROOT } from './lib/certs.js';
import { PAGE_HELPERS } from './lib/product.js';
import { startServer } from './lib/server.js';

let server;
let work;
let pkgDir;
let pkg;

/** The file an export resolves to for a browser ESM import (conditions: import, default). */
function resolveExport(target) {
  if (typeof target === 'string') return target;
  return target.import ?? target.default;
}

before(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'cos-pack-'));
  const out = execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const [{ filename }] = JSON.parse(out);
  execFileSync('tar', ['-xzf', path.join(work, filename), '-C', work]);
  pkgDir = path.join(work, 'package');
  pkg = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));

  server = await startServer();
  server.serveStatic('hub.test', path.join(pkgDir, 'dist', 'hub'));
  server.serveStatic('site-a.test', pkgDir, { prefix: '/node_modules/cos-polyfill/' });
  const hub = server.url('hub.test', '/');
  const imports = {};
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    if (subpath.includes('*') || subpath === './package.json') continue;
    imports[subpath === '.' ? 'cos-polyfill' : `cos-polyfill/${subpath.slice(2)}`] =
      `/node_modules/cos-polyfill/${resolveExport(target).replace(/^\.\//, '')}`;
  }
  const html = (res, body) => {
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.end(`<!doctype html><meta charset="utf-8">${body}`);
  };
  server.route('site-a.test', '/esm.html', (req, res) => html(res, `
<meta name="cos-hub" content="${hub}">
<script type="importmap">${JSON.stringify({ imports })}</script>
<script type="module">
import 'cos-polyfill/auto';
import { status, onStatusChange } from 'cos-polyfill';
import { loadCore } from 'cos-polyfill/core';
window.result = (async () => {
  const installed = 'crossOriginStorage' in navigator;
  let s = status();
  if (s === 'connecting') s = await new Promise((resolve) => onStatusChange((next) => resolve(next)));
  const core = await loadCore();
  const stream = new core.Sha256Stream();
  const digest = stream.update(new TextEncoder().encode('abc')).digestHex();
  stream.delete();
  return { installed, status: s, polyfillStatus: navigator.crossOriginStorage.polyfill.status(), digest };
})();
</script>`));
  server.route('site-a.test', '/classic.html', (req, res) => html(res, `
<script src="/node_modules/cos-polyfill/${pkg.exports['./auto'].default.replace(/^\.\//, '')}" data-hub="${hub}" data-fetch></script>
<script>${PAGE_HELPERS}</script>`));
});

after(async () => {
  await server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('packaging: the packed tarball works in Chromium through its exports map', { timeout: 90_000 }, async () => {
  assert.equal(pkg.exports['./auto'].default, './dist/cos-polyfill.js', 'the classic build is ./auto\'s default');
  const launched = await launchBrowser({ mode: 'cookies-allowed' });
  try {
    const esm = await launched.newPage(server.url('site-a.test', '/esm.html'));
    const result = await esm.evaluate(() => window.result);
    assert.equal(result.installed, true, 'cos-polyfill/auto installed from <meta name="cos-hub">');
    assert.equal(result.status, 'shared', 'the packed hub folder serves a working hub');
    assert.equal(result.polyfillStatus, 'shared', 'cos-polyfill and cos-polyfill/auto share one instance');
    assert.equal(result.digest, 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', 'the packed Wasm core runs');

    const classic = await launched.newPage(server.url('site-a.test', '/classic.html'));
    assert.equal(await classic.evaluate(() => window.cosReady()), 'shared');
    assert.equal(await classic.evaluate(() => Symbol.for('cos-polyfill.fetch') in fetch), true, 'data-fetch wrapped fetch()');
  } finally {
    await launched.close();
  }
});
