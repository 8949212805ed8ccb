// Helpers for the consent e2e tests: start showConsent() from the site page, and find the
// hub frame's buttons WITHOUT running script in the hub frame (frame.evaluate() runs with a
// user gesture, which would fake the very activation these tests are about). Positions come
// from the CDP DOM domain (DOM.getBoxModel), which reads layout and runs no page script.

/** The hub <iframe>'s Frame under `page` (the polyfill's, at `${hub}frame.html`). */
export function hubFrameOf(page) {
  const frame = page.frames().find((f) => f !== page.mainFrame() && /\/frame\.html(\?|$)/.test(f.url()));
  if (!frame) throw new Error(`no hub frame under ${page.url()}: ${page.frames().map((f) => f.url()).join(', ')}`);
  return frame;
}

/**
 * Box of `selector` inside `frame` (a document of its own: an OOPIF or a top-level page), in
 * that document's CSS pixels, or null when absent or not rendered. `attributes` lists the
 * element's attributes (so `hidden`/`disabled` can be checked without script).
 */
export async function domBox(page, frame, selector) {
  const cdp = await page.context().newCDPSession(frame ?? page);
  try {
    const { root } = await cdp.send('DOM.getDocument', { depth: 0 });
    const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector });
    if (!nodeId) return null;
    const { attributes } = await cdp.send('DOM.getAttributes', { nodeId });
    const attrs = {};
    for (let i = 0; i < attributes.length; i += 2) attrs[attributes[i]] = attributes[i + 1];
    let model;
    try {
      ({ model } = await cdp.send('DOM.getBoxModel', { nodeId }));
    } catch {
      return { attrs, box: null }; // not rendered (display: none)
    }
    const q = model.border;
    const xs = [q[0], q[2], q[4], q[6]];
    const ys = [q[1], q[3], q[5], q[7]];
    const box = { x: Math.min(...xs), y: Math.min(...ys), width: Math.max(...xs) - Math.min(...xs), height: Math.max(...ys) - Math.min(...ys) };
    return { attrs, box };
  } finally {
    await cdp.detach().catch(() => {});
  }
}

/**
 * Centre of a hub-frame element in the SITE page's viewport (CSS px): the iframe's rect,
 * read by the site page (as a site could), plus the element's box inside the frame.
 * Returns null when the element is not rendered.
 */
export async function hubElementCenter(page, selector) {
  const frame = hubFrameOf(page);
  const found = await domBox(page, frame, selector);
  if (!found?.box || found.box.width === 0) return null;
  const rect = await page.evaluate((url) => {
    const iframe = [...document.querySelectorAll('iframe')].find((f) => f.src === url);
    const r = iframe.getBoundingClientRect();
    const cs = getComputedStyle(iframe);
    return { x: r.x + parseFloat(cs.borderLeftWidth), y: r.y + parseFloat(cs.borderTopWidth), width: r.width, height: r.height };
  }, frame.url());
  const x = rect.x + found.box.x + found.box.width / 2;
  const y = rect.y + found.box.y + found.box.height / 2;
  if (x < rect.x || y < rect.y || x > rect.x + rect.width || y > rect.y + rect.height) {
    throw new Error(`${selector} is outside the visible hub frame (${x}, ${y} not in ${JSON.stringify(rect)})`);
  }
  return { x, y, disabled: 'disabled' in found.attrs };
}

/** Wait until the hub frame's consent box is shown; returns the Allow and Not now centres. */
export async function waitForConsentBox(page, { tries = 100 } = {}) {
  for (let i = 0; i < tries; i++) {
    const box = await domBox(page, hubFrameOf(page), '#consent');
    if (box && !('hidden' in box.attrs)) {
      const allow = await hubElementCenter(page, '#consent-allow');
      const decline = await hubElementCenter(page, '#consent-decline');
      if (allow && decline) return { allow, decline };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the hub frame never showed its consent box');
}

/** Whether the hub frame's consent box is showing (CDP DOM read). */
export async function consentBoxShown(page) {
  const box = await domBox(page, hubFrameOf(page), '#consent');
  return Boolean(box && !('hidden' in box.attrs));
}

/**
 * As the site would on its "Share files across sites" button: call showConsent() and keep
 * the outcome on window.__consent ('ok:<status>' or 'err:<name>:<message>').
 */
export async function startConsent(page) {
  await page.evaluate(() => {
    window.__consentSettled = false;
    window.__consent = navigator.crossOriginStorage.polyfill.showConsent()
      .then((s) => `ok:${s}`, (e) => `err:${e.name}:${e.message}`)
      .finally(() => { window.__consentSettled = true; });
  });
}

/** Whether the showConsent() started by startConsent() has settled (without waiting). */
export function consentSettled(page) {
  return page.evaluate(() => window.__consentSettled);
}

/** The outcome of startConsent(), waiting for it. */
export function consentOutcome(page) {
  return page.evaluate(() => window.__consent);
}

/** Page-side status history: installs a recorder (call right after the page loads). */
export async function recordStatuses(page) {
  await page.evaluate(() => {
    window.__statuses = [navigator.crossOriginStorage.polyfill.status()];
    navigator.crossOriginStorage.addEventListener('statuschange', (e) => window.__statuses.push(e.detail.status));
  });
}

/** SHA-256 hex of a string or bytes, computed in the page (what a site does). */
export const PAGE_STORE_HELPERS = `
window.cosHex = async (data) => [...new Uint8Array(await crypto.subtle.digest('SHA-256',
  typeof data === 'string' ? new TextEncoder().encode(data) : data))].map((b) => b.toString(16).padStart(2, '0')).join('');
window.cosStore = async (text, origins) => {
  const value = await cosHex(text);
  const handle = await navigator.crossOriginStorage.getFileHandle({ algorithm: 'SHA-256', value }, { create: true, origins });
  const w = await handle.createWritable();
  await w.write(text);
  await w.close();
  return value;
};
window.cosRead = async (value) => {
  try {
    const handle = await navigator.crossOriginStorage.getFileHandle({ algorithm: 'SHA-256', value });
    const file = await handle.getFile();
    return { ok: true, text: await file.text(), name: file.name };
  } catch (e) {
    return { ok: false, name: e.name, message: e.message };
  }
};`;

/** Install PAGE_STORE_HELPERS in a page. */
export function addStoreHelpers(page) {
  return page.evaluate(PAGE_STORE_HELPERS);
}
