// Chromium on a profile directory that outlives the browser, for the fault tests
// (tests/e2e/fault-*.test.js): launch, SIGKILL the whole process group mid-write, relaunch
// on the same profile and see what the hub's OPFS store kept. Same flags as lib/browser.js.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { ensureCerts } from './certs.js';
import { CHROMIUM, pidsOfLaunch, preferencesFor } from './browser.js';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const live = new Set();
process.on('exit', () => {
  for (const pid of live) { try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ } }
});

/**
 * Processes that have a file or directory of `profileDir` open (any process, whatever its
 * group or command line: a dying browser process, a crashpad handler...). Zombies hold
 * nothing. Returns [{pid, state, cmd, files}].
 */
export function profileHolders(profileDir) {
  const out = [];
  const dir = fs.realpathSync(profileDir);
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const files = [];
      for (const fd of fs.readdirSync(`/proc/${name}/fd`)) {
        try {
          const target = fs.readlinkSync(`/proc/${name}/fd/${fd}`);
          if (target.startsWith(`${dir}/`)) files.push(target.slice(dir.length + 1));
        } catch { /* closed meanwhile */ }
      }
      if (!files.length) continue;
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
      const cmd = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').slice(0, 160);
      out.push({ pid: Number(name), state, cmd, files: files.slice(0, 8) });
    } catch { /* gone, or not ours to read */ }
  }
  return out;
}

/** A fresh profile directory with the mode's Preferences; remove it with removeProfile(). */
export function createProfile(mode = 'cookies-allowed') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cos-e2e-persistent-'));
  fs.mkdirSync(path.join(dir, 'Default'));
  fs.writeFileSync(path.join(dir, 'Default', 'Preferences'), JSON.stringify(preferencesFor(mode)));
  return dir;
}

export function removeProfile(dir) {
  fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
}

/**
 * Starts Chromium on `profileDir` (kept on close). Returns {browser, context, pid, newPage,
 * kill() (SIGKILL to the group: a crash), close() (graceful)}.
 */
export async function launchOnProfile(profileDir, { certs = ensureCerts(), startTimeoutMs = 30_000, logging = false } = {}) {
  // Diagnostics: what still had the profile open when this launch started.
  const holdersAtLaunch = profileHolders(profileDir);
  fs.rmSync(path.join(profileDir, 'DevToolsActivePort'), { force: true });
  // A killed browser leaves its singleton lock behind; Chromium would refuse the profile.
  for (const f of ['SingletonLock', 'SingletonSocket', 'SingletonCookie']) fs.rmSync(path.join(profileDir, f), { force: true });
  const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--no-default-browser-check', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--remote-debugging-port=0', `--user-data-dir=${profileDir}`,
    '--host-resolver-rules=MAP *.test 127.0.0.1', `--ignore-certificate-errors-spki-list=${certs.spki}`,
    // logging: console messages of every context (the hub SharedWorker's too) on stderr.
    ...(logging ? ['--enable-logging=stderr', '--v=0'] : []), 'about:blank'];
  const child = spawn(CHROMIUM, args, {
    detached: true,
    stdio: ['ignore', 'ignore', logging ? 'pipe' : 'ignore'],
    env: { ...process.env, XDG_CONFIG_HOME: path.join(profileDir, 'xdg-config'), XDG_CACHE_HOME: path.join(profileDir, 'xdg-cache') },
  });
  live.add(child.pid);
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d) => { stderr = (stderr + d).slice(-200_000); });
  let exited = false;
  const exitPromise = new Promise((resolve) => child.once('exit', () => { exited = true; resolve(); }));
  let killReport = null;
  const killAll = async () => {
    const t0 = Date.now();
    // Until nothing of this launch is alive or has a profile file open: a process of a killed
    // browser still holding a LevelDB lock at the next launch makes Chromium clear that
    // database (for OPFS: `Clearing SandboxDirectoryDatabase`, the whole origin's files).
    let i = 0;
    for (; i < 200; i++) {
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
      const left = pidsOfLaunch(child.pid, profileDir);
      for (const p of left) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
      if (exited && left.length === 0 && profileHolders(profileDir).length === 0) break;
      await sleep(50);
    }
    killReport = { ms: Date.now() - t0, rounds: i, exited, left: pidsOfLaunch(child.pid, profileDir), holders: profileHolders(profileDir) };
    live.delete(child.pid);
    if (killReport.left.length || killReport.holders.length) throw new Error(`the killed browser left processes behind: ${JSON.stringify(killReport)}`);
  };
  const portFile = path.join(profileDir, 'DevToolsActivePort');
  const deadline = Date.now() + startTimeoutMs;
  let port = 0;
  while (!port) {
    if (exited || Date.now() > deadline) { await killAll(); throw new Error('chromium did not start on the persistent profile'); }
    try { port = Number(fs.readFileSync(portFile, 'utf8').split('\n')[0]) || 0; } catch { /* not yet */ }
    if (!port) await sleep(30);
  }
  const browser = await chromium.connectOverCDP(`http://127.0.0.1:${port}`, { timeout: startTimeoutMs });
  const context = browser.contexts()[0];
  return {
    browser,
    context,
    pid: child.pid,
    profileDir,
    holdersAtLaunch,
    /** After kill()/close(): how long it took, what was left alive or holding profile files. */
    killReport: () => killReport,
    /** Chromium's stderr (with `logging`: console messages, e.g. the hub worker's "[cos hub] ..."). */
    stderr: () => stderr,
    async newPage(url) {
      const page = await context.newPage();
      if (url) await page.goto(url);
      return page;
    },
    /** A crash: SIGKILL to every process of the browser, no shutdown of any kind. */
    async kill() {
      await killAll();
      await exitPromise;
    },
    async close() {
      await browser.close().catch(() => {});
      try { process.kill(-child.pid, 'SIGTERM'); } catch { /* gone */ }
      await Promise.race([exitPromise, sleep(5000)]);
      await killAll();
    },
  };
}

/** Size in bytes of the profile's storage folders (diagnostics). */
export function duBytes(dir) {
  try { return Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]); } catch { return 0; }
}
