// The e2e harness in one import: certificates, the host-routing HTTPS server, and the
// system Chromium attached over CDP (see docs/testing.md).
export { ensureCerts, spkiHash, TEST_SANS, TEST_SITES } from './certs.js';
export { contentTypeFor, startServer } from './server.js';
export {
  chromeTime, collectConsole, collectNetwork, getMetrics, launchBrowser, pidsOfLaunch, preferencesFor,
  processMemory, PROFILE_MODES, storageAccessGrants,
} from './browser.js';
