// Helpers for the hostile-site and fault e2e tests (tests/e2e/attack-*.test.js, fault-*.test.js):
// page-side code an attacker (or a victim) site runs, policy serving, and a top-level hub
// page that inspects the hub's unpartitioned OPFS store. Loaded by Node test files only.
import { createHash } from 'node:crypto';
import { openSite, startProductServer } from './product.js';

/**
 * The hub's built-in default policy (js/hub-worker.js DEFAULT_POLICY, docs/security.md),
 * served explicitly by the tests that need it pinned whatever the default becomes: a probe
 * budget, the Public Hash List gating '*' entries, GREASE on.
 */
export const RECOMMENDED_POLICY = Object.freeze({
  probeBudget: 100,
  probeWindowMs: 24 * 60 * 60 * 1000,
  phlEnabled: true,
  greaseRate: 0.05,
});

/**
 * Serves `policy` as the hub's hub-config.json (and `phl` hashes as public-hash-list.txt).
 * `policy === null` answers 404 for hub-config.json: the hub runs its built-in defaults.
 */
export function servePolicy(server, policy, phl = []) {
  const offConfig = server.route('hub.test', '/hub-config.json', (req, res) => {
    if (policy === null) {
      res.statusCode = 404;
      res.end('no hub-config.json: built-in defaults\n');
      return;
    }
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify(policy));
  });
  const offPhl = server.route('hub.test', '/public-hash-list.txt', (req, res) => {
    res.setHeader('Content-Type', 'text/plain');
    res.end(`# test PHL\n${phl.join('\n')}\n`);
  });
  return () => { offConfig(); offPhl(); };
}

export const sha256Hex = (bytes) => createHash('sha256').update(bytes).digest('hex');

/**
 * Installed into every test page (victim and attacker alike). Everything an ordinary page
 * can do: the public API, plus posting anything to the hub iframe's window and to ports.
 */
export const PAGE_ATTACK_HELPERS = `
(() => {
  const hexOf = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');
  window.cosT = {
    hexOf,
    async sha256(bytes) { return hexOf(await crypto.subtle.digest('SHA-256', bytes)); },
    randomBytes(n, seed) {
      const out = new Uint8Array(n);
      if (seed === undefined) { for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536))); return out; }
      let x = (seed >>> 0) || 1;
      for (let i = 0; i < n; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; out[i] = x & 255; }
      return out;
    },
    // Write through the public API; resolves {ok, name, message, ms}.
    async write(value, data, origins) {
      const t0 = performance.now();
      try {
        const opts = { create: true };
        if (origins !== undefined) opts.origins = origins;
        const h = await navigator.crossOriginStorage.getFileHandle({ algorithm: 'SHA-256', value }, opts);
        const w = await h.createWritable();
        await w.write(data);
        await w.close();
        return { ok: true, ms: performance.now() - t0 };
      } catch (e) {
        return { ok: false, name: e.name, message: e.message, ms: performance.now() - t0 };
      }
    },
    // Read through the public API; resolves {ok, hex?, size?, name?, message?, ms}.
    async read(value, { bytes = true } = {}) {
      const t0 = performance.now();
      try {
        const h = await navigator.crossOriginStorage.getFileHandle({ algorithm: 'SHA-256', value });
        const ms = performance.now() - t0;
        if (!bytes) return { ok: true, ms };
        const f = await h.getFile();
        return { ok: true, size: f.size, hex: hexOf(await crypto.subtle.digest('SHA-256', await f.arrayBuffer())), ms };
      } catch (e) {
        return { ok: false, name: e.name, message: e.message, ms: performance.now() - t0 };
      }
    },
    // A raw connection to the hub: our own hub iframe and handshake, then any message we like.
    async rawHub(frameUrl = navigator.crossOriginStorage.polyfill.hub, container = document.body) {
      const iframe = document.createElement('iframe');
      iframe.style.display = 'none';
      const loaded = new Promise((r) => { iframe.onload = r; });
      iframe.src = frameUrl;
      container.append(iframe);
      await loaded;
      const ch = new MessageChannel();
      const waiting = new Map();
      const notices = [];
      const strays = [];
      ch.port1.onmessage = (e) => {
        const d = e.data;
        if (d && typeof d === 'object' && 'ok' in d && waiting.has(d.id)) { const w = waiting.get(d.id); waiting.delete(d.id); w(d); }
        else if (d && typeof d === 'object' && 'ok' in d) strays.push(d);
        else notices.push(d);
      };
      iframe.contentWindow.postMessage({ v: 1, type: 'connect' }, '*', [ch.port2]);
      for (let i = 0; i < 400 && !notices.some((n) => n && (n.type === 'ready' || n.type === 'refused')); i++) await new Promise((r) => setTimeout(r, 25));
      return {
        iframe, port: ch.port1, notices, strays,
        // Post a message; resolve with the reply to \`id\` or 'timeout'.
        send(message, transfer = [], timeoutMs = 3000) {
          const id = message && typeof message === 'object' ? message.id : undefined;
          return new Promise((resolve) => {
            const timer = setTimeout(() => { waiting.delete(id); resolve('timeout'); }, timeoutMs);
            if (Number.isSafeInteger(id)) waiting.set(id, (d) => { clearTimeout(timer); resolve(d); });
            try { ch.port1.postMessage(message, transfer); } catch (e) { clearTimeout(timer); resolve({ postError: e.name }); }
          });
        },
      };
    },
  };
})();`;

