// Types for `cos-polyfill` (dist/cos-polyfill.mjs): install() and the navigator.crossOriginStorage
// surface (SPEC §1, §4, §6). Hand-written; kept in step with js/polyfill.js by tests/js/types.test.js.
/// <reference lib="dom" />
import type { CrossOriginStorageFetchInit } from './fetch.js';

/** Where the polyfill's storage lives (README "Status"). */
export type StorageStatus = 'connecting' | 'shared' | 'partitioned' | 'unavailable';

/** `{algorithm, value}`: only 'SHA-256' (any case) stores; value is 64 lowercase hex digits. */
export interface CrossOriginStorageHash {
  algorithm: string;
  value: string;
}

/** Who may read what this origin stores: omitted or [] (same site), '*', or origins. */
export type CrossOriginStorageOrigins = '*' | string | readonly string[];

export interface CrossOriginStorageRequestOptions {
  create?: boolean;
  origins?: CrossOriginStorageOrigins;
}

/** Non-standard: progress of one write, as the hub acknowledges bytes. */
export interface CrossOriginStorageWriteProgress {
  loaded: number;
  /** true once, after the hub verified the bytes and the entry became visible */
  verified: boolean;
}

export interface CrossOriginStorageCreateWritableOptions {
  /** Accepted and ignored: the stream never pre-fills. */
  keepExistingData?: boolean;
  mode?: string;
  onprogress?: (progress: CrossOriginStorageWriteProgress) => void;
}

/** A real WritableStream (pipeTo works) whose bytes the hub verifies at close(). */
export interface CrossOriginStorageWritableFileStream extends WritableStream<FileSystemWriteChunkType> {
  write(data: FileSystemWriteChunkType): Promise<void>;
  seek(position: number): Promise<void>;
  truncate(size: number): Promise<void>;
  /** Rejects with DataError when the final bytes do not match the hash. */
  close(): Promise<void>;
}

export interface CrossOriginStorageFileHandle extends FileSystemFileHandle {
  readonly kind: 'file';
  /** the hash value */
  readonly name: string;
  /** The stored bytes as the hub's OPFS-backed File (no copy). */
  getFile(): Promise<File>;
  createWritable(options?: CrossOriginStorageCreateWritableOptions): Promise<CrossOriginStorageWritableFileStream>;
  /** Always rejects with InvalidStateError. */
  createSyncAccessHandle(): Promise<never>;
  queryPermission(descriptor?: { mode?: 'read' | 'readwrite' }): Promise<PermissionState>;
  requestPermission(descriptor?: { mode?: 'read' | 'readwrite' }): Promise<PermissionState>;
  /** Always rejects with NotAllowedError. */
  move(...args: unknown[]): Promise<never>;
  /** Always rejects with NotAllowedError. */
  remove(): Promise<never>;
}

export interface CrossOriginStorageStatusChangeDetail {
  status: StorageStatus;
  reason?: string;
}

/** What the polyfill adds beside the proposed API (absent on a native implementation). */
export interface CrossOriginStoragePolyfillInfo {
  readonly version: string;
  /** the hub frame URL; null in a worker */
  readonly hub: string | null;
  readonly worker?: boolean;
  status(): StorageStatus;
  onStatusChange(listener: (status: StorageStatus, reason?: string) => void): () => void;
  showConsent(): Promise<StorageStatus>;
  /** Page only: lend this page's hub connection to a same-origin worker (docs/workers.md). */
  connectWorker?(worker: Worker | SharedWorker | MessagePort): () => void;
}

/** `navigator.crossOriginStorage`. */
export interface CrossOriginStorageManager extends EventTarget {
  getFileHandle(hash: CrossOriginStorageHash, options?: CrossOriginStorageRequestOptions): Promise<CrossOriginStorageFileHandle>;
  /** @deprecated Transformers.js 4.3+ name; use getFileHandle(). */
  requestFileHandle(hash: CrossOriginStorageHash, options?: CrossOriginStorageRequestOptions): Promise<CrossOriginStorageFileHandle>;
  /** Transformers.js 4.0–4.2: all or nothing (any miss rejects with NotFoundError). */
  requestFileHandles(hashes: Iterable<CrossOriginStorageHash>, options?: CrossOriginStorageRequestOptions): Promise<CrossOriginStorageFileHandle[]>;
  readonly polyfill?: CrossOriginStoragePolyfillInfo;
  addEventListener(type: 'statuschange', listener: (event: CustomEvent<CrossOriginStorageStatusChangeDetail>) => void, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
}

declare global {
  interface Navigator {
    /** Present only in secure contexts once installed (or natively). */
    readonly crossOriginStorage?: CrossOriginStorageManager;
  }
  interface WorkerNavigator {
    /** Present in workers that load cos-polyfill/worker (or natively). */
    readonly crossOriginStorage?: CrossOriginStorageManager;
  }
  // fetch(url, {integrity, crossOriginStorage}) once install({fetch: true}) ran (SPEC §7).
  interface RequestInit extends CrossOriginStorageFetchInit {}
}

export interface InstallOptions {
  /** The hub directory (frame at `${hub}frame.html`) or the frame page itself. */
  hub: string;
  /** ms to wait for the hub before queued calls fail (default 10 000) */
  timeout?: number;
  /** also wrap fetch() (SPEC §7; cos-polyfill/fetch) */
  fetch?: boolean;
  /** also handle <script>/<link crossoriginstorage> (SPEC §7; cos-polyfill/html) */
  html?: boolean;
}

/** Installs navigator.crossOriginStorage once; returns it (or the native one), or null. */
export function install(options: InstallOptions): CrossOriginStorageManager | null;
export function status(): StorageStatus;
export function onStatusChange(listener: (status: StorageStatus, reason?: string) => void): () => void;
/** Shows the hub's one-click consent; resolves 'shared' or rejects NotAllowedError. */
export function showConsent(): Promise<StorageStatus>;
/** Lend this page's hub connection to a same-origin worker running cos-polyfill/worker. */
export function connectWorker(worker: Worker | SharedWorker | MessagePort): () => void;
export const VERSION: string;
export const DEFAULT_TIMEOUT: number;
