// Loaded by web/hub/index.html, the hub's own top-level page (hub origin, first-party storage).
// Touches: the hub SharedWorker over a management port, navigator.storage (persist, estimate), its DOM.

import {
  classify, makeRequest, manageHello, parseManageReply, parseNotice, MAX_MANAGE_ENTRIES,
} from './protocol.js';

/** Name and options the hub frame uses; `sameSiteCookies: 'none'` reaches the frames' instance. */
const WORKER_NAME = 'cos-hub';
const READY_TIMEOUT_MS = 10_000;
const REFRESH_MS = 5_000;

const $ = (id) => document.getElementById(id);

export function formatBytes(n) {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = -1;
  do { value /= 1000; unit++; } while (value >= 1000 && unit < units.length - 1);
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

function formatWhen(ms) {
  if (!ms) return 'never';
  const ago = Date.now() - ms;
  if (ago < 60_000) return 'just now';
  if (ago < 3_600_000) return `${Math.round(ago / 60_000)} min ago`;
  if (ago < 86_400_000) return `${Math.round(ago / 3_600_000)} h ago`;
  return new Date(ms).toLocaleDateString();
}

/** 'http://localhost:7801' → 'localhost:7801' (the full origin is in the title). */
function shortOrigin(origin) {
  return origin.replace(/^https?:\/\//, '');
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key in node) node[key] = value;
    else node.setAttribute(key, value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

/** The page's end of the management port: numbered requests, validated replies. */
class ManageClient {
  #port;
  #nextId = 1;
  #pending = new Map();

  static connect(url) {
    return new Promise((resolve, reject) => {
      let worker;
      try {
        worker = new SharedWorker(url, { type: 'module', name: WORKER_NAME, sameSiteCookies: 'none' });
      } catch (error) {
        reject(error);
        return;
      }
      const timer = setTimeout(() => reject(new Error(`the hub worker did not start within ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
      worker.addEventListener('error', () => { clearTimeout(timer); reject(new Error('the hub worker failed to load')); });
      const port = worker.port;
      port.onmessage = (event) => {
        if (classify(event.data) !== 'notice') return;
        try {
          if (parseNotice(event.data, 'worker').type !== 'ready') return;
        } catch {
          return;
        }
        clearTimeout(timer);
        port.postMessage(manageHello()); // the first message: this port is for management only
        resolve(new ManageClient(port));
      };
      port.start();
    });
  }

  constructor(port) {
    this.#port = port;
    port.onmessage = (event) => this.#receive(event.data);
  }

  request(type, fields = {}) {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { type, resolve, reject });
      this.#port.postMessage(makeRequest(id, type, fields));
    });
  }

  #receive(data) {
    if (classify(data) !== 'reply') return;
    const entry = this.#pending.get(data.id);
    if (!entry) return;
    this.#pending.delete(data.id);
    let reply;
    try {
      reply = parseManageReply(data, entry.type);
    } catch (error) {
      entry.reject(error);
      return;
    }
    if (reply.ok) entry.resolve(reply);
    else entry.reject(Object.assign(new Error(reply.error.message), { name: reply.error.name }));
  }
}

// ---- rendering ----

function setTotal(id, value, text) {
  const node = $(id);
  node.dataset.value = String(value);
  node.textContent = text;
}

function renderTotals(totals) {
  setTotal('total-files', totals.entries, totals.entries.toLocaleString('en'));
  setTotal('total-stored', totals.bytesStored, formatBytes(totals.bytesStored));
  setTotal('total-served', totals.bytesServed, formatBytes(totals.bytesServed));
  setTotal('total-saved', totals.savedDownloads, totals.savedDownloads.toLocaleString('en'));
}

const VISIBILITY = {
  '*': ['every site', 'Any site may read it (origins: \'*\').'],
  list: ['listed sites', 'The storing site and the origins it listed.'],
  'same-site': ['same site', 'Only pages of the site that stored it.'],
};

function renderEntries(entries, totals) {
  const body = $('files');
  body.replaceChildren();
  $('files-empty').hidden = entries.length > 0;
  $('files-table').hidden = entries.length === 0;
  for (const e of entries) {
    const [label, title] = VISIBILITY[e.visibility] ?? [e.visibility, ''];
    const users = new Map();
    for (const o of e.storers) users.set(o, 'stored it');
    for (const r of e.readers) if (!users.has(r.origin)) users.set(r.origin, `read it ${r.count}×`);
    const chips = el('div', { className: 'chips' }, ...[...users].map(([origin, what]) =>
      el('span', { className: `chip${what === 'stored it' ? ' storer' : ''}`, title: `${origin}: ${what}` }, shortOrigin(origin))));
    if (users.size === 0) chips.append(el('span', { className: 'muted' }, 'no site (forgotten)'));
    const listed = e.visibility === 'list' ? el('div', { className: 'muted small' }, `+ ${e.listed.map(shortOrigin).join(', ')}`) : null;
    const del = el('button', { type: 'button', className: 'danger small-button delete', textContent: 'Delete', title: 'Delete this file from the store' });
    del.addEventListener('click', () => act(del, 'manageDelete', { hash: { algorithm: 'SHA-256', value: e.hash } }, 'Deleted the file.'));
    body.append(el('tr', { dataset: { hash: e.hash } },
      el('td', {}, el('code', { className: 'hash', title: e.hash }, `${e.hash.slice(0, 12)}…${e.hash.slice(-6)}`),
        el('div', { className: 'muted small' }, e.contentType || 'type not detected')),
      el('td', { className: 'num', dataset: { bytes: String(e.size) } }, formatBytes(e.size)),
      el('td', {}, el('span', { className: `vis vis-${e.visibility === '*' ? 'any' : e.visibility}`, title }, label), listed),
      el('td', {}, chips),
      el('td', { title: new Date(e.lastAccessMs).toLocaleString() }, formatWhen(e.lastAccessMs)),
      el('td', { className: 'actions' }, del)));
  }
  $('files-more').hidden = totals.entries <= entries.length;
  $('files-more').textContent = `Showing the ${entries.length.toLocaleString('en')} most recently used of ${totals.entries.toLocaleString('en')} files (at most ${MAX_MANAGE_ENTRIES.toLocaleString('en')}).`;
}

function renderSites(sites) {
  const body = $('sites');
  body.replaceChildren();
  $('sites-empty').hidden = sites.length > 0;
  $('sites-table').hidden = sites.length === 0;
  const sorted = [...sites].sort((a, b) => b.bytesStored - a.bytesStored || a.site.localeCompare(b.site));
  for (const s of sorted) {
    const forget = el('button', { type: 'button', className: 'secondary small-button forget', textContent: 'Forget site' });
    forget.title = 'Remove this site from every file; delete the files only it stored';
    forget.addEventListener('click', () => act(forget, 'manageForget', { site: s.site }, `Forgot ${s.site}.`));
    body.append(el('tr', { dataset: { site: s.site } },
      el('td', {}, el('code', {}, s.site)),
      el('td', { className: 'num' }, String(s.entriesStored)),
      el('td', { className: 'num' }, formatBytes(s.bytesStored)),
      el('td', { className: 'num' }, `${s.hits} / ${s.misses}`),
      el('td', { className: 'num' }, String(s.savedDownloads)),
      el('td', { className: 'actions' }, forget)));
  }
}

async function renderState(reply) {
  $('state').dataset.connected = 'true';
  $('state-store').textContent = 'Connected to the hub\'s shared store (the same one the sites\' hub frames use with storage access).';
  let persisted = null;
  try { persisted = await navigator.storage.persisted(); } catch { /* not supported */ }
  $('state-persist').textContent = persisted === null ? 'unknown'
    : persisted ? 'persistent: the browser will not evict these files on its own' : 'best effort: the browser may evict these files when space runs low';
  $('persist').hidden = persisted !== false;
  const { storageUsage, storageQuota } = reply.totals;
  $('state-usage').textContent = storageQuota ? `${formatBytes(storageUsage)} used of ${formatBytes(storageQuota)} the browser gives the hub` : 'unknown';
  const active = $('state-active');
  active.replaceChildren();
  if (reply.connected.length === 0) active.append(el('span', { className: 'muted' }, 'none in the last 10 minutes'));
  for (const origin of reply.connected) active.append(el('span', { className: 'chip' }, shortOrigin(origin)));
}

// ---- actions ----

let client = null;
let busy = false;

function showMessage(text, kind = 'info') {
  const box = $('message');
  box.textContent = text;
  box.dataset.kind = kind;
  box.hidden = !text;
}

async function refresh() {
  if (!client || busy) return;
  const reply = await client.request('manageList');
  renderTotals(reply.totals);
  renderEntries(reply.entries, reply.totals);
  renderSites(reply.sites);
  $('clear').disabled = reply.totals.entries === 0;
  await renderState(reply);
  document.body.dataset.loaded = 'true';
}

async function act(button, type, fields, done) {
  if (busy) return;
  busy = true;
  button.disabled = true;
  try {
    const reply = await client.request(type, fields);
    const removed = reply.removed ?? 0;
    showMessage(`${done} ${removed === 1 ? '1 file' : `${removed} files`} deleted.`);
  } catch (error) {
    showMessage(`${error.name}: ${error.message}`, 'error');
  } finally {
    busy = false;
    button.disabled = false;
    await refresh().catch((error) => showMessage(`Could not refresh: ${error.message}`, 'error'));
  }
}

function wireClearAll() {
  const confirmBox = $('clear-confirm-box');
  $('clear').addEventListener('click', () => {
    confirmBox.hidden = false;
    $('clear').hidden = true;
  });
  $('clear-cancel').addEventListener('click', () => {
    confirmBox.hidden = true;
    $('clear').hidden = false;
  });
  $('clear-confirm').addEventListener('click', async () => {
    await act($('clear-confirm'), 'manageClear', {}, 'Cleared the store.');
    confirmBox.hidden = true;
    $('clear').hidden = false;
  });
}

async function main() {
  if (window.top !== window) {
    // Framed by another page: refuse (no clickjacking of "Clear all"); sites use frame.html.
    $('framed').hidden = false;
    $('app').hidden = true;
    return;
  }
  $('persist').addEventListener('click', async () => {
    try { await navigator.storage.persist(); } catch { /* refused */ }
    await refresh().catch(() => {});
  });
  $('refresh').addEventListener('click', () => refresh().catch((error) => showMessage(error.message, 'error')));
  wireClearAll();
  try {
    client = await ManageClient.connect(new URL('hub-worker.js', import.meta.url));
    await refresh();
  } catch (error) {
    $('state').dataset.connected = 'false';
    $('state-store').textContent = `Could not reach the hub's store: ${error.message}`;
    showMessage(`The hub's store is unavailable: ${error.message}`, 'error');
    return;
  }
  setInterval(() => { if (document.visibilityState === 'visible') refresh().catch(() => {}); }, REFRESH_MS);
}

main();
