// Loaded by a page that opts in (install({html: true}) or cos-polyfill/html): SPEC §7 HTML, best effort.
// Touches <script>/<link> elements with a crossoriginstorage attribute (now and later); public API only.

import { crossOriginStorageFetch, SOURCE_MARK } from './fetch.js';

/** Elements this integration looks at. */
export const SELECTOR = 'script[crossoriginstorage], link[crossoriginstorage]';
/** Set on each handled element: 'hit' | 'miss' | 'seeded' | 'network' | 'error' (docs/integrations.md). */
export const STATE_ATTRIBUTE = 'data-cos-state';

const handled = new WeakSet();
let blobProbe = null;

/**
 * Handle every `<script>`/`<link>` with `integrity` and `crossoriginstorage` in `root`, now
 * and as they are added. Convention (docs/integrations.md):
 * - `<script data-src=URL integrity crossoriginstorage>` and
 *   `<link rel=stylesheet data-href=URL integrity crossoriginstorage>`: the browser loads
 *   nothing by itself; the bytes come from cross-origin storage (or the network, verified
 *   and stored) and run from a `blob:` URL. COS scripts run in document order among
 *   themselves, like `defer` scripts, and do not block the parser.
 * - With a real `src`/`href` (or `rel=modulepreload`) the browser has already started its
 *   own load: the bytes are only seeded into cross-origin storage for other sites.
 * @param {{root?: Document|Element, global?: typeof globalThis}} [options]
 * @returns {{stop: () => void}}
 */
export function installHtml(options = {}) {
  const global = options.global ?? globalThis;
  const root = options.root ?? global.document;
  if (!root) return { stop() {} };
  let chain = Promise.resolve(); // inserts blob scripts in document order
  const visit = (element) => {
    if (handled.has(element) || !element.hasAttribute?.('crossoriginstorage')) return;
    handled.add(element);
    if (element.localName === 'script') chain = handleScript(element, chain, global);
    else if (element.localName === 'link') handleLink(element, global);
  };
  for (const element of root.querySelectorAll(SELECTOR)) visit(element);
  const observer = new global.MutationObserver((records) => {
    for (const record of records) {
      for (const node of record.addedNodes) {
        if (node.nodeType !== 1) continue;
        if (node.matches(SELECTOR)) visit(node);
        for (const element of node.querySelectorAll?.(SELECTOR) ?? []) visit(element);
      }
    }
  });
  observer.observe(root, { childList: true, subtree: true });
  return { stop: () => observer.disconnect() };
}

function fetchInit(element) {
  const crossorigin = element.getAttribute('crossorigin');
  return {
    integrity: element.getAttribute('integrity') ?? '',
    crossOriginStorage: element.getAttribute('crossoriginstorage') ?? '',
    mode: 'cors',
    credentials: crossorigin === 'use-credentials' ? 'include' : 'same-origin',
    referrerPolicy: element.getAttribute('referrerpolicy') ?? undefined,
  };
}

const absolute = (url, global) => new URL(url, global.document?.baseURI ?? global.location?.href).href;

/** Fetch through cross-origin storage; resolves {url: blob URL, state} or rejects. */
async function resolveBlob(url, element, type, global) {
  const response = await crossOriginStorageFetch(url, fetchInit(element), { fetch: unwrapped(global) });
  if (!response.ok) throw new TypeError(`${url} answered ${response.status}`);
  const bytes = await response.blob();
  const blob = new Blob([bytes], { type });
  return { url: URL.createObjectURL(blob), state: response[SOURCE_MARK] === 'storage' ? 'hit' : 'miss' };
}

function unwrapped(global) {
  const f = global.fetch;
  return (f?.[Symbol.for('cos-polyfill.fetch')] ?? f).bind(global);
}

/** Seed cross-origin storage with bytes the browser loads itself (real src/href). */
async function seed(element, url, global) {
  try {
    const response = await crossOriginStorageFetch(url, { ...fetchInit(element), cache: 'force-cache' }, { fetch: unwrapped(global) });
    await response.body?.cancel(); // the store reads its own copy
    if (!element.hasAttribute(STATE_ATTRIBUTE)) element.setAttribute(STATE_ATTRIBUTE, 'seeded');
  } catch (error) {
    console.warn(`[cos-polyfill] ${url} could not be seeded into cross-origin storage: ${error?.name}: ${error?.message}`);
  }
}

function handleScript(element, chain, global) {
  const dataSrc = element.getAttribute('data-src');
  if (element.hasAttribute('src') || !dataSrc) {
    // The browser loads it itself (it may have already): seed now, from the HTTP cache if it can.
    if (element.src) seed(element, element.src, global);
    return chain;
  }
  if (!element.hasAttribute('integrity')) {
    console.warn(`[cos-polyfill] <script data-src="${dataSrc}" crossoriginstorage> has no integrity: loading it from the network.`);
  }
  const url = absolute(dataSrc, global);
  const module = element.getAttribute('type') === 'module';
  const resolved = element.hasAttribute('integrity')
    ? resolveBlob(url, element, 'text/javascript', global).catch((error) => ({ error }))
    : Promise.resolve({ url, state: 'network', network: true });
  return chain.then(async () => {
    const result = await resolved;
    if (result.error) return fail(element, url, result.error);
    let { url: src, state } = result;
    if (!result.network && !(await blobScriptsAllowed(global))) {
      URL.revokeObjectURL(src);
      src = url;
      state = 'network';
    }
    const replacement = copyScript(element, global);
    replacement.setAttribute(STATE_ATTRIBUTE, state);
    replacement.setAttribute('data-cos-url', url);
    if (state === 'network') {
      // The browser checks integrity itself (CORS, as SRI needs for cross-origin scripts).
      if (!replacement.hasAttribute('crossorigin')) replacement.setAttribute('crossorigin', 'anonymous');
    } else if (!module) {
      replacement.removeAttribute('crossorigin'); // blob: is same-origin
    }
    await runScript(element, replacement, src, state !== 'network');
  });
}

