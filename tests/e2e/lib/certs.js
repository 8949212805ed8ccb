// Test TLS material for the e2e harness: a throw-away CA and one leaf certificate
// covering every test host. Generated with the `openssl` CLI on first use and cached
// under build/e2e/certs/ (build/ is git-ignored). Chromium is told to trust the leaf by
// its SPKI hash (--ignore-certificate-errors-spki-list), so nothing is installed system-wide.

import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(here, '../../..');
export const DEFAULT_CERT_DIR = path.join(REPO_ROOT, 'build/e2e/certs');

/** The registrable test sites. Each gets the bare name and a wildcard SAN. */
export const TEST_SITES = ['hub.test', 'site-a.test', 'site-b.test', 'evil.test'];

export const TEST_SANS = TEST_SITES.flatMap((s) => [s, `*.${s}`]);

const MIN_REMAINING_MS = 7 * 24 * 3600 * 1000; // regenerate when less than a week is left

function openssl(args, cwd) {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** base64(sha256(DER SubjectPublicKeyInfo)): the value Chromium's SPKI allow-list wants. */
export function spkiHash(certPem) {
  const der = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64');
}

function usable(dir, sans) {
  try {
    const certPem = fs.readFileSync(path.join(dir, 'leaf.crt'), 'utf8');
    fs.accessSync(path.join(dir, 'leaf.key'));
    fs.accessSync(path.join(dir, 'ca.crt'));
    const cert = new X509Certificate(certPem);
    if (Date.parse(cert.validTo) - Date.now() < MIN_REMAINING_MS) return false;
    const have = new Set((cert.subjectAltName || '').split(/,\s*/).map((s) => s.replace(/^DNS:/, '')));
    return sans.every((s) => have.has(s));
  } catch {
    return false;
  }
}

function generate(dir, sans) {
  fs.mkdirSync(dir, { recursive: true });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '3650',
    '-subj', '/CN=cos-polyfill e2e test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  openssl(['req', '-new', ...ec, '-keyout', 'leaf.key', '-out', 'leaf.csr',
    '-subj', `/CN=${sans[0]}`], dir);
  fs.writeFileSync(path.join(dir, 'leaf.ext'), [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=serverAuth',
    `subjectAltName=${sans.map((s) => `DNS:${s}`).join(',')}`,
    '',
  ].join('\n'));
  openssl(['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key',
    '-CAcreateserial', '-days', '365', '-sha256', '-extfile', 'leaf.ext', '-out', 'leaf.crt'], dir);
}

/**
 * Returns {dir, key, cert, ca, spki, sans} (key/cert/ca are PEM strings), generating the
 * CA and leaf if the cache is missing, expiring, or lacks a SAN. Safe against two test
 * processes racing: each generates into its own temp dir and renames into place.
 */
export function ensureCerts({ dir = DEFAULT_CERT_DIR, sans = TEST_SANS } = {}) {
  if (!usable(dir, sans)) {
    const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
    generate(tmp, sans);
    fs.rmSync(dir, { recursive: true, force: true });
    try {
      fs.renameSync(tmp, dir);
    } catch (err) {
      // Another process won the race; use its copy if it is good.
      fs.rmSync(tmp, { recursive: true, force: true });
      if (!usable(dir, sans)) throw err;
    }
  }
  const read = (f) => fs.readFileSync(path.join(dir, f), 'utf8');
  const cert = read('leaf.crt');
  return { dir, key: read('leaf.key'), cert, ca: read('ca.crt'), spki: spkiHash(cert), sans };
}
