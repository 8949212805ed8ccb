// Issue 6, progress and diagnostics: a long write reports progress through
// createWritable({onprogress}) up to a verified end; the console says clearly when the hub is
// unreachable and when storage is partitioned (and what the site can do about it).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { collectConsole, launchBrowser } from './lib/browser.js';
import { openSite, PAGE_HELPERS, startProductServer } from './lib/product.js';

let server;

before(async () => {
  server = await startProductServer();
  const missingHub = server.url('hub.test', '/no-such-hub/');
  server.route('site-a.test', '/unreachable.html', (req, res) => {
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.end(`<!doctype html><meta charset="utf-8">
<script>window.cosPolyfillOptions = { hub: ${JSON.stringify(missingHub)}, timeout: 1500 };</script>
<script src="/cos-polyfill.js"></script>
<script>${PAGE_HELPERS}</script>`);
  });
});

after(async () => {
  await server?.close();
});

test('progress: a 24 MiB piped write reports growing progress and ends verified', { timeout: 90_000 }, async () => {
  const launched = await launchBrowser({ mode: 'cookies-allowed' });
  try {
    const { page, status } = await openSite(launched, server, 'site-a.test');
    assert.equal(status, 'shared');
    const result = await page.evaluate(async () => {
      const MiB = 1024 * 1024;
      const size = 24 * MiB;
      const chunk = (i) => new Uint8Array(MiB).fill(i);
      const whole = new Uint8Array(size);
      for (let i = 0; i < 24; i++) whole.set(chunk(i), i * MiB);
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', whole));
      const value = [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
      const progress = [];
      const handle = await navigator.crossOriginStorage.getFileHandle({ algorithm: 'SHA-256', value }, { create: true });
      const writable = await handle.createWritable({ onprogress: (p) => progress.push(p) });
      let i = 0;
      const source = new ReadableStream({
        pull(controller) {
          if (i === 24) controller.close();
          else controller.enqueue(chunk(i++));
        },
      });
      await source.pipeTo(writable);
      return { size, progress };
    });
    const loaded = result.progress.map((p) => p.loaded);
    assert.ok(result.progress.filter((p) => !p.verified).length >= 2, 'progress before the end, not just once');
    assert.deepEqual(loaded, [...loaded].sort((x, y) => x - y), 'progress never goes back');
    assert.deepEqual(result.progress.at(-1), { loaded: result.size, verified: true });
    assert.equal(result.progress.filter((p) => p.verified).length, 1, 'verified exactly once');
  } finally {
    await launched.close();
  }
});

test('diagnostics: an unreachable hub is named on the console, and calls fail with NetworkError', { timeout: 60_000 }, async () => {
  const launched = await launchBrowser({ mode: 'cookies-allowed' });
  try {
    const page = await launched.newPage();
    const console_ = collectConsole(page);
    await page.goto(server.url('site-a.test', '/unreachable.html'));
    assert.equal(await page.evaluate(() => window.cosReady()), 'unavailable');
    const error = await page.evaluate(() => navigator.crossOriginStorage
      .getFileHandle({ algorithm: 'SHA-256', value: '0'.repeat(64) }).then(() => null, (e) => ({ name: e.name, message: e.message })));
    assert.equal(error.name, 'NetworkError');
    const errors = console_.messages.filter((m) => m.type === 'error' && m.text.startsWith('[cos-polyfill]'));
    assert.equal(errors.length, 1, `one diagnostic:\n${console_.text()}`);
    assert.match(errors[0].text, /no-such-hub\/frame\.html did not answer/);
    assert.match(errors[0].text, /frame-src/, 'it names the usual causes');
  } finally {
    await launched.close();
  }
});

test('diagnostics: partitioned storage is explained once, with the way to offer consent', { timeout: 60_000 }, async () => {
  const launched = await launchBrowser({ mode: 'default' }); // third-party cookies blocked, no grant
  try {
    const page = await launched.newPage();
    const console_ = collectConsole(page);
    await page.goto(server.url('site-a.test', '/page.html'));
    assert.equal(await page.evaluate(() => window.cosReady()), 'partitioned');
    const warnings = console_.messages.filter((m) => m.type === 'warning' && m.text.includes('[cos-polyfill]') && /partitioned/.test(m.text));
    assert.equal(warnings.length, 1, `one diagnostic:\n${console_.text()}`);
    assert.match(warnings[0].text, /showConsent\(\)/);
  } finally {
    await launched.close();
  }
});
