// Types for `cos-polyfill/html` (dist/html.mjs): SPEC §7 <script>/<link crossoriginstorage>.
/// <reference lib="dom" />

export const SELECTOR: string;
/** 'hit' | 'miss' | 'seeded' | 'network' | 'error', set on each handled element */
export const STATE_ATTRIBUTE: 'data-cos-state';
export function installHtml(options?: { root?: Document | Element; global?: typeof globalThis }): { stop(): void };
