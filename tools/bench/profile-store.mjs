// Profiling aid (not a benchmark): N verified stores of SIZE_MB from site A (fresh random
// bytes, 4 MiB writes): the page-side phases, and the hub worker's phases from its
// `self.cosTrace` hook (js/hub-worker.js), summed per store. Medians (min–max).
// Run on a built tree: SIZE_MB=10 N=8 node tools/bench/profile-store.mjs
import { createHash, randomFillSync } from 'node:crypto';
import { launchBrowser } from '../../tests/e2e/lib/browser.js';
import { openSite, startProductServer } from '../../tests/e2e/lib/product.js';

const SIZE = Math.round(Number(process.env.SIZE_MB ?? 10) * 1e6);
const N = Number(process.env.N ?? 8);
const CHUNK = 4 << 20;
const server = await startProductServer();
const launched = await launchBrowser({ mode: 'cookies-allowed' });
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };
try {
  const { page, status } = await openSite(launched, server, 'site-a.test');
  if (status !== 'shared') throw new Error(status);
  const cdp = await launched.browser.newBrowserCDPSession();
  let nextId = 1; const waiting = new Map();
  cdp.on('Target.receivedMessageFromTarget', (e) => { const m = JSON.parse(e.message); waiting.get(m.id)?.(m.result); waiting.delete(m.id); });
  const { targetInfos } = await cdp.send('Target.getTargets');
  const hubT = targetInfos.find((t) => t.type === 'shared_worker');
  const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: hubT.targetId, flatten: false });
  const evalHub = (expr) => new Promise((resolve) => { const id = nextId++; waiting.set(id, resolve); cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method: 'Runtime.evaluate', params: { expression: expr, returnByValue: true } }) }); });
  const page_ = [];
  const hub = {};
  for (let r = 0; r < N; r++) {
    const buf = randomFillSync(Buffer.alloc(SIZE));
    const hex = createHash('sha256').update(buf).digest('hex');
    await evalHub('self.cosTrace = []');
    const t = await page.evaluate(async ([b64, hex, CHUNK]) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const T = [performance.now()];
      const h = await navigator.crossOriginStorage.getFileHandle({ algorithm: 'SHA-256', value: hex }, { create: true, origins: '*' });
      T.push(performance.now());
      const w = await h.createWritable();
      T.push(performance.now());
      for (let off = 0; off < bytes.length; off += CHUNK) await w.write(bytes.slice(off, off + CHUNK));
      T.push(performance.now());
      await w.close();
      T.push(performance.now());
      return { getFileHandle: T[1] - T[0], createWritable: T[2] - T[1], writes: T[3] - T[2], close: T[4] - T[3], total: T[4] - T[0] };
    }, [buf.toString('base64'), hex, CHUNK]);
    page_.push(t);
    const prof = (await evalHub('JSON.stringify(self.cosTrace ?? [])'))?.result?.value;
    const agg = {};
    for (const [k, v] of JSON.parse(prof ?? '[]')) agg[k] = (agg[k] ?? 0) + v;
    for (const [k, v] of Object.entries(agg)) (hub[k] ??= []).push(v);
  }
  console.log('page-side, ms median (min–max) over', N, 'stores of', SIZE / 1e6, 'MB');
  for (const k of Object.keys(page_[0])) { const xs = page_.map((p) => p[k]); console.log(`  ${k.padEnd(16)} ${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`); }
  console.log('hub worker (self.cosTrace), ms per store, median (min–max); request types are handler wall times, which overlap');
  for (const [k, xs] of Object.entries(hub)) console.log(`  ${k.padEnd(20)} ${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`);
} finally {
  await launched.close();
  await server.close();
}
