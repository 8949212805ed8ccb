// Issue 6, SPEC §7 HTML: <script>/<link> with integrity and crossoriginstorage, best effort.
// `data-src`/`data-href` elements load through cross-origin storage (hit on site B: no
// network), run in document order, fail closed on an integrity mismatch, and fall back to
// the network URL when the page's CSP blocks blob:. A real `src` is only seeded.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { launchBrowser } from './lib/browser.js';
import { PAGE_HELPERS, startProductServer } from './lib/product.js';

const sri = (bytes) => `sha256-${createHash('sha256').update(bytes).digest('base64')}`;
const hex = (bytes) => createHash('sha256').update(bytes).digest('hex');
const nonce = () => randomBytes(8).toString('hex'); // fresh bytes, so a fresh entry per run

const files = {
  '/one.js': Buffer.from(`window.order = (window.order || []).concat('one'); // ${nonce()}`),
  '/two.js': Buffer.from(`window.order = (window.order || []).concat('two'); // ${nonce()}`),
  '/three.js': Buffer.from(`window.three = 'ran'; // ${nonce()}`),
  '/seed.js': Buffer.from(`window.seeded = true; // ${nonce()}`),
  '/style.css': Buffer.from(`#styled { color: rgb(1, 2, 3); } /* ${nonce()} */`),
  '/evil.js': Buffer.from('window.evil = true;'),
};
const types = { js: 'text/javascript', css: 'text/css' };

let server;

function pageHtml(hub) {
  const i = (path) => sri(files[path]);
  return `<!doctype html><meta charset="utf-8"><title>html integration</title>
<script src="/cos-polyfill.js" data-hub="${hub}" data-html></script>
<script>${PAGE_HELPERS}</script>
<link rel="stylesheet" data-href="/style.css" integrity="${i('/style.css')}" crossoriginstorage="*">
<script data-src="/one.js" integrity="${i('/one.js')}" crossoriginstorage="*"></script>
<script data-src="/two.js" integrity="${i('/two.js')}" crossoriginstorage="*"></script>
<script src="/seed.js" integrity="${i('/seed.js')}" crossoriginstorage="*"></script>
<script data-src="/evil.js" integrity="${sri(Buffer.from('something else'))}" crossoriginstorage="*"></script>
<body><p id="styled">styled</p>
<script>
window.addDynamic = () => {
  const s = document.createElement('script');
  s.dataset.src = '/three.js';
  s.integrity = ${JSON.stringify(i('/three.js'))};
  s.setAttribute('crossoriginstorage', '*');
  document.body.append(s);
};
window.settled = async (count) => {
  for (let k = 0; k < 400; k++) {
    const states = [...document.querySelectorAll('[crossoriginstorage]')].map((e) => e.getAttribute('data-cos-state'));
    if (states.length >= count && states.every(Boolean)) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return false;
};
window.report = () => ({
  order: window.order, three: window.three, evil: window.evil ?? false, seeded: window.seeded ?? false,
  color: getComputedStyle(document.getElementById('styled')).color,
  states: Object.fromEntries([...document.querySelectorAll('[crossoriginstorage]')]
    .map((e) => [e.dataset.src || e.dataset.href || new URL(e.src || e.href).pathname, e.getAttribute('data-cos-state')])),
});
</script>`;
}

before(async () => {
  server = await startProductServer();
  const hub = server.url('hub.test', '/');
  for (const host of ['site-a.test', 'site-b.test']) {
    for (const [path, bytes] of Object.entries(files)) {
      server.route(host, path, async (req, res) => {
        // one.js is slow, so two.js would overtake it if order were not kept.
        if (path === '/one.js') await new Promise((r) => setTimeout(r, 400));
        res.setHeader('Content-Type', types[path.split('.').pop()]);
        res.end(path === '/evil.js' ? files['/evil.js'] : bytes);
      });
    }
    server.route(host, '/html.html', (req, res) => {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.end(pageHtml(hub));
    });
    server.route(host, '/csp.html', (req, res) => {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.setHeader('Content-Security-Policy', "script-src 'self' 'unsafe-inline'; style-src 'self'");
      res.end(pageHtml(hub));
    });
  }
});

after(async () => {
  await server?.close();
});

async function open(launched, host, path = '/html.html') {
  const page = await launched.newPage(server.url(host, path));
  const status = await page.evaluate(() => window.cosReady());
  assert.equal(await page.evaluate(() => window.settled(5)), true, 'every element settled');
  return { page, status };
}

test('HTML integration: data-src scripts and data-href stylesheets through cross-origin storage', { timeout: 120_000 }, async () => {
  const launched = await launchBrowser({ mode: 'cookies-allowed' });
  try {
    const a = await open(launched, 'site-a.test');
    assert.equal(a.status, 'shared');
    const first = await a.page.evaluate(() => window.report());
    assert.deepEqual(first.order, ['one', 'two'], 'COS scripts run in document order');
    assert.equal(first.color, 'rgb(1, 2, 3)', 'the stylesheet applies');
    assert.equal(first.evil, false, 'an integrity mismatch does not run');
    assert.equal(first.seeded, true);
    assert.deepEqual(first.states, {
      '/style.css': 'miss', '/one.js': 'miss', '/two.js': 'miss', '/seed.js': 'seeded', '/evil.js': 'error',
    });
    // Added later: the MutationObserver picks it up.
    await a.page.evaluate(() => window.addDynamic());
    assert.equal(await a.page.evaluate(() => window.settled(6)), true);
    assert.equal(await a.page.evaluate(() => window.three), 'ran');
    // Everything verified is now an entry, seed.js included.
    const entries = await a.page.evaluate(async (values) => {
      const found = [];
      for (const value of values) {
        try { await navigator.crossOriginStorage.getFileHandle({ algorithm: 'SHA-256', value }); found.push(true); } catch { found.push(false); }
      }
      return found;
    }, ['/one.js', '/two.js', '/three.js', '/seed.js', '/style.css'].map((p) => hex(files[p])));
    assert.deepEqual(entries, [true, true, true, true, true]);

    // Site B: all hits, nothing fetched but the page and the seeded script the browser loads itself.
    const mark = server.mark();
    const b = await open(launched, 'site-b.test');
    const second = await b.page.evaluate(() => window.report());
    assert.deepEqual(second.order, ['one', 'two']);
    assert.equal(second.color, 'rgb(1, 2, 3)');
    assert.deepEqual(second.states, {
      '/style.css': 'hit', '/one.js': 'hit', '/two.js': 'hit', '/seed.js': 'seeded', '/evil.js': 'error',
    });
    const fetched = server.requestsFor({ host: 'site-b.test', since: mark }).map((r) => r.path).filter((p) => p in files);
    assert.deepEqual(fetched.sort(), ['/evil.js', '/seed.js'], 'hits never touch the network');
  } finally {
    await launched.close();
  }
});

test('HTML integration: a CSP without blob: falls back to the network URL, still verified and in order', { timeout: 120_000 }, async () => {
  const launched = await launchBrowser({ mode: 'cookies-allowed' });
  try {
    const a = await open(launched, 'site-a.test', '/csp.html');
    const report = await a.page.evaluate(() => window.report());
    assert.deepEqual(report.order, ['one', 'two']);
    assert.equal(report.states['/one.js'], 'network');
    assert.equal(report.states['/style.css'], 'network');
    assert.equal(report.color, 'rgb(1, 2, 3)');
    assert.equal(report.evil, false);
  } finally {
    await launched.close();
  }
});
