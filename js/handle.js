// Loaded by the page polyfill: the file handle navigator.crossOriginStorage resolves to (SPEC §6).
// Touches only the hub connection it is given; never reads file bytes into the page.

import { makeError } from './errors.js';
import { CrossOriginStorageWritableFileStream } from './writable.js';

const FileSystemFileHandleClass = globalThis.FileSystemFileHandle;
const FileSystemHandleClass = globalThis.FileSystemHandle;

/**
 * @typedef {object} HandleInit
 * @property {import('./writable.js').HubRequester} client
 * @property {{algorithm: 'SHA-256', value: string}} hash normalised (js/hash.js)
 * @property {'read'|'create'} mode 'read': a verified entry this origin may see;
 *   'create': may write, reads only after its own verified close
 * @property {string[]} [origins] normalised visibility for writes
 * @property {{size: number, type: string}} [entry] what the lookup reported
 */

/**
 * The handle for one entry, named by its hash. In browsers with File System Access it is
 * `instanceof FileSystemFileHandle`: the prototype chains to the native one while `kind`,
 * `name` and every method are own to this class, so no native brand check ever runs.
 */
export class CrossOriginStorageFileHandle {
  #client;
  #hash;
  #mode;
  #origins;
  #verified;

  /** @param {HandleInit} init */
  constructor(init) {
    this.#client = init.client;
    this.#hash = Object.freeze({ ...init.hash });
    this.#mode = init.mode;
    this.#origins = Object.freeze([...(init.origins ?? [])]);
    this.#verified = init.mode === 'read';
  }

  /** @returns {'file'} */
  get kind() { return 'file'; }

  /** @returns {string} the hash value (64 lowercase hex digits) */
  get name() { return this.#hash.value; }

  /**
   * True exactly when `other` names the same hash.
   * @param {unknown} other
   * @returns {Promise<boolean>}
   */
  async isSameEntry(other) {
    if (other instanceof CrossOriginStorageFileHandle) return other.#hash.value === this.#hash.value;
    if (typeof FileSystemHandleClass === 'function' && other instanceof FileSystemHandleClass) return false;
    throw new TypeError('isSameEntry() needs a FileSystemHandle');
  }

  /**
   * The stored bytes as the hub's OPFS-backed `File` (named by the hash), never a copy.
   * A create handle reads only after its own verified close: NotAllowedError before.
   * @returns {Promise<File>}
   */
  async getFile() {
    if (!this.#verified) {
      throw makeError('NotAllowedError', 'getFile() on a create handle needs a completed, verified write first.');
    }
    const { file } = await this.#client.request('getFile', { hash: this.#hash });
    return asNamedFile(file, this.#hash.value);
  }

  /**
   * A writable stream whose bytes the hub verifies at close(). `keepExistingData` is
   * accepted and ignored: the stream never pre-fills. Non-standard: `onprogress`.
   * @param {{keepExistingData?: boolean, mode?: string,
   *          onprogress?: (progress: {loaded: number, verified: boolean}) => void}} [options]
   * @returns {Promise<CrossOriginStorageWritableFileStream>}
   */
  async createWritable(options) {
    if (options !== undefined && options !== null && typeof options !== 'object') {
      throw new TypeError('createWritable() options must be an object');
    }
    if (this.#mode !== 'create') {
      throw makeError('NotAllowedError', 'Only a handle from getFileHandle(hash, {create: true}) can be written.');
    }
    const onprogress = options?.onprogress;
    if (onprogress !== undefined && onprogress !== null && typeof onprogress !== 'function') {
      throw new TypeError('createWritable() onprogress must be a function');
    }
    const { writeId } = await this.#client.request('writeBegin', { hash: this.#hash, origins: [...this.#origins] });
    return new CrossOriginStorageWritableFileStream({
      client: this.#client,
      writeId,
      onprogress: onprogress ?? undefined,
      onverified: () => { this.#verified = true; },
    });
  }

  /** Sync access handles are not offered: always InvalidStateError. */
  async createSyncAccessHandle() {
    throw makeError('InvalidStateError', 'createSyncAccessHandle() is not available for cross-origin storage entries.');
  }

  /** @param {{mode?: 'read'|'readwrite'}} [descriptor] @returns {Promise<PermissionState>} */
  async queryPermission(descriptor) {
    return this.#permission(descriptor);
  }

  /** Never prompts: same answer as queryPermission(). */
  async requestPermission(descriptor) {
    return this.#permission(descriptor);
  }

  /** Entries cannot be moved: NotAllowedError, entry untouched. */
  async move() {
    throw makeError('NotAllowedError', 'Cross-origin storage entries cannot be moved.');
  }

  /** Entries cannot be removed by a site: NotAllowedError, entry untouched. */
  async remove() {
    throw makeError('NotAllowedError', 'Cross-origin storage entries cannot be removed.');
  }

  // Read handle: read 'granted', readwrite 'denied'. Create handle: readwrite 'granted'
  // (it can write), read 'granted' only after its verified close, 'denied' before.
  #permission(descriptor) {
    const mode = descriptor?.mode ?? 'read';
    if (mode !== 'read' && mode !== 'readwrite') throw new TypeError(`permission mode must be 'read' or 'readwrite'`);
    if (this.#mode === 'read') return mode === 'read' ? 'granted' : 'denied';
    if (mode === 'readwrite') return 'granted';
    return this.#verified ? 'granted' : 'denied';
  }
}

Object.defineProperty(CrossOriginStorageFileHandle.prototype, Symbol.toStringTag, {
  value: 'FileSystemFileHandle', configurable: true,
});

if (typeof FileSystemFileHandleClass === 'function') {
  Object.setPrototypeOf(CrossOriginStorageFileHandle.prototype, FileSystemFileHandleClass.prototype);
}

/**
 * The hub's File already carries the hash as its name; if a hop lost it (Node delivers a
 * plain Blob), wrap it: `new File([blob])` references the blob's bytes, it does not copy.
 * @param {Blob} blob @param {string} name @returns {File}
 */
function asNamedFile(blob, name) {
  if (typeof File === 'function' && blob instanceof File && blob.name === name) return blob;
  return new File([blob], name, { type: blob.type, lastModified: blob.lastModified ?? Date.now() });
}
