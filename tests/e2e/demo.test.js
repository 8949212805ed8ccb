// Issue 6: the main job. `node web/demo/serve.mjs --once` serves the hub and two demo sites
// on loopback (three different sites), drives headless Chromium through the demo pages and
// reports; site B must be a hit with nothing downloaded. Also: it stops cleanly on signals.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from './lib/certs.js';

const SERVE = path.join(REPO_ROOT, 'web', 'demo', 'serve.mjs');

/** Runs serve.mjs; `until(stdout)` may return true to resolve early (the process keeps running). */
function run(args, { until } = {}) {
  const child = spawn(process.execPath, [SERVE, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, stdout, stderr })));
  const reached = new Promise((resolve) => {
    child.stdout.on('data', (d) => {
      stdout += d;
      if (until?.(stdout)) resolve(stdout);
    });
    child.stderr.on('data', (d) => { stderr += d; });
    exited.then(() => resolve(null));
  });
  return { child, exited, reached, output: () => ({ stdout, stderr }) };
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function connects(url) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port) });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

const urlsFrom = (stdout) => ({
  hub: /hub\s+(http:\/\/\S+)/.exec(stdout)?.[1],
  a: /site A\s+(http:\/\/\S+)/.exec(stdout)?.[1],
  b: /site B\s+(http:\/\/\S+)/.exec(stdout)?.[1],
});

test('npm start --once: site A misses and stores, site B (another site) hits with 0 bytes downloaded', { timeout: 240_000 }, async (t) => {
  const { exited } = run(['--once', '--ports=random']);
  const { code, stdout, stderr } = await exited;
  for (const line of stdout.split('\n').filter((l) => /site [AB] http|hub page|=>/.test(l))) t.diagnostic(line.trim());
  assert.equal(code, 0, `exit code 0 expected\n${stdout}\n${stderr}`);

  const urls = urlsFrom(stdout);
  assert.match(urls.hub, /^http:\/\/\[::1\]:\d+\/$/, 'the hub is on [::1]');
  assert.match(urls.a, /^http:\/\/localhost:\d+\/$/, 'site A is on localhost');
  assert.match(urls.b, /^http:\/\/127\.0\.0\.1:\d+\/$/, 'site B is on 127.0.0.1');

  const size = 50_000_000; // the default --size-mb=50
  const lineA = stdout.split('\n').find((l) => /^\s+site A http/.test(l));
  const lineB = stdout.split('\n').find((l) => /^\s+site B http/.test(l));
  assert.ok(lineA && lineB, `the report has a line per site:\n${stdout}`);
  assert.match(lineA, /: miss, downloaded and stored; .*\((\d+) bytes\)/);
  assert.equal(Number(/\((\d+) bytes\)/.exec(lineA)[1]), size, 'site A downloaded the whole file once');
  assert.match(lineA, /store shared$/);
  assert.match(lineB, /: hit, +loaded from the shared store; 0 B downloaded \(0 bytes\)/, 'site B: hit, 0 bytes downloaded');
  assert.match(lineB, /store shared$/);
  assert.match(stdout, /hub page http:\/\/\[::1\]:\d+\/: 1 file\(s\), 50\.0 MB stored, 1 download\(s\) saved/,
    'the hub\'s own page lists the file and the saved download');
  assert.match(stdout, /=> site B saved a 50\.0 MB download/);
});

test('SIGTERM while serving (no browser) closes every server and exits 0', { timeout: 60_000 }, async () => {
  const proc = run(['--no-browser', '--ports=random', '--size-mb=1'], { until: (out) => /Press Ctrl-C to stop/.test(out) });
  const ready = await proc.reached;
  assert.ok(ready, `serve.mjs did not reach "serving":\n${JSON.stringify(proc.output())}`);
  const urls = urlsFrom(ready);
  for (const url of Object.values(urls)) assert.equal(await connects(url), true, `${url} is served`);

  // The demo page, the config and the hub's folder are there (a human's browser needs them).
  const page = await (await fetch(urls.a)).text();
  assert.match(page, /<script src="\/dist\/cos-polyfill\.js" data-hub="http:\/\/\[::1\]:\d+\/">/, 'the hub URL is filled in');
  const config = await (await fetch(`${urls.b}demo-config.json`)).json();
  assert.equal(config.file.size, 1_000_000);
  assert.match(config.file.sha256, /^[0-9a-f]{64}$/);
  assert.equal((await fetch(`${urls.hub}frame.html`)).status, 200);
  assert.equal((await fetch(`${urls.a}serve.mjs`)).status, 404, 'the server\'s own code is not served');
  if (fs.existsSync(path.join(REPO_ROOT, 'web', 'demo', 'transformers', 'routes.mjs'))) {
    assert.equal((await fetch(`${urls.a}transformers/routes.mjs`)).status, 404, 'nor the Transformers.js routes module');
    assert.equal((await fetch(`${urls.b}transformers/model.cos-manifest.json`)).status, 200, 'its dynamic routes are mounted');
  }
  assert.equal((await fetch(`${urls.a}..%2F..%2Fpackage.json`)).status, 404, 'no path traversal');

  proc.child.kill('SIGTERM');
  const { code, stdout } = await proc.exited;
  assert.equal(code, 0);
  assert.match(stdout, /SIGTERM: stopping/);
  assert.match(stdout, /Stopped: servers closed/);
  for (const url of Object.values(urls)) assert.equal(await connects(url), false, `${url} is closed`);
});

test('SIGINT during the self-demo closes the browser it started and the servers', { timeout: 120_000 }, async () => {
  const proc = run(['--ports=random', '--size-mb=20'], { until: (out) => /headless Chromium \(pid \d+\)/.test(out) });
  const out = await proc.reached;
  assert.ok(out, `the self-demo did not start:\n${JSON.stringify(proc.output())}`);
  const pid = Number(/\(pid (\d+)\)/.exec(out)[1]);
  const urls = urlsFrom(out);
  assert.equal(alive(pid), true, 'Chromium runs');

  proc.child.kill('SIGINT');
  const { code, stdout } = await proc.exited;
  assert.equal(code, 0, stdout);
  assert.match(stdout, /Stopped: servers closed, browser closed\./);
  assert.equal(alive(pid), false, 'Chromium was stopped');
  for (const url of Object.values(urls)) assert.equal(await connects(url), false, `${url} is closed`);
});
