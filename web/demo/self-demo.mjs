// Loaded by web/demo/serve.mjs (Node): drives headless Debian Chromium through the demo
// pages (real clicks on the real buttons) and reports what each site downloaded.
//
// The profile allows third-party cookies (a user setting, and other browsers' default), so
// the hub frame gets storage access with no prompt; see ARCHITECTURE.md "Storage partitioning".

import fs from 'node:fs';
import { CHROMIUM, launchBrowser } from '../../tests/e2e/lib/browser.js';
import { formatBytes } from './format.js';

const STATUS_TIMEOUT_MS = 20_000;
const LOAD_TIMEOUT_MS = 180_000;

/** True when the Chromium the harness uses is installed. */
export function chromiumAvailable() {
  return fs.existsSync(CHROMIUM);
}

/**
 * Start the browser the self-demo uses. Kept separate from runSelfDemo so the caller can
 * close it on SIGINT while the demo is still running.
 */
export function launchDemoBrowser() {
  return launchBrowser({ mode: 'cookies-allowed', certs: null, certMode: 'none', resolverRules: '' });
}

/** Open one site, wait for the store status, click "Load the file", read the outcome. */
async function visit(launched, demo, key) {
  const page = await launched.newPage(`${demo.urls[key]}/`);
  try {
    await page.waitForFunction(() => {
      const s = document.getElementById('status')?.dataset.status;
      return s && s !== 'connecting';
    }, null, { timeout: STATUS_TIMEOUT_MS });
    const status = await page.getAttribute('#status', 'data-status');
    const sentBefore = demo.fileBytesSent(key);
    await page.waitForSelector('#load:not([disabled])');
    await page.click('#load');
    await page.waitForSelector('#result[data-outcome]', { timeout: LOAD_TIMEOUT_MS });
    const result = await page.$eval('#result', (el) => ({ ...el.dataset, text: el.innerText }));
    return {
      site: key,
      url: demo.urls[key],
      status,
      outcome: result.outcome,
      size: Number(result.size ?? 0),
      downloadedByPage: Number(result.downloaded ?? 0),
      // The honest figure: what this site's server sent of the file during the visit.
      downloadedFromServer: demo.fileBytesSent(key) - sentBefore,
      ms: Number(result.ms ?? 0),
      error: result.outcome === 'error' ? result.text : undefined,
      page,
    };
  } catch (error) {
    await page.close().catch(() => {});
    throw error;
  }
}

/** The hub's own page (top level): what it lists once both sites loaded the file. */
async function visitHubPage(launched, demo) {
  const page = await launched.newPage(demo.urls.hub);
  try {
    await page.waitForSelector('body[data-loaded="true"]', { timeout: STATUS_TIMEOUT_MS });
    const value = (id) => page.getAttribute(`#${id}`, 'data-value').then(Number);
    return {
      url: demo.urls.hub,
      hashes: await page.$$eval('#files tr[data-hash]', (rows) => rows.map((r) => r.dataset.hash)),
      files: await value('total-files'),
      bytesStored: await value('total-stored'),
      savedDownloads: await value('total-saved'),
    };
  } finally {
    await page.close().catch(() => {});
  }
}

/**
 * Site A loads the demo file (expected: miss, stores it for '*'); then site B, another site,
 * loads it by hash (expected: hit with nothing downloaded).
 * @returns {Promise<{ok: boolean, a: object, b: object, problems: string[]}>}
 */
export async function runSelfDemo(launched, demo) {
  const a = await visit(launched, demo, 'a');
  const b = await visit(launched, demo, 'b');
  const hub = await visitHubPage(launched, demo); // while the sites are open: one worker instance
  await a.page.close().catch(() => {});
  await b.page.close().catch(() => {});
  delete a.page;
  delete b.page;
  const problems = [];
  if (a.status !== 'shared') problems.push(`site A's store status is ${a.status}, not shared`);
  if (b.status !== 'shared') problems.push(`site B's store status is ${b.status}, not shared`);
  if (a.outcome === 'error') problems.push(`site A failed: ${a.error}`);
  if (b.outcome !== 'hit') problems.push(`site B got a ${b.outcome}${b.error ? ` (${b.error})` : ''}, not a hit`);
  if (b.downloadedFromServer !== 0) problems.push(`site B's server sent ${b.downloadedFromServer} bytes of the file`);
  if (b.outcome === 'hit' && b.size !== demo.file.size) problems.push(`site B read ${b.size} bytes, not ${demo.file.size}`);
  if (!hub.hashes.includes(demo.file.sha256)) problems.push('the hub page does not list the file');
  return { ok: problems.length === 0, a, b, hub, problems };
}

/** The short report printed by `npm start`. */
export function formatReport(report, demo) {
  const line = (label, r) => {
    if (r.outcome === 'error') return `  ${label}: error: ${r.error}`;
    const what = r.outcome === 'hit' ? 'hit,  loaded from the shared store' : 'miss, downloaded and stored';
    return `  ${label}: ${what}; ${formatBytes(r.downloadedFromServer)} downloaded (${r.downloadedFromServer} bytes), ${Math.round(r.ms)} ms; store ${r.status}`;
  };
  return [
    `Self-demo (headless Chromium, ${formatBytes(demo.file.size)} file ${demo.file.sha256.slice(0, 16)}…):`,
    line(`site A ${demo.urls.a}`, report.a),
    line(`site B ${demo.urls.b}`, report.b),
    `  hub page ${report.hub.url}: ${report.hub.files} file(s), ${formatBytes(report.hub.bytesStored)} stored, ${report.hub.savedDownloads} download(s) saved`,
    report.ok
      ? `  => site B saved a ${formatBytes(demo.file.size)} download: one verified copy shared by two sites.`
      : `  => FAILED: ${report.problems.join('; ')}`,
  ].join('\n');
}
