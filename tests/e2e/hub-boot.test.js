// The hub frame's head start: frame.html's inline script asks for storage access and starts
// the hub worker before hub-frame.js arrives (window.cosHubBoot), and hub-frame.js takes both
// over. Under a CSP that forbids inline scripts the head start is lost, nothing else: the
// frame does the same itself and the site still reaches the shared hub.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchBrowser } from './lib/browser.js';
import { openSite, startProductServer } from './lib/product.js';

let server;

before(async () => {
  server = await startProductServer();
});

after(async () => {
  await server?.close();
});

/** Stores a small file on the page and reads it back through the API: the round trip works. */
function storeAndRead(page, text) {
  return page.evaluate(async (text) => {
    const bytes = new TextEncoder().encode(text);
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
    const hash = { algorithm: 'SHA-256', value: [...digest].map((b) => b.toString(16).padStart(2, '0')).join('') };
    const writable = await (await navigator.crossOriginStorage.getFileHandle(hash, { create: true })).createWritable();
    await writable.write(bytes);
    await writable.close();
    const file = await (await navigator.crossOriginStorage.getFileHandle(hash)).getFile();
    return file.text();
  }, text);
}

/** What the hub frame's window says about the head start. */
function bootState(page) {
  const frame = page.frames().find((f) => f.url().startsWith(server.url('hub.test', '/frame.html')));
  assert.ok(frame, 'the hub frame is there');
  return frame.evaluate(() => ({
    boot: typeof window.cosHubBoot === 'object' && window.cosHubBoot !== null,
    worker: Boolean(window.cosHubBoot?.worker),
  }));
}

test('frame.html starts storage access and the hub worker itself; hub-frame.js uses them', { timeout: 60_000 }, async () => {
  const launched = await launchBrowser({ mode: 'cookies-allowed' });
  try {
    const { page, status } = await openSite(launched, server, 'site-a.test');
    assert.equal(status, 'shared');
    assert.deepEqual(await bootState(page), { boot: true, worker: true });
    assert.equal(await storeAndRead(page, 'head start'), 'head start');
    // One hub worker, not two (the frame took the one frame.html started over).
    const cdp = await launched.browser.newBrowserCDPSession();
    const { targetInfos } = await cdp.send('Target.getTargets');
    assert.equal(targetInfos.filter((t) => t.type === 'shared_worker').length, 1);
    await cdp.detach();
  } finally {
    await launched.close();
  }
});

test('under a CSP without inline scripts the frame starts everything itself: still shared', { timeout: 60_000 }, async () => {
  const remove = server.setHeaders('hub.test', '/frame.html', { 'Content-Security-Policy': "script-src 'self'" });
  const launched = await launchBrowser({ mode: 'cookies-allowed' });
  try {
    const { page, status } = await openSite(launched, server, 'site-a.test');
    assert.equal(status, 'shared');
    assert.deepEqual(await bootState(page), { boot: false, worker: false }, 'the inline script was blocked');
    assert.equal(await storeAndRead(page, 'no head start'), 'no head start');
  } finally {
    remove();
    await launched.close();
  }
});
