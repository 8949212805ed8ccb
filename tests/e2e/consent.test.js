// Issue 4, "Must show" 3 (headful part): the consent path for real, in Debian Chromium's
// default profile (third-party cookies blocked, no grant), headful under Xvfb. Every click is
// a real X event from xdotool: one on the hub's own page (the top-level visit), one on the
// Allow button inside the hub frame, one on Allow in Chromium's permission prompt. The status
// turns 'shared', site B (after its own Allow) reads what site A stored, and the grant holds
// on reload with no prompt. Screenshots of each step go to artifacts/consent/.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { collectConsole, launchBrowser } from './lib/browser.js';
import { REPO_ROOT } from './lib/certs.js';
import { startProductServer } from './lib/product.js';
import { missingDisplayTools, promptButtons, startDisplay, viewportOnScreen } from './lib/display.js';
import {
  addStoreHelpers, consentBoxShown, consentOutcome, consentSettled, domBox, recordStatuses, startConsent, waitForConsentBox,
} from './lib/consent.js';

const SHOTS = path.join(REPO_ROOT, 'artifacts', 'consent');
const missing = missingDisplayTools();
const skip = missing.length ? `headful run needs ${missing.join(', ')} (scripts/setup.sh installs them)` : false;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let server;
before(async () => {
  if (skip) return;
  fs.rmSync(SHOTS, { recursive: true, force: true });
  server = await startProductServer();
});
after(async () => { await server?.close(); });

/** A headful default-profile browser on a fresh Xvfb display, plus screen-coordinate helpers. */
async function headful() {
  const display = await startDisplay();
  let launched;
  try {
    launched = await launchBrowser({ mode: 'default', headless: false, env: display.env });
  } catch (error) {
    display.close();
    throw error;
  }
  return {
    display,
    launched,
    /** Top of the web content on screen (prompts are looked for below it). */
    chrome: { x: 0, y: 0 },
    /** A real X click at a point of `page`'s viewport (CSS px; the device scale is 1). */
    async clickAt(page, point) {
      const origin = await viewportOnScreen(launched, page);
      this.chrome = origin;
      display.click(origin.x + point.x, origin.y + point.y);
    },
    shot(name) { return display.screenshot(path.join(SHOTS, `${name}.png`)); },
    async close() { await launched.close(); display.close(); },
  };
}

async function openSite(h, host) {
  const page = await h.launched.newPage();
  const consoleLog = collectConsole(page);
  await page.goto(server.url(host, '/page.html'));
  await page.bringToFront();
  const status = await page.evaluate(() => window.cosReady());
  await addStoreHelpers(page);
  await recordStatuses(page);
  return { page, consoleLog, status };
}

/** Poll the screen until Chromium's permission prompt shows its two buttons. */
async function waitForPrompt(h, name) {
  for (let i = 0; i < 60; i++) {
    const buttons = promptButtons(h.display.capture(), { top: h.chrome.y });
    if (buttons.length === 2) {
      h.shot(name);
      return buttons;
    }
    await sleep(250);
  }
  h.shot(`${name}-missing`);
  throw new Error(`Chromium's storage-access prompt did not show (see ${SHOTS}/${name}-missing.png)`);
}

/**
 * showConsent() on `site`, a real click on Allow inside the hub frame, then on Allow in the
 * browser's prompt. Returns the outcome string.
 */
async function consentWithPrompt(h, site, label) {
  await startConsent(site.page);
  const { allow } = await waitForConsentBox(site.page);
  h.shot(`${label}-1-hub-box`);
  await h.clickAt(site.page, allow);
  const [block, allowPrompt] = await waitForPrompt(h, `${label}-2-prompt`);
  assert.ok(block.cx < allowPrompt.cx, 'two buttons, Allow on the right');
  assert.equal(await consentSettled(site.page), false, 'showConsent() waits for the user\'s answer');
  // Chromium ignores clicks on a prompt that just appeared (accidental-click protection), so a
  // click may need repeating; pacing only, nothing timed is asserted.
  let clicks = 0;
  for (let attempt = 0; attempt < 4 && !(await consentSettled(site.page)); attempt++) {
    await sleep(800);
    if (promptButtons(h.display.capture(), { top: h.chrome.y }).length !== 2) break;
    h.display.click(allowPrompt.cx, allowPrompt.cy);
    clicks++;
    for (let i = 0; i < 20 && !(await consentSettled(site.page)); i++) await sleep(100);
  }
  const outcome = await consentOutcome(site.page);
  h.shot(`${label}-3-after-allow`);
  console.log(`${label}: ${clicks} click(s) on the prompt's Allow at (${allowPrompt.cx}, ${allowPrompt.cy}) → ${outcome}`);
  return outcome;
}

