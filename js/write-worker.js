// Loaded by the hub frame (js/hub-frame.js) as a dedicated module worker (hub origin): the
// hub SharedWorker has no createSyncAccessHandle, a dedicated worker does. Touches only the
// tmp/ file handles the hub worker sends it over the ports the frame hands it; never a page.

import { classify, parseNotice } from './protocol.js';

// Operations of one port run strictly in arrival order: an open is async, the writes that
// follow it must wait for it. Sync access handle calls are synchronous, so nothing else interleaves.
self.onmessage = (event) => {
  // Only the frame that started this worker can post here (a page has no reference to it).
  if (event.ports?.length !== 1 || classify(event.data) !== 'notice') return;
  try {
    if (parseNotice(event.data, 'hubFrame').type !== 'writer') return;
  } catch {
    return;
  }
  serve(event.ports[0]);
};

// Written chunks are garbage at once, but this isolate's heap is tiny and a GC comes
// late: 4 MiB chunks would pile up (~150 MiB in this process while storing 1 GB). A buffer
// transferred into a port whose other end is closed is dropped with its message: its bytes
// are freed now.
const drain = new MessageChannel();
drain.port2.close();
function dropNow(buffer) {
  try {
    drain.port1.postMessage(null, [buffer]);
  } catch { /* already detached: nothing held */ }
}

/** Serves one hub worker connection: `{id, op, key, ...}` in, `{id, ok, ...}` out, in order. */
function serve(port) {
  /** key (the temp file id) → {access: FileSystemSyncAccessHandle, failure: Error|null} */
  const files = new Map();
  let queue = Promise.resolve();
  port.onmessage = ({ data }) => {
    queue = queue.then(() => run(files, data)).then(
      (reply) => port.postMessage({ id: data.id, ok: true, ...reply }),
      (error) => port.postMessage({ id: data.id, ok: false, error: { name: error?.name ?? 'UnknownError', message: String(error?.message ?? error) } }),
    );
  };
  port.start();
}

async function run(files, msg) {
  if (msg.op === 'append') return appendAt(msg);
  if (msg.op === 'open') {
    if (files.has(msg.key)) throw new DOMException('This file is already open.', 'InvalidStateError');
    const access = await msg.handle.createSyncAccessHandle();
    access.truncate(0);  // a write starts from an empty file (keepExistingData never pre-fills)
    files.set(msg.key, { access, failure: null });
    return {};
  }
  const file = files.get(msg.key);
  if (!file) throw new DOMException('No open file with this key.', 'InvalidStateError');
  switch (msg.op) {
    case 'write': {
      // A failed write is kept and surfaces at the next truncate/close: writes are not
      // awaited one by one by the hub worker, only counted.
      if (!file.failure) {
        try {
          writeAll(file.access, new Uint8Array(msg.data), msg.at);
        } catch (error) {
          file.failure = error;
        }
      }
      const bytes = msg.data.byteLength;
      dropNow(msg.data);
      return { bytes };
    }
    case 'truncate':
      if (file.failure) throw file.failure;
      file.access.truncate(msg.size);
      return {};
    case 'close': {
      files.delete(msg.key);
      try {
        if (file.failure) throw file.failure;
        file.access.flush();
      } finally {
        file.access.close();
      }
      return {};
    }
    case 'abort':
      files.delete(msg.key);
      file.access.close();
      return {};
    default:
      throw new DOMException(`Unknown operation ${String(msg.op).slice(0, 32)}.`, 'NotSupportedError');
  }
}

/**
 * Appends `data` at `at` to the file behind `handle` (the hub's journal), cutting off what
 * lay beyond `at` (a torn tail), then flushes. In place, under the hub's index lock: no
 * copy of the file, unlike createWritable({keepExistingData: true}).
 */
async function appendAt({ handle, at, data }) {
  if (typeof FileSystemFileHandle !== 'function' || !(handle instanceof FileSystemFileHandle)
    || !Number.isSafeInteger(at) || at < 0 || !(data instanceof ArrayBuffer)) {
    throw new DOMException('append needs a file handle, a position and an ArrayBuffer.', 'TypeError');
  }
  const access = await handle.createSyncAccessHandle();
  try {
    access.truncate(at);
    writeAll(access, new Uint8Array(data), at);
    access.flush();
  } finally {
    access.close();
  }
  return {};
}

/** Writes all of `bytes` at `at` (a sync write may write less than asked). */
function writeAll(access, bytes, at) {
  for (let done = 0; done < bytes.byteLength;) {
    const n = access.write(bytes.subarray(done), { at: at + done });
    if (n <= 0) throw new DOMException('The file could not be written.', 'QuotaExceededError');
    done += n;
  }
}
