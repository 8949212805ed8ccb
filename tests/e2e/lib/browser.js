// Start the system Chromium ourselves and attach Playwright over CDP.
//
// Why not chromium.launch(): Playwright adds --disable-features=...ThirdPartyStoragePartitioning
// (among others) to every browser it launches, so a third-party iframe "shares" storage
// under Playwright and nowhere else. Here we spawn /usr/bin/chromium with our own flags,
// read the DevTools port from <profile>/DevToolsActivePort and use connectOverCDP.
//
// Profile state that a real user would have (third-party cookies allowed, a storage-access
// grant) is written into <profile>/Default/Preferences BEFORE launch, never granted through
// CDP (Browser.setPermission makes Chromium kill the hub renderer when the handle is used).

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { ensureCerts } from './certs.js';

export const CHROMIUM = process.env.COS_E2E_CHROMIUM || '/usr/bin/chromium';
export const PROFILE_MODES = ['default', 'cookies-allowed', 'seeded-grant'];

/** Microseconds since 1601-01-01 (Windows FILETIME epoch), as Chromium stores pref times. */
export function chromeTime(ms = Date.now()) {
  return String((BigInt(Math.round(ms)) + 11644473600000n) * 1000n);
}

const THIRTY_DAYS_US = '2592000000000';

/**
 * The content-setting exceptions that pressing "Allow" on the storage-access prompt writes:
 * one per (embedded hub site, top-level embedding site) pair. Patterns carry no port, so
 * they cover whatever port the test server got.
 */
export function storageAccessGrants(hubSite, embeddingSites, { now = Date.now() } = {}) {
  const out = {};
  for (const site of embeddingSites) {
    out[`https://[*.]${hubSite},https://[*.]${site}`] = {
      expiration: chromeTime(now + 30 * 24 * 3600 * 1000),
      last_modified: chromeTime(now),
      lifetime: THIRTY_DAYS_US,
      setting: 1, // CONTENT_SETTING_ALLOW
    };
  }
  return out;
}

function deepMerge(a, b) {
  if (!b || typeof b !== 'object' || Array.isArray(b)) return b;
  const out = { ...(a && typeof a === 'object' ? a : {}) };
  for (const [k, v] of Object.entries(b)) out[k] = deepMerge(out[k], v);
  return out;
}

/** The Default/Preferences object written for a profile mode (plus any extra prefs). */
export function preferencesFor(mode, { hubSite = 'hub.test', embeddingSites = ['site-a.test', 'site-b.test'], extra = {} } = {}) {
  let prefs = {};
  if (mode === 'default') {
    // Nothing: Debian Chromium's own default (third-party cookies blocked).
  } else if (mode === 'cookies-allowed') {
    prefs = { profile: { cookie_controls_mode: 0 } };
  } else if (mode === 'seeded-grant') {
    prefs = { profile: { content_settings: { exceptions: { storage_access: storageAccessGrants(hubSite, embeddingSites) } } } };
  } else {
    throw new Error(`unknown profile mode ${mode}; use one of ${PROFILE_MODES.join(', ')}`);
  }
  return deepMerge(prefs, extra);
}

/**
 * Pids of live processes that belong to one launch: its process group (browser, zygotes,
 * renderers, utilities) plus anything whose command line names the profile directory
 * (the crashpad handlers, which setsid() away from the group; their --database lives in
 * the profile because we point XDG_CONFIG_HOME there). Zombies are skipped.
 */
export function pidsOfLaunch(pgid, profileDir) {
  const pids = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // state ppid pgrp ...
      if (fields[0] === 'Z') continue;
      if (Number(fields[2]) === pgid) { pids.push(Number(name)); continue; }
      const cmd = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (cmd.includes(profileDir)) pids.push(Number(name));
    } catch { /* gone */ }
  }
  return pids;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// A timer that does not keep the process alive (used only as an upper bound in races).
const bound = (ms) => new Promise((r) => setTimeout(r, ms).unref());

// Safety net: if the test process dies without close(), still kill what we started.
const live = new Set();
process.on('exit', () => {
  for (const b of live) {
    try { process.kill(-b.pid, 'SIGKILL'); } catch { /* gone */ }
    try { fs.rmSync(b.profileDir, { recursive: true, force: true }); } catch { /* ignore */ }
  }
});

