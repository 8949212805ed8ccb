// The hand-written declarations in types/: tsc --noEmit over a usage file that imports every
// entry point by package name (through package.json "exports"), and every declared runtime
// export exists in the built module it describes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test } from 'node:test';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const tsc = join(root, 'node_modules', '.bin', 'tsc');

function runTsc(project) {
  try {
    execFileSync(tsc, ['-p', project], { cwd: root, encoding: 'utf8', stdio: 'pipe' });
    return { code: 0, output: '' };
  } catch (error) {
    return { code: error.status, output: `${error.stdout}${error.stderr}` };
  }
}

test('tsc --noEmit accepts the usage file (and its @ts-expect-error lines are real errors)', () => {
  const { code, output } = runTsc('tests/js/fixtures/types/tsconfig.json');
  assert.equal(output, '');
  assert.equal(code, 0);
});

test('every export with a runtime entry has types, and every declared value exists at runtime', async () => {
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    if (subpath.includes('*') || subpath === './package.json') continue;
    assert.equal(typeof target, 'object', `${subpath} has conditions`);
    assert.ok(target.types, `${subpath} has a types condition`);
    assert.equal(Object.keys(target)[0], 'types', `${subpath}: "types" comes first, or TypeScript never sees it`);
    const dts = readFileSync(join(root, target.types), 'utf8');
    const declared = [...dts.matchAll(/^export (?:declare )?(?:function|const|class) (\w+)/gm)].map((m) => m[1]);
    const file = target.import ?? target.default;
    const module = await import(pathToFileURL(join(root, file)).href);
    for (const name of declared) assert.ok(name in module, `${subpath}: ${name} is declared in ${target.types} but ${file} does not export it`);
  }
});
