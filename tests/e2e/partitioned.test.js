// Issue 4, "Must show" 3 (headless part): Debian Chromium's default profile (third-party
// cookies blocked, no storage-access grant). The polyfill says 'partitioned', explains it on
// the console, still works within one site (same-site pages share one partition), another
// site does not see it, nothing crashes, and a consent click without the one top-level
// visit to the hub is refused cleanly. The granted path with a real prompt: consent.test.js.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { collectConsole, launchBrowser } from './lib/browser.js';
import { startProductServer } from './lib/product.js';
import {
  addStoreHelpers, consentBoxShown, consentOutcome, hubFrameOf, recordStatuses, startConsent, waitForConsentBox,
} from './lib/consent.js';

let server;
before(async () => { server = await startProductServer(); });
after(async () => { await server?.close(); });

/** Open a site page with console and crash watchers; wait for the polyfill's status. */
async function open(launched, host) {
  const page = await launched.newPage();
  const consoleLog = collectConsole(page);
  const crashes = [];
  page.on('crash', () => crashes.push(host));
  await page.goto(server.url(host, '/page.html'));
  const status = await page.evaluate(() => window.cosReady());
  await addStoreHelpers(page);
  return { page, consoleLog, crashes, status };
}

test('default profile: partitioned, works within one site, another site does not see it, console says why', { timeout: 120_000 }, async () => {
  const launched = await launchBrowser({ mode: 'default' });
  try {
    const a = await open(launched, 'site-a.test');
    assert.equal(a.status, 'partitioned', 'no storage access without a grant');
    assert.equal(await a.page.evaluate(() => navigator.crossOriginStorage.polyfill.status()), 'partitioned');

    // The diagnostic: one warning from the page, naming the state, the reason and the fix.
    const warnings = a.consoleLog.messages.filter((m) => m.type === 'warning' && m.text.startsWith('[cos-polyfill] storage is partitioned'));
    assert.equal(warnings.length, 1, a.consoleLog.text());
    assert.match(warnings[0].text, /requestStorageAccess\(\) was refused without a click: NotAllowedError/);
    assert.match(warnings[0].text, /shared only among pages of this site/);
    assert.match(warnings[0].text, /showConsent\(\)/);
    assert.match(warnings[0].text, new RegExp(`opened ${server.origin('hub.test').replace(/[.]/g, '\\.')}/ as a page once`));

    // Store with origins '*': if B missed it, the partition is why, not visibility.
    const text = `partitioned ${Date.now()}`;
    const value = await a.page.evaluate((t) => window.cosStore(t, '*'), text);
    assert.deepEqual(await a.page.evaluate((v) => window.cosRead(v), value), { ok: true, text, name: value });

    const sameSite = await open(launched, 'x.site-a.test');
    assert.equal(sameSite.status, 'partitioned');
    assert.deepEqual(await sameSite.page.evaluate((v) => window.cosRead(v), value), { ok: true, text, name: value },
      'a same-site page shares site A\'s partition');

    const b = await open(launched, 'site-b.test');
    assert.equal(b.status, 'partitioned');
    const miss = await b.page.evaluate((v) => window.cosRead(v), value);
    assert.equal(miss.ok, false);
    assert.equal(miss.name, 'NotFoundError', 'site B\'s partition does not hold site A\'s entry');

    // Site B's own write lands in B's partition and stays invisible to site A.
    const textB = `${text} from B`;
    const valueB = await b.page.evaluate((t) => window.cosStore(t, '*'), textB);
    assert.deepEqual(await b.page.evaluate((v) => window.cosRead(v), valueB), { ok: true, text: textB, name: valueB });
    assert.equal((await a.page.evaluate((v) => window.cosRead(v), valueB)).name, 'NotFoundError');

    // Nothing crashed, nothing threw, and the status never left 'partitioned'.
    for (const site of [a, sameSite, b]) {
      assert.deepEqual(site.crashes, []);
      assert.deepEqual(site.consoleLog.errors, [], site.consoleLog.text());
      assert.equal(await site.page.evaluate(() => navigator.crossOriginStorage.polyfill.status()), 'partitioned');
      assert.ok(!site.consoleLog.messages.some((m) => /\[cos-polyfill\].*unavailable/.test(m.text)), site.consoleLog.text());
    }
    const hubStatus = await a.page.evaluate(async () => {
      const probe = navigator.crossOriginStorage.getFileHandle({ algorithm: 'SHA-256', value: '0'.repeat(64) });
      return probe.then(() => 'hit', (e) => e.name);
    });
    assert.equal(hubStatus, 'NotFoundError', 'the hub still answers after all of it');
  } finally {
    await launched.close();
  }
});

test('default profile: consent without the one top-level visit to the hub is refused; the page keeps working', { timeout: 120_000 }, async () => {
  const launched = await launchBrowser({ mode: 'default' });
  try {
    const a = await open(launched, 'site-a.test');
    assert.equal(a.status, 'partitioned');
    await recordStatuses(a.page);
    const value = await a.page.evaluate(() => window.cosStore('before consent', []));

    // The page's iframe is hidden until showConsent(): nothing to click, nothing clickable.
    const hidden = await a.page.evaluate(() => {
      const iframe = document.querySelector('iframe');
      const cs = getComputedStyle(iframe);
      return { pointerEvents: cs.pointerEvents, opacity: cs.opacity, ariaHidden: iframe.getAttribute('aria-hidden') };
    });
    assert.deepEqual(hidden, { pointerEvents: 'none', opacity: '0', ariaHidden: 'true' });

    // "Not now": a real (CDP input) click inside the frame on the decline button.
    await startConsent(a.page);
    let buttons = await waitForConsentBox(a.page);
    await a.page.mouse.click(buttons.decline.x, buttons.decline.y);
    assert.equal(await consentOutcome(a.page), 'err:NotAllowedError:The user declined shared storage.');
    assert.equal(await consentBoxShown(a.page), false, 'the box is hidden again');

    // "Allow" without ever having used the hub as a top-level page: Chromium refuses at once
    // (no prompt), and the message says what is missing.
    await startConsent(a.page);
    buttons = await waitForConsentBox(a.page);
    assert.equal(buttons.allow.disabled, false);
    await a.page.mouse.click(buttons.allow.x, buttons.allow.y);
    const outcome = await consentOutcome(a.page);
    assert.match(outcome, /^err:NotAllowedError:Storage access was not granted \(NotAllowedError: /);
    assert.match(outcome, new RegExp(`opened ${server.origin('hub.test').replace(/[.]/g, '\\.')} as a page before`));

    const after = await a.page.evaluate(() => {
      const iframe = document.querySelector('iframe');
      return { status: navigator.crossOriginStorage.polyfill.status(), pointerEvents: getComputedStyle(iframe).pointerEvents, statuses: window.__statuses };
    });
    assert.deepEqual(after, { status: 'partitioned', pointerEvents: 'none', statuses: ['partitioned'] });
    assert.deepEqual(await a.page.evaluate((v) => window.cosRead(v), value), { ok: true, text: 'before consent', name: value },
      'the partitioned store still answers');
    assert.ok(hubFrameOf(a.page), 'the hub frame is still there');
    assert.deepEqual(a.crashes, []);
    assert.deepEqual(a.consoleLog.errors, []);
  } finally {
    await launched.close();
  }
});