/**
 * Launch Chromium. Options:
 *   mode: 'default' | 'cookies-allowed' | 'seeded-grant'   (see preferencesFor)
 *   hubSite = 'hub.test', embeddingSites = ['site-a.test', 'site-b.test']  (for seeded-grant)
 *   preferences: extra Preferences object deep-merged over the mode's
 *   headless = true (false for a headful run under Xvfb; needs DISPLAY, e.g. lib/display.js)
 *   windowSize = [1280, 900] (headful: the window is placed at 0,0 with this size, so screen
 *     pixel = page CSS pixel + the top chrome's height; no window manager runs under Xvfb)
 *   certs = ensureCerts(); certMode = 'spki' (trust only our leaf) | 'ignore-all' | 'none'
 *   resolverRules = 'MAP *.test 127.0.0.1'
 *   extraArgs = [], executable = CHROMIUM, env = {}, startTimeoutMs = 30000
 * Returns {browser, context, pid, profileDir, devtoolsPort, args, newPage(url?), stderrTail(), close()}.
 * context is the profile's default context (the only one that carries the Preferences).
 */
export async function launchBrowser({
  mode = 'default',
  hubSite = 'hub.test',
  embeddingSites = ['site-a.test', 'site-b.test'],
  preferences = {},
  headless = true,
  windowSize = [1280, 900],
  certs = ensureCerts(),
  certMode = 'spki',
  resolverRules = 'MAP *.test 127.0.0.1',
  extraArgs = [],
  executable = CHROMIUM,
  env = {},
  startTimeoutMs = 30000,
} = {}) {
  if (!headless && !(env.DISPLAY || process.env.DISPLAY)) {
    throw new Error('headful Chromium needs a display: run under Xvfb (xvfb-run) or set DISPLAY');
  }
  const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cos-e2e-profile-'));
  fs.mkdirSync(path.join(profileDir, 'Default'));
  fs.writeFileSync(path.join(profileDir, 'Default', 'Preferences'),
    JSON.stringify(preferencesFor(mode, { hubSite, embeddingSites, extra: preferences })));

  const args = [
    ...(headless ? ['--headless']
      // Headful: a known window geometry for xdotool, and no OS keyring (no D-Bus under Xvfb).
      : ['--window-position=0,0', `--window-size=${windowSize[0]},${windowSize[1]}`, '--password-store=basic']),
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--remote-debugging-port=0',
    `--user-data-dir=${profileDir}`,
    `--host-resolver-rules=${resolverRules}`,
    ...(certMode === 'spki' ? [`--ignore-certificate-errors-spki-list=${certs.spki}`]
      : certMode === 'ignore-all' ? ['--ignore-certificate-errors'] : []),
    ...extraArgs,
    'about:blank',
  ];

  const child = spawn(executable, args, {
    detached: true, // own process group, so close() can kill every helper process
    stdio: ['ignore', 'ignore', 'pipe'],
    // Keep Chromium's XDG-derived state (crashpad's "Crash Reports" database) inside the
    // temporary profile rather than in the user's ~/.config.
    env: { ...process.env, XDG_CONFIG_HOME: path.join(profileDir, 'xdg-config'), XDG_CACHE_HOME: path.join(profileDir, 'xdg-cache'), ...env },
  });
  const handle = { pid: child.pid, profileDir };
  live.add(handle);

  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-20000); });
  let exited = false;
  const exitPromise = new Promise((resolve) => child.once('exit', (code, sig) => { exited = true; resolve({ code, sig }); }));

  const cleanup = async () => {
    if (!exited) {
      try { process.kill(-child.pid, 'SIGTERM'); } catch { /* gone */ }
      await Promise.race([exitPromise, bound(5000)]);
    }
    // Anything still alive that belongs to this profile (same group or not) gets SIGKILL.
    for (let i = 0; i < 20; i++) {
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
      const left = pidsOfLaunch(child.pid, profileDir);
      if (left.length === 0) break;
      for (const p of left) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
      await sleep(100);
    }
    live.delete(handle);
    fs.rmSync(profileDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  };

  // Wait for DevToolsActivePort: first line is the port, second the browser ws path.
  const portFile = path.join(profileDir, 'DevToolsActivePort');
  const deadline = Date.now() + startTimeoutMs;
  let devtoolsPort = 0;
  while (!devtoolsPort) {
    if (exited) { await cleanup(); throw new Error(`chromium exited during start-up:\n${stderr}`); }
    if (Date.now() > deadline) { await cleanup(); throw new Error(`chromium did not write DevToolsActivePort in ${startTimeoutMs} ms:\n${stderr}`); }
    try {
      const [line] = fs.readFileSync(portFile, 'utf8').split('\n');
      devtoolsPort = Number(line) || 0;
    } catch { /* not yet */ }
    if (!devtoolsPort) await sleep(50);
  }

  let browser;
  try {
    browser = await chromium.connectOverCDP(`http://127.0.0.1:${devtoolsPort}`, { timeout: startTimeoutMs });
  } catch (err) {
    await cleanup();
    throw err;
  }
  const context = browser.contexts()[0];

  let closed = false;
  return {
    browser,
    context,
    pid: child.pid,
    profileDir,
    devtoolsPort,
    args,
    mode,
    /** Chromium's stderr (last 20 kB); noise (D-Bus errors on a bus-less machine) filtered unless raw. */
    stderrTail: ({ raw = false } = {}) => (raw ? stderr
      : stderr.split('\n').filter((l) => !/dbus|DBus/.test(l)).join('\n')),
    /** A new tab in the profile's default context, optionally navigated to url. */
    async newPage(url, { waitUntil = 'load' } = {}) {
      const page = await context.newPage();
      if (url) await page.goto(url, { waitUntil });
      return page;
    },
    async close() {
      if (closed) return;
      closed = true;
      try { await Promise.race([browser.close(), bound(3000)]); } catch { /* already gone */ }
      await cleanup();
    },
  };
}

