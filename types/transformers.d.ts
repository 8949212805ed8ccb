// Types for `cos-polyfill/transformers` (dist/transformers.mjs): the Transformers.js adapter
// (SPEC §8 custom cache). Mirrors js/integrations/transformers.js.

export interface CrossOriginStorageCacheEvent {
  type: string;
  url: string;
  sha256?: string;
  bytes?: number;
  source?: string;
  error?: string;
}

export interface CrossOriginStorageCacheOptions {
  /** trusted URL → SHA-256 manifests: {base, url?, files?} */
  manifests?: Array<{ base: string; url?: string; files?: unknown }>;
  lfsPointers?: boolean;
  pinnedRuntime?: boolean;
  ortVersion?: string | (() => string | undefined);
  origins?: '*' | string | string[];
  onEvent?: (event: CrossOriginStorageCacheEvent) => void;
  fetch?: typeof fetch;
  storage?: () => unknown;
}

/** The Transformers.js custom cache interface. */
export interface CrossOriginStorageCache {
  match(url: string | Request): Promise<Response | undefined>;
  put(url: string | Request, response: Response, progress?: (data: { progress: number; loaded: number; total: number }) => void): Promise<void>;
  delete?(url: string | Request): Promise<boolean>;
}

export const PINNED_ORT_FILES: Readonly<Record<string, unknown>>;
export function contentTypeFor(url: string): string;
export function parseLfsPointer(text: string): { sha256: string; size: number } | null;
export function parseManifest(doc: unknown): Map<string, { sha256: string; size: number }>;
export function createCrossOriginStorageCache(options?: CrossOriginStorageCacheOptions): CrossOriginStorageCache;
export function useCrossOriginStorage(env: object, options?: CrossOriginStorageCacheOptions): CrossOriginStorageCache;
