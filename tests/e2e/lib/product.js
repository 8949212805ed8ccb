// Serves the built product (dist/) on the test sites: the hub folder on hub.test and a
// page that loads the polyfill by script tag on every site. Used by the product e2e tests.
import path from 'node:path';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { REPO_ROOT } from './certs.js';
import { startServer } from './server.js';

export const DIST = path.join(REPO_ROOT, 'dist');
export const SITES = ['site-a.test', 'x.site-a.test', 'site-b.test', 'evil.test'];

/**
 * The hub policy the product tests run under unless a test serves its own hub-config.json
 * (tests/e2e/lib/attacker.js servePolicy): an open hub, so that a '*' entry deterministically
 * reaches every site. The hub's built-in default (js/hub-worker.js DEFAULT_POLICY) gates '*'
 * by the Public Hash List and refuses 5 % of non-storer reads at random (GREASE); the attack
 * tests and a policy test run under that default.
 */
export const TEST_HUB_CONFIG = Object.freeze({ phlEnabled: false, greaseRate: 0 });

/**
 * Starts the server with dist/hub on hub.test and, on every site, `/page.html` (loads
 * /cos-polyfill.js with data-hub) plus `/cos-polyfill.js` itself.
 * @param {{hubQuery?: string}} [options] query string for the hub frame (policy knobs)
 */
export async function startProductServer({ hubQuery = '' } = {}) {
  if (!existsSync(path.join(DIST, 'cos-polyfill.js')) || !existsSync(path.join(DIST, 'hub', 'frame.html'))) {
    throw new Error('dist/ is not built: run `npm run build` first');
  }
  const server = await startServer();
  server.serveStatic('hub.test', path.join(DIST, 'hub'));
  // Served after dist/hub and after any route a test adds (routes come first).
  const configDir = path.join(REPO_ROOT, 'build/e2e/test-hub-config');
  mkdirSync(configDir, { recursive: true });
  writeFileSync(path.join(configDir, 'hub-config.json'), `${JSON.stringify(TEST_HUB_CONFIG)}\n`);
  server.serveStatic('hub.test', configDir);
  const hubUrl = () => server.url('hub.test', `/${hubQuery ? `?${hubQuery}` : ''}`);
  for (const host of ['*.site-a.test', 'site-a.test', 'site-b.test', '*.site-b.test', 'evil.test', '*.evil.test']) {
    server.route(host, '/page.html', (req, res) => {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.setHeader('Cache-Control', 'no-store');
      res.end(`<!doctype html><meta charset="utf-8"><title>${host}</title>
<script src="/cos-polyfill.js" data-hub="${hubUrl()}"></script>
<script>${PAGE_HELPERS}</script>
<body><h1>${host}</h1></body>`);
    });
    server.serveStatic(host, DIST);
  }
  return server;
}

/** Opens https://<host>/page.html and waits until the polyfill settled on a status. */
export async function openSite(launched, server, host) {
  const page = await launched.newPage(server.url(host, '/page.html'));
  const status = await page.evaluate(() => window.cosReady());
  return { page, status };
}

/**
 * Source of a page-side helper installed in every test page: window.cosReady() resolves
 * to the polyfill status once it is no longer 'connecting'.
 */
export const PAGE_HELPERS = `
window.cosReady = async () => {
  const cos = navigator.crossOriginStorage;
  for (let i = 0; i < 400; i++) {
    const s = cos?.polyfill ? cos.polyfill.status() : 'unavailable';
    if (s !== 'connecting') return s;
    await new Promise((r) => setTimeout(r, 25));
  }
  return 'timeout';
};`;