/**
 * Record network activity of one page (its frames and dedicated workers included).
 * Returns {events, stop()}; each event {type: 'request'|'response'|'failed'|'finished',
 * url, method, resourceType, frameUrl, status?, failure?, time}.
 */
export function collectNetwork(page) {
  const events = [];
  const frameUrl = (req) => { try { return req.frame().url(); } catch { return null; } };
  const base = (type, req) => ({ type, url: req.url(), method: req.method(), resourceType: req.resourceType(), frameUrl: frameUrl(req), time: Date.now() });
  const onRequest = (req) => events.push(base('request', req));
  const onResponse = (res) => events.push({ ...base('response', res.request()), status: res.status() });
  const onFailed = (req) => events.push({ ...base('failed', req), failure: req.failure()?.errorText });
  const onFinished = (req) => events.push(base('finished', req));
  page.on('request', onRequest);
  page.on('response', onResponse);
  page.on('requestfailed', onFailed);
  page.on('requestfinished', onFinished);
  return {
    events,
    stop() {
      page.off('request', onRequest);
      page.off('response', onResponse);
      page.off('requestfailed', onFailed);
      page.off('requestfinished', onFinished);
    },
  };
}

/**
 * Collect console messages and uncaught page errors: {messages, errors, stop(), text()}.
 * Each message {type, text, frameUrl, location}. Shared workers are not covered (Playwright
 * does not attach to them); relay their logs through messages if a test needs them.
 */
export function collectConsole(page, { echo = false } = {}) {
  const messages = [];
  const errors = [];
  const onConsole = (m) => {
    let frameUrl = null;
    try { frameUrl = m.page() ? m.location().url : null; } catch { /* ignore */ }
    const entry = { type: m.type(), text: m.text(), frameUrl, location: m.location(), time: Date.now() };
    messages.push(entry);
    if (echo) console.log(`[console.${entry.type}] ${entry.text}`);
  };
  const onError = (e) => {
    errors.push({ message: e.message, stack: e.stack, time: Date.now() });
    if (echo) console.log(`[pageerror] ${e.message}`);
  };
  page.on('console', onConsole);
  page.on('pageerror', onError);
  return {
    messages,
    errors,
    text: () => messages.map((m) => `${m.type}: ${m.text}`).join('\n'),
    stop() { page.off('console', onConsole); page.off('pageerror', onError); },
  };
}

/** CDP Performance.getMetrics for the page's main-frame renderer, as {name: value}. */
export async function getMetrics(page) {
  const session = await page.context().newCDPSession(page);
  try {
    await session.send('Performance.enable');
    const { metrics } = await session.send('Performance.getMetrics');
    return Object.fromEntries(metrics.map((m) => [m.name, m.value]));
  } finally {
    await session.detach().catch(() => {});
  }
}

function pssOf(pid) {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/**
 * Memory of every process of a launched browser (browser, zygotes, renderers, GPU, network
 * and storage services, crashpad): {totalRssBytes, totalPssBytes, processes: [{pid, type,
 * rssBytes, pssBytes}]}. RSS counts shared pages once per process (overstates the sum);
 * PSS splits them (the honest total). Linux only.
 */
export function processMemory(launched) {
  const pageSize = 4096;
  const processes = [];
  for (const pid of pidsOfLaunch(launched.pid, launched.profileDir)) {
    try {
      const statm = fs.readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ');
      // Chromium rewrites its process title, so the arguments may be one space-joined string.
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const type = /(?:^|[\s\0])--type=([^\s\0]+)/.exec(cmd)?.[1];
      const sub = /--utility-sub-type=([^\s\0]+)/.exec(cmd)?.[1];
      processes.push({
        pid,
        type: type ? type + (sub ? `:${sub}` : '') : /crashpad_handler/.test(cmd) ? 'crashpad' : 'browser',
        rssBytes: Number(statm[1]) * pageSize,
        pssBytes: pssOf(pid),
      });
    } catch { /* gone */ }
  }
  return {
    totalRssBytes: processes.reduce((s, p) => s + p.rssBytes, 0),
    totalPssBytes: processes.reduce((s, p) => s + (p.pssBytes || 0), 0),
    processes,
  };
}
