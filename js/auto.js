// Loaded by a site page as the classic-script build (dist/cos-polyfill.js, bundled from this
// file) or unbundled as a module; installs navigator.crossOriginStorage from data-hub / <meta>.

import { install } from './polyfill.js';

/**
 * Where the hub lives: `data-hub` on this <script> (classic build: document.currentScript),
 * else on any <script data-hub> (module scripts have no currentScript), else
 * `<meta name="cos-hub" content="...">`.
 * @returns {string|undefined}
 */
function configuredHub() {
  const script = globalThis.document?.currentScript ?? globalThis.document?.querySelector?.('script[data-hub]');
  return script?.dataset?.hub ||
    globalThis.document?.querySelector?.('meta[name="cos-hub"]')?.getAttribute('content') ||
    undefined;
}

// Options as es-module-shims takes them: a global set before this loads (`cosPolyfillOptions =
// {hub, fetch, html, timeout}`, the way to configure `import 'cos-polyfill/auto'`), else attributes.
const script = globalThis.document?.currentScript ?? globalThis.document?.querySelector?.('script[data-hub]');
const globalOptions = globalThis.cosPolyfillOptions ?? {};
const flag = (name) => globalOptions[name] ?? (script?.dataset?.[name] !== undefined && script.dataset[name] !== 'false');
const hub = globalOptions.hub ?? configuredHub();
if (hub) {
  // Synchronous in the classic build, so `'crossOriginStorage' in navigator` (Transformers.js
  // checks it at start-up) is already true for every later script.
  try {
    install({ hub, fetch: flag('fetch'), html: flag('html'), timeout: globalOptions.timeout });
  } catch (error) {
    console.error('[cos-polyfill] not installed:', error);
  }
} else if (globalThis.document) {
  console.warn('[cos-polyfill] auto.js needs data-hub="https://hub.example/" on its <script>, or <meta name="cos-hub" content="...">, or cosPolyfillOptions = {hub}.');
}
