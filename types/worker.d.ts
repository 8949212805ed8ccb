// Types for `cos-polyfill/worker` (dist/cos-polyfill.worker.{js,mjs}): a worker's
// navigator.crossOriginStorage, served through the page that calls connectWorker(worker).
import type { CrossOriginStorageManager, StorageStatus } from './index.js';

export function install(options?: { timeout?: number; fetch?: boolean }): CrossOriginStorageManager | null;
export function status(): StorageStatus;
export function onStatusChange(listener: (status: StorageStatus, reason?: string) => void): () => void;
/** Always rejects with NotAllowedError: consent needs the page. */
export function showConsent(): Promise<never>;

declare global {
  /** Set before loading the worker build: {install: false} to install by hand, timeout, fetch. */
  var cosPolyfillOptions: { install?: boolean; timeout?: number; fetch?: boolean } | undefined;
}