/** openSite() plus the attack helpers in the page. */
export async function openTestSite(launched, server, host) {
  const site = await openSite(launched, server, host);
  await site.page.evaluate(PAGE_ATTACK_HELPERS);
  return site;
}

/**
 * Serves /inspect.html on hub.test. A top-level hub.test page (cookies-allowed or
 * seeded-grant profile) sees the hub's unpartitioned OPFS: the store the hub worker uses.
 */
export function serveInspector(server) {
  return server.route('hub.test', '/inspect.html', (req, res) => {
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.end('<!doctype html><meta charset="utf-8"><title>inspect</title><body>inspect</body>');
  });
}

/** The product server with `policy` (and a Public Hash List) served, and the inspector page. */
export async function startInspectedServer(policy = RECOMMENDED_POLICY, phl = []) {
  const server = await startProductServer();
  servePolicy(server, policy, phl);
  serveInspector(server);
  return server;
}

/**
 * Lists the hub store from a top-level hub.test page: blob names with their SHA-256
 * (so a poisoned blob, whose bytes do not match its name, shows), tmp/ names, journal size.
 * `hashBlobs`: true (all), false (none) or a list of the blob names to hash.
 */
export async function inspectStore(launched, server, { hashBlobs = true } = {}) {
  const page = await launched.newPage(server.url('hub.test', '/inspect.html'));
  try {
    return await page.evaluate(async (hashBlobs) => {
      const root = await navigator.storage.getDirectory();
      const names = async (dir) => { const out = []; for await (const n of dir.keys()) out.push(n); return out.sort(); };
      const sub = async (...path) => {
        let d = root;
        try { for (const p of path) d = await d.getDirectoryHandle(p); return d; } catch { return null; }
      };
      const blobsDir = await sub('blobs', 'sha256');
      const tmpDir = await sub('tmp');
      const blobs = [];
      for (const name of blobsDir ? await names(blobsDir) : []) {
        const f = await (await blobsDir.getFileHandle(name)).getFile();
        let hex = null;
        if (hashBlobs === true || (Array.isArray(hashBlobs) && hashBlobs.includes(name))) {
          const d = await crypto.subtle.digest('SHA-256', await f.arrayBuffer());
          hex = [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, '0')).join('');
        }
        blobs.push({ name, size: f.size, hex });
      }
      let journalBytes = null;
      try { journalBytes = (await (await root.getFileHandle('journal')).getFile()).size; } catch {}
      return { blobs, tmp: tmpDir ? await names(tmpDir) : null, journalBytes, root: await names(root) };
    }, hashBlobs);
  } finally {
    await page.close();
  }
}

/** Wilson score interval for k successes out of n (z = 1.96: 95 %). */
export function wilson(k, n, z = 1.96) {
  if (n === 0) return [0, 1];
  const p = k / n;
  const d = 1 + (z * z) / n;
  const c = (p + (z * z) / (2 * n)) / d;
  const h = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return [Math.max(0, c - h), Math.min(1, c + h)];
}

/** p50/p90/p99/min/max/mean of a list of numbers (ms), rounded for printing. */
export function summarize(values) {
  const s = [...values].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  const r = (x) => Math.round(x * 100) / 100;
  const mean = s.reduce((a, b) => a + b, 0) / (s.length || 1);
  return { n: s.length, min: r(s[0]), p50: r(q(0.5)), p90: r(q(0.9)), p99: r(q(0.99)), max: r(s[s.length - 1]), mean: r(mean) };
}

/**
 * Console messages of the running hub SharedWorker(s), replayed by the V8 inspector on
 * Runtime.enable (so messages logged at start are included). Returns an array of strings.
 */
export async function hubWorkerConsole(launched, { waitMs = 500 } = {}) {
  const cdp = await launched.browser.newBrowserCDPSession();
  try {
    const { targetInfos } = await cdp.send('Target.getTargets');
    const workers = targetInfos.filter((t) => t.type === 'shared_worker' && /hub-worker\.js/.test(t.url));
    const lines = [];
    for (const w of workers) {
      const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: w.targetId, flatten: false });
      const onMessage = (event) => {
        if (event.sessionId !== sessionId) return;
        const msg = JSON.parse(event.message);
        if (msg.method === 'Runtime.consoleAPICalled') {
          lines.push(msg.params.args.map((a) => a.value ?? a.description ?? '').join(' '));
        }
      };
      cdp.on('Target.receivedMessageFromTarget', onMessage);
      await cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id: 1, method: 'Runtime.enable' }) });
      await new Promise((r) => setTimeout(r, waitMs));
      cdp.off('Target.receivedMessageFromTarget', onMessage);
      await cdp.send('Target.detachFromTarget', { sessionId }).catch(() => {});
    }
    return lines;
  } finally {
    await cdp.detach().catch(() => {});
  }
}
