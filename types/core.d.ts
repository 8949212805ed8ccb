// Types for `cos-polyfill/core` (dist/cos-core.mjs): the Wasm core (README "The Wasm core").

export interface CoreResult {
  ok: boolean;
  status: number;
  statusName: string;
}

export interface Sha256Stream {
  update(data: ArrayBuffer | ArrayBufferView): this;
  /** 64 lowercase hex digits; resets the stream */
  digestHex(): string;
  reset(): this;
  readonly bytesHashed: number | bigint;
  /** frees the Wasm-side state */
  delete(): void;
}

export interface Core {
  readonly Status: Readonly<Record<string, number>>;
  statusName(code: number): string;
  statusMessage(code: number): string;
  Sha256Stream: new () => Sha256Stream;
  parseHashId(hash: { algorithm: string; value: string }): CoreResult & { algorithm: string; value: string };
  parseIntegrity(text: string): CoreResult & { value: string };
  hexToIntegrity(hex: string): string | null;
  parseOrigin(text: string): CoreResult & { origin: string; scheme: string; host: string; port: number; site: string };
  siteOf(text: string): string | null;
  isSameSite(a: string, b: string): boolean;
  /** the raw Embind module (index and journal classes; docs/journal.md) */
  readonly raw: unknown;
}

export function loadCore(options?: { wasmBinary?: ArrayBuffer | Uint8Array; locateFile?: (name: string) => string }): Promise<Core>;