test('headful, default profile: hub visited once, click in the hub frame, Allow in the prompt → shared; site B too; the grant holds on reload', { skip, timeout: 240_000 }, async (t) => {
  const h = await headful();
  try {
    const a = await openSite(h, 'site-a.test');
    assert.equal(a.status, 'partitioned');
    const before = await a.page.evaluate(() => window.cosStore('stored while partitioned', '*'));

    // The one top-level visit: the hub's own page, and a real click on its heading.
    const hubPage = await h.launched.newPage(server.url('hub.test', '/'));
    await hubPage.bringToFront();
    const heading = await domBox(hubPage, null, 'h1');
    assert.ok(heading?.box, 'the hub page shows its heading');
    await h.clickAt(hubPage, { x: heading.box.x + heading.box.width / 2, y: heading.box.y + heading.box.height / 2 });
    h.shot('a-0-hub-visit');

    await a.page.bringToFront();
    const outcome = await consentWithPrompt(h, a, 'a');
    assert.equal(outcome, 'ok:shared');
    assert.deepEqual(await a.page.evaluate(() => [navigator.crossOriginStorage.polyfill.status(), window.__statuses]),
      ['shared', ['partitioned', 'shared']]);
    assert.equal(await consentBoxShown(a.page), false, 'the hub box is hidden again');
    assert.equal(await a.page.evaluate(() => getComputedStyle(document.querySelector('iframe')).pointerEvents), 'none');
    t.diagnostic(`an entry stored while partitioned, read after consent: ${JSON.stringify(await a.page.evaluate((v) => window.cosRead(v), before))}`);

    // Site A now writes to the hub's shared store.
    const text = `shared after consent ${Date.now()}`;
    const value = await a.page.evaluate((x) => window.cosStore(x, '*'), text);
    assert.deepEqual(await a.page.evaluate((v) => window.cosRead(v), value), { ok: true, text, name: value });

    // Site B: the grant is per (hub, site) pair, so B starts partitioned and does not see it.
    const b = await openSite(h, 'site-b.test');
    assert.equal(b.status, 'partitioned');
    assert.equal((await b.page.evaluate((v) => window.cosRead(v), value)).name, 'NotFoundError');
    // B's own Allow: no second hub visit needed.
    assert.equal(await consentWithPrompt(h, b, 'b'), 'ok:shared');
    assert.equal(await b.page.evaluate(() => navigator.crossOriginStorage.polyfill.status()), 'shared');
    assert.deepEqual(await b.page.evaluate((v) => window.cosRead(v), value), { ok: true, text, name: value },
      'site B reads what site A stored, from the one shared store');

    // The grant lasts (30 days): a reload of site A is shared at once, with no prompt.
    await a.page.bringToFront();
    await a.page.reload();
    h.chrome = await viewportOnScreen(h.launched, a.page);
    assert.equal(await a.page.evaluate(() => window.cosReady()), 'shared');
    const screen = h.shot('a-4-reload');
    assert.deepEqual(promptButtons(screen, { top: h.chrome.y }), [], 'no prompt on a later visit');
    await addStoreHelpers(a.page);
    assert.deepEqual(await a.page.evaluate((v) => window.cosRead(v), value), { ok: true, text, name: value });

    for (const site of [a, b]) assert.deepEqual(site.consoleLog.errors, [], site.consoleLog.text());
  } finally {
    await h.close();
  }
});

test('headful, default profile, control: without the top-level visit, Allow in the hub frame gets no prompt and is refused', { skip, timeout: 120_000 }, async () => {
  const h = await headful();
  try {
    const a = await openSite(h, 'site-a.test');
    assert.equal(a.status, 'partitioned');
    await startConsent(a.page);
    const { allow } = await waitForConsentBox(a.page);
    await h.clickAt(a.page, allow);
    for (let i = 0; i < 100 && !(await consentSettled(a.page)); i++) await sleep(100);
    h.shot('control-after-click');
    assert.equal(await consentSettled(a.page), true, 'the click in the hub frame settled showConsent()');
    const outcome = await consentOutcome(a.page);
    assert.match(outcome, /^err:NotAllowedError:Storage access was not granted/);
    await sleep(500);
    const screen = h.shot('control-no-visit');
    assert.deepEqual(promptButtons(screen, { top: h.chrome.y }), [], 'Chromium showed no prompt');
    assert.equal(await a.page.evaluate(() => navigator.crossOriginStorage.polyfill.status()), 'partitioned');
  } finally {
    await h.close();
  }
});
