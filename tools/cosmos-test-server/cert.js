'use strict';
/**
 * Self-signed TLS certificate for the test server: CN=localhost with
 * SAN DNS:localhost, IP:127.0.0.1, ECDSA P-256, valid for 2 years.
 *
 * The key and certificate are kept together in one PEM file
 * (<certDir>/cosmos-test-server.pem) that is written atomically (temp file +
 * rename), so test processes starting at the same time never see a key that
 * does not match its certificate. An existing file is reused while it is valid
 * for at least another day.
 *
 * Generation uses `openssl` when it is on PATH and otherwise falls back to a
 * small DER encoder on top of node's crypto (no extra dependencies).
 */
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const FILE_NAME = 'cosmos-test-server.pem';
const DAY_MS = 24 * 60 * 60 * 1000;
const VALID_DAYS = 730;

function defaultCertDir() {
  return path.join(os.tmpdir(), 'cosmos-test-server-cert');
}

function splitPem(pem) {
  const key = pem.match(/-----BEGIN (?:EC |RSA )?PRIVATE KEY-----[\s\S]+?-----END (?:EC |RSA )?PRIVATE KEY-----/);
  const cert = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/);
  if (!key || !cert) return null;
  return { key: `${key[0]}\n`, cert: `${cert[0]}\n` };
}

function isUsable(pair) {
  try {
    const x509 = new crypto.X509Certificate(pair.cert);
    const now = Date.now();
    const san = x509.subjectAltName || '';
    return new Date(x509.validFrom).getTime() <= now
      && new Date(x509.validTo).getTime() > now + DAY_MS
      && /DNS:localhost(,|$)/.test(san)
      && /IP Address:127\.0\.0\.1(,|$)/.test(san)
      && x509.checkPrivateKey(crypto.createPrivateKey(pair.key));
  } catch (err) {
    return false;
  }
}

function hasOpenssl() {
  const r = spawnSync('openssl', ['version'], { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

function generateWithOpenssl(dir) {
  const tmp = fs.mkdtempSync(path.join(dir, '.gen-'));
  try {
    const keyFile = path.join(tmp, 'key.pem');
    const certFile = path.join(tmp, 'cert.pem');
    const r = spawnSync('openssl', [
      'req', '-x509', '-nodes', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
      '-keyout', keyFile, '-out', certFile, '-days', String(VALID_DAYS), '-sha256',
      '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-addext', 'basicConstraints=critical,CA:FALSE',
      '-addext', 'keyUsage=critical,digitalSignature',
      '-addext', 'extendedKeyUsage=serverAuth'
    ], { encoding: 'utf8' });
    if (r.error || r.status !== 0) {
      throw new Error(`openssl failed: ${r.error ? r.error.message : r.stderr}`);
    }
    return { key: fs.readFileSync(keyFile, 'utf8'), cert: fs.readFileSync(certFile, 'utf8') };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// --- minimal DER encoder for the node-crypto fallback ----------------------

function derLength(n) {
  if (n < 0x80) return Buffer.from([n]);
  const bytes = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
const tlv = (tag, ...parts) => {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
};
const seq = (...parts) => tlv(0x30, ...parts);
const oid = dotted => {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out = [a * 40 + b];
  for (const n of rest) {
    const chunk = [n & 0x7f];
    for (let v = n >>> 7; v > 0; v >>>= 7) chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
};
const utf8 = s => tlv(0x0c, Buffer.from(s, 'utf8'));
const utcTime = d => tlv(0x17, Buffer.from(
  `${d.toISOString().slice(2, 19).replace(/[-T:]/g, '')}Z`, 'ascii'
));
const octets = buf => tlv(0x04, buf);
const bits = buf => tlv(0x03, Buffer.from([0]), buf);

function generateWithNodeCrypto() {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const ecdsaSha256 = seq(oid('1.2.840.10045.4.3.2'));
  const name = seq(tlv(0x31, seq(oid('2.5.4.3'), utf8('localhost'))));
  const serial = crypto.randomBytes(16);
  serial[0] &= 0x7f;
  serial[0] |= 0x01;
  const notBefore = new Date(Date.now() - 60 * 1000);
  const notAfter = new Date(Date.now() + VALID_DAYS * DAY_MS);
  const extensions = seq(
    seq(oid('2.5.29.17'), octets(seq(
      tlv(0x82, Buffer.from('localhost', 'ascii')),
      tlv(0x87, Buffer.from([127, 0, 0, 1]))
    ))),
    seq(oid('2.5.29.19'), tlv(0x01, Buffer.from([0xff])), octets(seq())),
    seq(oid('2.5.29.15'), tlv(0x01, Buffer.from([0xff])), octets(tlv(0x03, Buffer.from([7, 0x80])))),
    seq(oid('2.5.29.37'), octets(seq(oid('1.3.6.1.5.5.7.3.1'))))
  );
  const tbs = seq(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))),
    tlv(0x02, serial),
    ecdsaSha256,
    name,
    seq(utcTime(notBefore), utcTime(notAfter)),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    tlv(0xa3, extensions)
  );
  const signature = crypto.sign('sha256', tbs, privateKey);
  const der = seq(tbs, ecdsaSha256, bits(signature));
  const cert = `-----BEGIN CERTIFICATE-----\n${der.toString('base64').match(/.{1,64}/g).join('\n')}\n-----END CERTIFICATE-----\n`;
  return { key: privateKey.export({ type: 'pkcs8', format: 'pem' }), cert };
}

/**
 * Returns { key, cert, file, generated } for certDir, creating or renewing
 * the certificate when needed. `generator` forces 'openssl' or 'node'.
 */
function ensureCertificate(certDir = defaultCertDir(), generator = undefined) {
  fs.mkdirSync(certDir, { recursive: true, mode: 0o700 });
  const file = path.join(certDir, FILE_NAME);
  if (fs.existsSync(file)) {
    const pair = splitPem(fs.readFileSync(file, 'utf8'));
    if (pair && isUsable(pair)) return { ...pair, file, generated: false };
  }
  const useOpenssl = generator ? generator === 'openssl' : hasOpenssl();
  const pair = useOpenssl ? generateWithOpenssl(certDir) : generateWithNodeCrypto();
  if (!isUsable(pair)) throw new Error('generated certificate failed validation');
  const tmp = path.join(certDir, `.${FILE_NAME}.${process.pid}.${crypto.randomBytes(4).toString('hex')}`);
  fs.writeFileSync(tmp, pair.key + pair.cert, { mode: 0o600 });
  fs.renameSync(tmp, file);
  return { ...pair, file, generated: true };
}

module.exports = { ensureCertificate, defaultCertDir, generateWithNodeCrypto, FILE_NAME };
