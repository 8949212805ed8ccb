// `npm start` until the cross-site demo lands: loads the built Wasm core and prints
// a self-check of each concept (hashing, hash ids, origins, sites).
import { createHash } from 'node:crypto';
import { loadCore } from '../dist/cos-core.mjs';

const core = await loadCore();
const checks = [];
const check = (name, got, want) => checks.push({ name, ok: got === want, got, want });

const s = new core.Sha256Stream();
s.update(new TextEncoder().encode('abc'));
check('SHA-256("abc")', s.digestHex(), createHash('sha256').update('abc').digest('hex'));
s.delete();
check('parseHashId md5 → TypeError status', core.parseHashId({ algorithm: 'md5', value: '' }).statusName, 'InvalidAlgorithm');
check('origin of HTTPS://Example.COM:443/x', core.parseOrigin('HTTPS://Example.COM:443/x').origin, 'https://example.com');
check('site of x.example.co.uk', core.siteOf('https://x.example.co.uk'), 'https://example.co.uk');
check('a.github.io vs b.github.io', core.isSameSite('https://a.github.io', 'https://b.github.io'), false);

for (const c of checks) console.log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.got}`);
const failed = checks.filter((c) => !c.ok).length;
console.log(failed ? `${failed} self-checks failed` : 'core self-check passed');
process.exit(failed ? 1 : 0);
