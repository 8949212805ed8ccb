// Bundles js/ into what we publish: dist/cos-polyfill.js (classic script, installs on
// load), dist/cos-polyfill.mjs (ESM: install, status) and dist/hub/ (the hub operator's folder).
import { build } from 'esbuild';
import { copyFile, mkdir, readdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const hub = join(dist, 'hub');
const common = { bundle: true, minify: false, sourcemap: true, target: 'es2022', logLevel: 'warning', legalComments: 'none' };
const js = (name) => join(root, 'js', name);

// The hub's modules load the Wasm core from beside themselves (dist/hub/cos-core.mjs).
const coreBesideMe = {
  name: 'core-beside-me',
  setup(b) {
    b.onResolve({ filter: /cos-core\.mjs$/ }, () => ({ path: './cos-core.mjs', external: true }));
  },
};

await mkdir(hub, { recursive: true });
const jobs = [];
if (existsSync(js('auto.js'))) {
  jobs.push(build({ ...common, entryPoints: [js('auto.js')], format: 'iife', outfile: join(dist, 'cos-polyfill.js') }));
}
if (existsSync(js('polyfill.js'))) {
  jobs.push(build({ ...common, entryPoints: [js('polyfill.js')], format: 'esm', outfile: join(dist, 'cos-polyfill.mjs') }));
}
if (existsSync(js('worker-entry.js'))) {
  jobs.push(build({ ...common, entryPoints: [js('worker-entry.js')], format: 'iife', outfile: join(dist, 'cos-polyfill.worker.js') }));
  jobs.push(build({ ...common, entryPoints: [js('worker-entry.js')], format: 'esm', outfile: join(dist, 'cos-polyfill.worker.mjs') }));
}
// `cos-polyfill/auto` as ESM shares the one polyfill instance of dist/cos-polyfill.mjs.
const polyfillBesideMe = {
  name: 'polyfill-beside-me',
  setup(b) {
    b.onResolve({ filter: /^\.\/polyfill\.js$/ }, () => ({ path: './cos-polyfill.mjs', external: true }));
  },
};
if (existsSync(js('auto.js'))) {
  jobs.push(build({ ...common, entryPoints: [js('auto.js')], format: 'esm', outfile: join(dist, 'auto.mjs'), plugins: [polyfillBesideMe] }));
}
// Integrations that need only the public API: standalone ES modules.
for (const name of ['fetch', 'html']) {
  if (existsSync(js(`integrations/${name}.js`))) {
    jobs.push(build({ ...common, entryPoints: [js(`integrations/${name}.js`)], format: 'esm', outfile: join(dist, `${name}.mjs`) }));
  }
}
if (existsSync(js('integrations/transformers.js'))) {
  jobs.push(build({ ...common, entryPoints: [js('integrations/transformers.js')], format: 'esm', outfile: join(dist, 'transformers.mjs') }));
}
// Hub: the frame and its workers are module scripts. The hub worker carries the Wasm core's
// glue inside (one fetch round less before its first answer: hub-worker.js, then
// cos-core.wasm); cos-core.mjs is still published beside it for other users.
for (const name of ['hub-frame.js', 'hub-worker.js', 'write-worker.js', 'hub-manage.js']) {
  if (existsSync(js(name))) {
    const plugins = name === 'hub-worker.js' ? [] : [coreBesideMe];
    jobs.push(build({ ...common, entryPoints: [js(name)], format: 'esm', outfile: join(hub, name), plugins, external: ['node:*'] }));
  }
}
await Promise.all(jobs);
for (const f of ['cos-core.mjs', 'cos-core.wasm']) {
  if (existsSync(join(dist, f))) await copyFile(join(dist, f), join(hub, f));
}
const webHub = join(root, 'web', 'hub');
if (existsSync(webHub)) {
  for (const f of await readdir(webHub)) await copyFile(join(webHub, f), join(hub, f));
}
await rm(join(hub, '.keep'), { force: true });
