// The journal append of a verified write goes in place, through the frame's write worker
// (a sync access handle), not through createWritable({keepExistingData: true}), which copies
// the whole journal on every commit; and what it appended is there after a restart.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startProductServer } from './lib/product.js';
import { hubWorkerConsole, openTestSite } from './lib/attacker.js';
import { createProfile, launchOnProfile, removeProfile } from './lib/persistent-browser.js';

let server;

before(async () => {
  server = await startProductServer();
});

after(async () => {
  await server?.close();
});

/** Runs `expression` in the hub SharedWorker and returns its value. */
async function inHubWorker(launched, expression) {
  const cdp = await launched.browser.newBrowserCDPSession();
  try {
    const { targetInfos } = await cdp.send('Target.getTargets');
    const hub = targetInfos.find((t) => t.type === 'shared_worker' && /hub-worker\.js/.test(t.url));
    assert.ok(hub, 'a hub worker runs');
    const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: hub.targetId, flatten: false });
    const reply = new Promise((resolve) => {
      cdp.on('Target.receivedMessageFromTarget', (event) => {
        const msg = JSON.parse(event.message);
        if (event.sessionId === sessionId && msg.id === 1) resolve(msg.result);
      });
    });
    await cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id: 1, method: 'Runtime.evaluate', params: { expression, returnByValue: true } }) });
    return (await reply).result.value;
  } finally {
    await cdp.detach().catch(() => {});
  }
}

test('verified writes append the journal in place, and the entries survive a restart', { timeout: 120_000 }, async () => {
  const profile = createProfile('cookies-allowed');
  let launched;
  try {
    launched = await launchOnProfile(profile);
    const site = await openTestSite(launched, server, 'site-a.test');
    assert.equal(site.status, 'shared');
    await inHubWorker(launched, 'self.cosTrace = []; true');
    const entries = [];
    for (let i = 0; i < 6; i++) {
      entries.push(await site.page.evaluate(async ({ seed, size }) => {
        const b = cosT.randomBytes(size, seed);
        const hex = await cosT.sha256(b);
        return { hex, ...(await cosT.write(hex, b, '*')) };
      }, { seed: 700 + i, size: 2000 + i * 3000 }));
    }
    assert.ok(entries.every((e) => e.ok), 'every write verified');
    const labels = JSON.parse(await inHubWorker(launched, 'JSON.stringify((self.cosTrace ?? []).map(([k]) => k))'));
    const appends = labels.filter((k) => k.startsWith('journal append'));
    assert.equal(appends.filter((k) => k === 'journal append: in place').length, 6, `one append in place per write (saw ${JSON.stringify(appends)})`);
    assert.ok(!appends.includes('journal append: createWritable'), 'no append fell back to createWritable');
    const log = await hubWorkerConsole(launched);
    assert.ok(!log.some((l) => l.includes('in place failed')), `no failed in-place append: ${JSON.stringify(log)}`);
    await launched.close();

    launched = await launchOnProfile(profile);
    const again = await openTestSite(launched, server, 'site-b.test');
    const reads = await again.page.evaluate(async (list) => Promise.all(list.map(async (e) => (await cosT.read(e.hex)).hex === e.hex)), entries);
    assert.deepEqual(reads, entries.map(() => true), 'every entry is there after a restart, with its bytes, for another site');
  } finally {
    await launched?.close();
    removeProfile(profile);
  }
});
