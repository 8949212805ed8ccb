// Loaded by web/demo/index.html on each demo site (module, after dist/cos-polyfill.js).
// Loads the demo file as a site would: the shared store first, the site's own server on a miss.

import { formatBytes, formatMs } from './format.js';

const LOG_KEY = 'cos-demo-log';
const LOG_MAX = 20;
const $ = (id) => document.getElementById(id);

const STATUS_TEXT = {
  connecting: 'Connecting to the hub…',
  shared: 'Connected to the shared store: files stored by any site are available here.',
  partitioned: 'Connected, but this browser keeps this site\'s copy apart from other sites.',
  unavailable: 'The hub is unreachable: the file will be downloaded every time.',
};

function cos() {
  return navigator.crossOriginStorage;
}

function showStatus(status) {
  const pill = $('status');
  pill.dataset.status = status;
  pill.textContent = status === 'shared' ? 'shared across sites' : status;
  $('status-text').textContent = STATUS_TEXT[status] ?? status;
  $('consent-box').hidden = status !== 'partitioned';
}

function readLog() {
  try {
    const log = JSON.parse(localStorage.getItem(LOG_KEY) ?? '[]');
    return Array.isArray(log) ? log : [];
  } catch {
    return [];
  }
}

function renderLog() {
  const log = readLog();
  const body = $('log');
  body.replaceChildren();
  if (log.length === 0) {
    const row = body.insertRow();
    row.className = 'empty';
    const cell = row.insertCell();
    cell.colSpan = 4;
    cell.textContent = 'Nothing loaded yet.';
  }
  for (const entry of log) {
    const row = body.insertRow();
    row.insertCell().textContent = new Date(entry.at).toLocaleTimeString();
    const tag = document.createElement('span');
    tag.className = `tag ${entry.outcome}`;
    tag.textContent = entry.outcome;
    row.insertCell().append(tag);
    const down = row.insertCell();
    down.className = 'num';
    down.textContent = entry.outcome === 'error' ? '—' : formatBytes(entry.downloaded);
    const time = row.insertCell();
    time.className = 'num';
    time.textContent = formatMs(entry.ms);
  }
  const saved = log.filter((e) => e.outcome === 'hit').reduce((sum, e) => sum + e.size, 0);
  $('saved').textContent = formatBytes(saved);
}

function addLog(entry) {
  const log = [{ ...entry, at: Date.now() }, ...readLog()].slice(0, LOG_MAX);
  localStorage.setItem(LOG_KEY, JSON.stringify(log));
  renderLog();
}

function showResult(outcome, title, detail, data = {}) {
  const box = $('result');
  box.hidden = false;
  box.replaceChildren();
  const strong = document.createElement('strong');
  strong.textContent = title;
  const span = document.createElement('span');
  span.textContent = detail;
  box.append(strong, span);
  delete box.dataset.outcome;
  for (const [key, value] of Object.entries(data)) box.dataset[key] = String(value);
  box.dataset.outcome = outcome; // set last: automation waits for it
}

function setProgress(fraction) {
  $('progress').hidden = fraction === null;
  $('progress-bar').style.width = `${Math.round((fraction ?? 0) * 100)}%`;
}

/** Counts bytes passing through, for the "downloaded" figure and the progress bar. */
function counter(onBytes) {
  let total = 0;
  return new TransformStream({
    transform(chunk, controller) {
      total += chunk.byteLength;
      onBytes(total);
      controller.enqueue(chunk);
    },
  });
}

async function readAll(file) {
  let bytes = 0;
  const reader = file.stream().getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return bytes;
    bytes += value.byteLength;
  }
}

/**
 * The part a real site would write: ask the store by hash; on a miss download, and store
 * what was downloaded for every site (the hub verifies the bytes against the hash).
 */
async function loadFile(config) {
  const hash = { algorithm: 'SHA-256', value: config.file.sha256 };
  const started = performance.now();
  try {
    const handle = await cos().getFileHandle(hash);
    const file = await handle.getFile();
    const read = await readAll(file);
    return { outcome: 'hit', downloaded: 0, size: read, ms: performance.now() - started };
  } catch (error) {
    if (error.name !== 'NotFoundError') throw error;
  }
  let downloaded = 0;
  const response = await fetch(config.file.url, { cache: 'no-store' });
  if (!response.ok) throw new Error(`download failed: HTTP ${response.status}`);
  const handle = await cos().getFileHandle(hash, { create: true, origins: '*' });
  const writable = await handle.createWritable();
  await response.body
    .pipeThrough(counter((n) => { downloaded = n; setProgress(n / config.file.size); }))
    .pipeTo(writable);
  const file = await handle.getFile();
  return { outcome: 'miss', downloaded, size: file.size, ms: performance.now() - started };
}

async function onLoad(config) {
  const button = $('load');
  button.disabled = true;
  $('result').hidden = true;
  setProgress(0);
  try {
    const r = await loadFile(config);
    const saved = formatBytes(r.size);
    if (r.outcome === 'hit') {
      showResult('hit', `Hit: loaded from the shared store in ${formatMs(r.ms)}`,
        `0 bytes downloaded. Another site stored this file; this site saved a ${saved} download.`, r);
    } else {
      const shared = cos().polyfill.status() === 'shared';
      showResult('miss', `Miss: downloaded ${formatBytes(r.downloaded)} and stored it in ${formatMs(r.ms)}`, shared
        ? `The hub verified the SHA-256 and now offers the file to every site. Try ${config.other.name}.`
        : 'The hub verified the SHA-256, but sharing is off in this browser: only this site will find this copy.', r);
    }
    addLog(r);
  } catch (error) {
    showResult('error', `${error.name}: ${error.message}`, 'The file could not be loaded.', { errorName: error.name });
    addLog({ outcome: 'error', downloaded: 0, size: 0, ms: 0 });
  } finally {
    setProgress(null);
    button.disabled = false;
  }
}

async function main() {
  const config = await (await fetch('/demo-config.json', { cache: 'no-store' })).json();
  document.body.dataset.site = config.site.key;
  $('file-name').textContent = config.file.name;
  $('file-size').textContent = `${formatBytes(config.file.size)} (${config.file.size.toLocaleString('en')} bytes)`;
  $('file-hash').textContent = config.file.sha256;
  renderLog();

  const api = cos();
  if (!api?.polyfill) {
    showStatus('unavailable');
    $('status-text').textContent = 'navigator.crossOriginStorage is missing: the polyfill did not load.';
    return;
  }
  showStatus(api.polyfill.status());
  api.polyfill.onStatusChange((status) => showStatus(status));
  $('consent').addEventListener('click', () => {
    api.polyfill.showConsent().catch((error) => { $('status-text').textContent = `Sharing was not enabled: ${error.message}`; });
  });
  $('load').addEventListener('click', () => onLoad(config));
  $('load').disabled = false;
}

main().catch((error) => showResult('error', `The demo failed to start: ${error.message}`, '', { errorName: error.name }));
