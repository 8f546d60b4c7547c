'use strict';
// server.js: startup line, certificate handling, keep-alive, shutdown.
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const tls = require('node:tls');
const { spawnSync } = require('node:child_process');
const { startServer, stopServer, client, readCert, tempDir, sleep } = require('./helpers');

const certFile = dir => path.join(dir, 'cosmos-test-server.pem');

function tlsConnect(port, ca, servername) {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca, servername }, () => {
      const authorized = socket.authorized;
      const error = socket.authorizationError;
      socket.end();
      resolve({ authorized, error });
    });
    socket.on('error', reject);
  });
}

test('prints exactly one COSMOS_ENDPOINT line and serves the account over HTTPS', async () => {
  const server = await startServer();
  try {
    const c = client(server);
    const r = await c.request('GET', '/');
    assert.equal(r.status, 200);
    assert.equal(r.body.writableLocations[0].databaseAccountEndpoint, server.endpoint);
    c.close();
    await sleep(100);
    assert.deepEqual(server.lines, [`COSMOS_ENDPOINT=${server.endpoint}`]);
  } finally {
    await stopServer(server);
  }
});

test('certificate: CN/SAN localhost + 127.0.0.1, verifiable by both names', async () => {
  const server = await startServer();
  try {
    const ca = readCert(server.certDir);
    const x509 = new crypto.X509Certificate(ca);
    assert.match(x509.subject, /CN=localhost/);
    assert.match(x509.subjectAltName, /DNS:localhost/);
    assert.match(x509.subjectAltName, /IP Address:127\.0\.0\.1/);
    assert.deepEqual(await tlsConnect(server.port, ca, 'localhost'), { authorized: true, error: null });
    assert.deepEqual(await tlsConnect(server.port, ca, undefined), { authorized: true, error: null });
  } finally {
    await stopServer(server);
  }
});

test('certificate is reused while valid and replaced when broken', async () => {
  const certDir = tempDir('cts-reuse-');
  const first = await startServer({ certDir });
  await stopServer(first);
  const pem = fs.readFileSync(certFile(certDir), 'utf8');

  const second = await startServer({ certDir });
  await stopServer(second);
  assert.equal(fs.readFileSync(certFile(certDir), 'utf8'), pem, 'valid certificate must be reused');

  fs.writeFileSync(certFile(certDir), 'not a certificate');
  const third = await startServer({ certDir });
  try {
    const renewed = fs.readFileSync(certFile(certDir), 'utf8');
    assert.notEqual(renewed, pem);
    assert.deepEqual(await tlsConnect(third.port, readCert(certDir), 'localhost'), { authorized: true, error: null });
  } finally {
    await stopServer(third);
  }
  assert.deepEqual(fs.readdirSync(certDir), ['cosmos-test-server.pem'], 'no temp files left behind');
});

test('node-crypto fallback generates a valid certificate without openssl', async () => {
  const server = await startServer({ env: { COSMOS_TEST_SERVER_CERT_GENERATOR: 'node' } });
  try {
    const ca = readCert(server.certDir);
    assert.deepEqual(await tlsConnect(server.port, ca, 'localhost'), { authorized: true, error: null });
    assert.deepEqual(await tlsConnect(server.port, ca, undefined), { authorized: true, error: null });
    // openssl, when present, must agree that the certificate is well-formed.
    const probe = spawnSync('openssl', ['x509', '-noout', '-ext', 'subjectAltName'], { input: ca, encoding: 'utf8' });
    if (!probe.error) {
      assert.equal(probe.status, 0, probe.stderr);
      assert.match(probe.stdout, /DNS:localhost, IP Address:127\.0\.0\.1/);
    }
  } finally {
    await stopServer(server);
  }
});

test('keep-alive: consecutive requests reuse one connection', async () => {
  const server = await startServer();
  const c = client(server);
  try {
    const a = await c.request('GET', '/');
    const b = await c.request('GET', '/');
    assert.equal(a.headers.connection, 'keep-alive');
    assert.equal(a.socket, b.socket);
  } finally {
    c.close();
    await stopServer(server);
  }
});

test('exits when stdin closes', async () => {
  const server = await startServer();
  server.child.stdin.end();
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 5000);
  const { code, signal } = await server.exited;
  clearTimeout(timer);
  assert.equal(signal, null, 'must exit by itself, not be killed');
  assert.equal(code, 0);
});

for (const sig of ['SIGTERM', 'SIGINT']) {
  test(`exits on ${sig}`, async () => {
    const server = await startServer();
    server.child.kill(sig);
    const timer = setTimeout(() => server.child.kill('SIGKILL'), 5000);
    const { code } = await server.exited;
    clearTimeout(timer);
    assert.equal(code, 0);
  });
}

test('rejects unknown arguments', () => {
  const r = spawnSync(process.execPath, [path.join(__dirname, '..', 'server.js'), '--bogus'], {
    input: '', encoding: 'utf8', timeout: 10000
  });
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /unknown argument/);
});