function copyScript(element, global) {
  const script = global.document.createElement('script');
  for (const { name, value } of element.attributes) {
    if (name === 'data-src' || name === 'crossoriginstorage' || name === STATE_ATTRIBUTE) continue;
    script.setAttribute(name, value);
  }
  script.nonce = element.nonce; // the nonce attribute is hidden once parsed
  script.async = false; // dynamically inserted scripts then run in insertion order
  handled.add(script);
  return script;
}

/** Insert `replacement` in place of `element`; resolves once it ran or failed. */
function runScript(element, replacement, src, revoke) {
  return new Promise((resolve) => {
    replacement.addEventListener('load', () => {
      if (revoke) URL.revokeObjectURL(src);
      element.setAttribute(STATE_ATTRIBUTE, replacement.getAttribute(STATE_ATTRIBUTE));
      element.dispatchEvent(new Event('load'));
      resolve();
    }, { once: true });
    replacement.addEventListener('error', () => {
      if (revoke) URL.revokeObjectURL(src);
      element.setAttribute(STATE_ATTRIBUTE, 'error');
      element.dispatchEvent(new Event('error'));
      resolve();
    }, { once: true });
    replacement.src = src;
    // Keep `element` (inert: no src, no text) where it is so page code holding it still
    // gets load/error; the replacement runs right after it.
    element.after(replacement);
    resolve(); // the next script can be inserted now: async=false keeps the order
  });
}

function fail(element, url, error) {
  console.error(`[cos-polyfill] ${url} was not run: ${error?.name}: ${error?.message}`);
  element.setAttribute(STATE_ATTRIBUTE, 'error');
  element.dispatchEvent(new Event('error'));
}

/** One tiny blob: script tells whether the page's CSP allows blob: scripts. */
function blobScriptsAllowed(global) {
  blobProbe ??= new Promise((resolve) => {
    const url = URL.createObjectURL(new Blob([''], { type: 'text/javascript' }));
    const script = global.document.createElement('script');
    const done = (ok) => { URL.revokeObjectURL(url); script.remove(); resolve(ok); };
    script.onload = () => done(true);
    script.onerror = () => {
      console.warn('[cos-polyfill] this page\'s CSP blocks blob: scripts: COS scripts load from their network URL (verified by the browser, and still stored).');
      done(false);
    };
    script.src = url;
    (global.document.head ?? global.document.documentElement).append(script);
  });
  return blobProbe;
}

function handleLink(element, global) {
  const rel = (element.getAttribute('rel') ?? '').toLowerCase().split(/\s+/);
  const dataHref = element.getAttribute('data-href');
  const stylesheet = rel.includes('stylesheet');
  if (!stylesheet && !rel.includes('modulepreload')) return;
  if (element.hasAttribute('href') || !stylesheet) {
    // The browser loads it itself (or, for modulepreload, only a real URL can fill the module map).
    const url = element.href || (dataHref && absolute(dataHref, global));
    if (!url) return;
    if (!element.hasAttribute('href')) seed(element, url, global).then(() => element.setAttribute('href', dataHref));
    else seed(element, url, global);
    return;
  }
  if (!dataHref) return;
  const url = absolute(dataHref, global);
  if (!element.hasAttribute('integrity')) {
    console.warn(`[cos-polyfill] <link data-href="${dataHref}" crossoriginstorage> has no integrity: loading it from the network.`);
    element.setAttribute('href', url);
    element.setAttribute(STATE_ATTRIBUTE, 'network');
    return;
  }
  resolveBlob(url, element, 'text/css', global).then(({ url: blobUrl, state }) => {
    element.addEventListener('error', () => {
      // Blocked (CSP style-src without blob:): the network URL, which the browser verifies.
      if (element.getAttribute('href') !== blobUrl) return;
      URL.revokeObjectURL(blobUrl);
      console.warn(`[cos-polyfill] the blob: stylesheet for ${url} was blocked (CSP style-src?); loading it from the network.`);
      element.setAttribute(STATE_ATTRIBUTE, 'network');
      if (!element.hasAttribute('crossorigin')) element.setAttribute('crossorigin', 'anonymous');
      element.setAttribute('href', url);
    }, { once: true });
    element.setAttribute(STATE_ATTRIBUTE, state);
    element.setAttribute('href', blobUrl); // same element: its place in the cascade is kept
  }, (error) => fail(element, url, error));
}
