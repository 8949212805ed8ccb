#!/usr/bin/env node
// The main job (`npm start` runs it after the build): serves the hub and two demo sites on
// loopback, then proves the sharing with headless Chromium and keeps serving until Ctrl-C.
//
//   node web/demo/serve.mjs [--once] [--no-browser] [--ports=random|HUB,A,B] [--size-mb=N]
//
// --once        run the self-demo, print the report, exit 0 (site B hit, nothing downloaded) or 1
// --no-browser  do not start Chromium; just serve for a human's browser
// --ports       default 7800,7801,7802 (stable, since the browser's store is keyed by the hub's
//               origin, port included); 'random' picks free ports
// --size-mb     size of the demo file in MB (10^6 bytes), default 50

import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import { DEFAULT_PORTS, TRANSFORMERS_ROUTES, startDemo } from './demo-server.mjs';
import { formatBytes } from './format.js';
import { chromiumAvailable, formatReport, launchDemoBrowser, runSelfDemo } from './self-demo.mjs';

const USAGE = 'usage: node web/demo/serve.mjs [--once] [--no-browser] [--ports=random|HUB,A,B] [--size-mb=N]';

/** @returns {{once: boolean, browser: boolean, ports: object, randomPorts: boolean, sizeMb: number}} */
export function parseArgs(argv) {
  const out = { once: false, browser: true, ports: { ...DEFAULT_PORTS }, randomPorts: false, sizeMb: 50 };
  for (const arg of argv) {
    const [flag, value] = arg.split(/=(.*)/s, 2);
    if (flag === '--once') out.once = true;
    else if (flag === '--no-browser') out.browser = false;
    else if (flag === '--ports' && value === 'random') {
      out.ports = { hub: 0, a: 0, b: 0 };
      out.randomPorts = true;
    } else if (flag === '--ports' && /^\d+,\d+,\d+$/.test(value ?? '')) {
      const [hub, a, b] = value.split(',').map(Number);
      out.ports = { hub, a, b };
    } else if (flag === '--size-mb' && /^\d+(\.\d+)?$/.test(value ?? '') && Number(value) > 0) {
      out.sizeMb = Number(value);
    } else if (flag === '--help' || flag === '-h') {
      out.help = true;
    } else {
      throw new Error(`unknown option ${arg}\n${USAGE}`);
    }
  }
  if (out.once && !out.browser) throw new Error('--once needs the browser (drop --no-browser)');
  return out;
}

async function startWithFallback(options, fileBytes) {
  try {
    return await startDemo({ ports: options.ports, fileBytes, onRequest });
  } catch (error) {
    if (error.code !== 'EADDRINUSE' || options.randomPorts) throw error;
    console.warn(`! port ${error.port} is in use; using free ports instead (a browser's shared store is per hub port,`);
    console.warn('  so files stored during an earlier run on other ports will not be found).');
    return startDemo({ ports: { hub: 0, a: 0, b: 0 }, fileBytes, onRequest });
  }
}

let quietRequests = true;
function onRequest(entry) {
  if (quietRequests || !entry.path.startsWith('/files/')) return;
  console.log(`  [site ${entry.origin.toUpperCase()}] GET ${entry.path}: downloading from the site's own server`);
}

export async function main(argv = process.argv.slice(2)) {
  const options = parseArgs(argv);
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  const demo = await startWithFallback(options, Math.round(options.sizeMb * 1e6));
  let launched = null;
  let stopping = false;
  const forever = new Promise(() => {});

  const stop = async (signal) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping…`);
    await launched?.close().catch(() => {});
    await demo.close();
    console.log('Stopped: servers closed' + (launched ? ', browser closed.' : '.'));
    process.exit(options.once ? 1 : 0);
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));

  console.log([
    '',
    'Cross-Origin Storage demo: three origins on this machine, three different sites',
    `  hub      ${demo.urls.hub}      (its page lists what the browser stores)`,
    `  site A   ${demo.urls.a}/`,
    `  site B   ${demo.urls.b}/`,
    ...(fs.existsSync(TRANSFORMERS_ROUTES) ? [`  also     ${demo.urls.a}/transformers/ and ${demo.urls.b}/transformers/ (Transformers.js)`] : []),
    `  file     ${demo.file.name}, ${formatBytes(demo.file.size)}, SHA-256 ${demo.file.sha256}`,
    '',
  ].join('\n'));

  let ok = true;
  if (options.browser) {
    if (!chromiumAvailable()) {
      console.log('No Chromium at /usr/bin/chromium (or $COS_E2E_CHROMIUM): skipping the self-demo.');
      ok = false;
    } else {
      try {
        launched = await launchDemoBrowser();
        console.log(`Running the self-demo in headless Chromium (pid ${launched.pid}): site A loads the file, then site B…`);
        const report = await runSelfDemo(launched, demo);
        console.log(formatReport(report, demo));
        ok = report.ok;
      } catch (error) {
        if (stopping) return forever; // stop() finishes and exits
        console.log(`Self-demo failed: ${error.stack ?? error}`);
        ok = false;
      } finally {
        if (!stopping) {
          await launched?.close().catch(() => {});
          launched = null;
        }
      }
    }
  }
  if (stopping) return forever;
  if (options.once) {
    await demo.close();
    return ok ? 0 : 1;
  }
  quietRequests = false;
  console.log([
    '',
    `Serving. Open ${demo.urls.a}/ in a browser, press "Load the file", then do the same on`,
    `${demo.urls.b}/. Chrome with third-party cookies blocked (its default) asks once: open the`,
    `hub page ${demo.urls.hub} first, then press "Share files across sites…" on a site.`,
    'Press Ctrl-C to stop.',
  ].join('\n'));
  return forever; // serve until a signal
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then((code) => process.exit(code), (error) => {
    console.error(error.message ?? error);
    process.exit(1);
  });
}
