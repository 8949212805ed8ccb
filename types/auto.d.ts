// Types for `cos-polyfill/auto`: installs on import from data-hub or <meta name="cos-hub">.
// No exports; importing it makes navigator.crossOriginStorage available (see ./index.d.ts).
import type {} from './index.js';
export {};
