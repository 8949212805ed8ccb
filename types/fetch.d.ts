// Types for `cos-polyfill/fetch` (dist/fetch.mjs): SPEC §7 fetch integration.
/// <reference lib="dom" />

/** Progress of a COS fetch: 'read' counts a hit's body, 'store' a miss being stored. */
export interface CrossOriginStorageFetchProgress {
  phase: 'read' | 'store';
  loaded: number;
  total?: number;
  verified?: boolean;
}

/** The RequestInit members the integration reads (RequestInit is augmented with them). */
export interface CrossOriginStorageFetchInit {
  /** '' (same-site readers), '*', space-separated origins, or an array of origins */
  crossOriginStorage?: '' | '*' | string | readonly string[];
  /** only with crossOriginStorage */
  onprogress?: (progress: CrossOriginStorageFetchProgress) => void;
}

export const FETCH_MARK: unique symbol;
export const SOURCE_MARK: unique symbol;
export const CONTENT_TYPES: Readonly<Record<string, string>>;
export function sha256FromIntegrity(integrity: string): { hexes: string[]; strongest: string | null };
export function contentTypeFor(url: string, storedType?: string): string;
export function originsOption(value: unknown): undefined | '*' | string[];
export function crossOriginStorageFetch(
  input: RequestInfo | URL,
  init?: RequestInit & CrossOriginStorageFetchInit,
  options?: { fetch?: typeof fetch; storage?: unknown },
): Promise<Response>;
/** Wraps global fetch once; returns the wrapper. */
export function installFetch(options?: { global?: typeof globalThis }): typeof fetch;
