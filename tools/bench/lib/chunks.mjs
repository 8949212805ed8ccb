// The bench's bytes, shared by tools/bench/*.mjs: chunk i of run r is a random base chunk
// with (r, i) in its first 8 bytes, cut at the file's size. Pages generate them with
// makeChunk (each a fresh copy, as a download's chunks are); Node knows every file's digest.
import { createHash, randomFillSync } from 'node:crypto';

export const CHUNK = 4 << 20;  // what the page hands write(): the protocol's largest chunk
export const base = randomFillSync(Buffer.alloc(CHUNK));
export function digestOf(run, size, piece = CHUNK) {
  const h = createHash('sha256');
  const chunk = Buffer.from(base.subarray(0, piece));
  for (let i = 0, off = 0; off < size; i++, off += piece) {
    chunk.writeUInt32LE(run, 0);
    chunk.writeUInt32LE(i, 4);
    h.update(off + piece <= size ? chunk : chunk.subarray(0, size - off));
  }
  return h.digest('hex');
}

// Installed in every bench page (and, as text, in the raw-write worker).
export const CHUNK_SOURCE = `
self.makeChunk = (base, run, i, size, piece = base.byteLength) => {
  const off = i * piece;
  const n = Math.min(piece, size - off);
  const c = base.slice(0, n);
  const v = new DataView(c.buffer);
  if (n >= 8) { v.setUint32(0, run, true); v.setUint32(4, i, true); }
  return c;
};
// The same bytes written into one reused buffer (no garbage: for memory rows that should
// show what the writer holds, not the page's uncollected chunks). Valid until the next call.
self.reusedChunk = (base, run, i, size, piece = base.byteLength) => {
  const reuse = (self.reuseBuffers ??= {})[piece] ??= base.slice(0, piece);
  const n = Math.min(piece, size - i * piece);
  const v = new DataView(reuse.buffer);
  if (n >= 8) { v.setUint32(0, run, true); v.setUint32(4, i, true); }
  return n === piece ? reuse : reuse.subarray(0, n);
};`;

export const RAW_WORKER = `${CHUNK_SOURCE}
// reused: every chunk from one buffer (no fresh 4 MiB allocation per chunk).
onmessage = async ({ data: { base, run, size, name, piece, reused } }) => {
  try {
    const root = await navigator.storage.getDirectory();
    const t0 = performance.now();
    const fh = await root.getFileHandle(name, { create: true });
    const h = await fh.createSyncAccessHandle();
    let at = 0;
    for (let i = 0; at < size; i++) {
      const c = (reused ? reusedChunk : makeChunk)(base, run, i, size, piece);
      h.write(c, { at });
      at += c.byteLength;
    }
    h.flush();
    h.close();
    const ms = performance.now() - t0;
    postMessage({ ms });
  } catch (e) { postMessage({ error: e.name + ': ' + e.message }); }
};`;


/** Installs makeChunk and window.base (the same base as Node's) in a page. */
export async function preparePage(page) {
  await page.evaluate(async ([src, b64]) => {
    (0, eval)(src);
    const bin = atob(b64);
    window.base = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  }, [CHUNK_SOURCE, base.toString('base64')]);
}
