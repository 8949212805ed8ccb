// The demo server's listening: one port on several addresses. A port the first address
// picked (port 0) can be in use on the next one (CI saw `EADDRINUSE ::1:<port>` for site A,
// which listens on 127.0.0.1 and ::1); then another port is picked.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { listenAll } from '../../web/demo/demo-server.mjs';

const handler = (req, res) => res.end('ok');

/** Binds for real, but the second address refuses the first `refusals` ports it is given. */
function refusingBind(refusals) {
  const refused = [];
  const bind = (server, port, host) => new Promise((resolve, reject) => {
    if (port !== 0 && refused.length < refusals) {
      refused.push(port);
      const error = new Error(`listen EADDRINUSE: address already in use ${host}:${port}`);
      error.code = 'EADDRINUSE';
      reject(error);
      return;
    }
    server.once('error', reject);
    server.listen(port, host, () => resolve(server.address().port));
  });
  return { bind, refused };
}

const closeAll = (servers) => Promise.all(servers.map((s) => new Promise((r) => s.close(r))));

test('port 0: a port taken on the second address is given up and another is picked', async () => {
  const { bind, refused } = refusingBind(2);
  const { servers, port } = await listenAll(handler, 0, ['127.0.0.1', '::1'], { bind });
  try {
    assert.equal(refused.length, 2, 'two ports were refused on ::1');
    assert.equal(servers.length, 2);
    assert.ok(!refused.includes(port), 'the port in use is a new one');
    for (const server of servers) assert.equal(server.address().port, port, 'one port on every address');
    assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), 'ok');
    assert.equal(await (await fetch(`http://[::1]:${port}/`)).text(), 'ok');
    // The refused attempts' first servers were closed: their ports can be bound again.
    for (const old of refused) {
      const probe = net.createServer();
      await new Promise((resolve, reject) => { probe.once('error', reject); probe.listen(old, '127.0.0.1', resolve); });
      await new Promise((r) => probe.close(r));
    }
  } finally {
    await closeAll(servers);
  }
});

test('a port asked for by number is not swapped for another when it is in use', async () => {
  const holder = net.createServer();
  await new Promise((resolve) => holder.listen(0, '::1', resolve));
  const taken = holder.address().port;
  try {
    await assert.rejects(listenAll(handler, taken, ['::1']), { code: 'EADDRINUSE' });
  } finally {
    await new Promise((r) => holder.close(r));
  }
});

test('port 0: gives up after the attempts it was given, with the last error', async () => {
  const { bind, refused } = refusingBind(Infinity);
  await assert.rejects(listenAll(handler, 0, ['127.0.0.1', '::1'], { bind, attempts: 3 }), { code: 'EADDRINUSE' });
  assert.equal(refused.length, 3);
});
