'use strict';
// Shared test helpers: start server.js as a child process and talk raw
// Cosmos REST to it over HTTPS.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const https = require('node:https');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');

const SERVER = path.join(__dirname, '..', 'server.js');
const started = new Set();

function tempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * Starts `node server.js` and resolves once it printed its endpoint line.
 * Returns { child, endpoint, port, lines, stderr, exited }.
 */
function startServer({ args = [], env = {}, certDir = tempDir('cts-cert-'), timeoutMs = 15000 } = {}) {
  const child = spawn(process.execPath, [SERVER, '--port', '0', '--cert-dir', certDir, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...env }
  });
  started.add(child);
  const exited = new Promise(resolve => child.on('exit', (code, signal) => {
    started.delete(child);
    resolve({ code, signal });
  }));
  const lines = [];
  let stderr = '';
  child.stderr.on('data', d => { stderr += d; });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start in ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    readline.createInterface({ input: child.stdout }).on('line', line => {
      lines.push(line);
      const m = /^COSMOS_ENDPOINT=(https:\/\/127\.0\.0\.1:(\d+)\/)$/.exec(line);
      if (m && lines.length === 1) {
        clearTimeout(timer);
        resolve({
          child, endpoint: m[1], port: Number(m[2]), lines, certDir, exited,
          get stderr() { return stderr; }
        });
      }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`server exited early (code ${code}, signal ${signal}): ${stderr}`));
    });
  });
}

/** Stops a server started by startServer (closing stdin, then SIGKILL as a last resort). */
async function stopServer(server) {
  if (!server || server.child.exitCode !== null || server.child.signalCode !== null) return;
  server.child.stdin.end();
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 5000);
  await server.exited;
  clearTimeout(timer);
}

// Last line of defence: never leave a child behind, whatever happened.
process.on('exit', () => {
  for (const child of started) child.kill('SIGKILL');
});

function readCert(certDir) {
  const pem = fs.readFileSync(path.join(certDir, 'cosmos-test-server.pem'), 'utf8');
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)[0];
}

/**
 * A raw Cosmos REST client. The server checks no key, so the authorization
 * header only has to have the usual shape.
 */
function client(server) {
  const agent = new https.Agent({ keepAlive: true, ca: readCert(server.certDir), maxSockets: 4 });
  const request = (method, urlPath, { body, headers = {} } = {}) => new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined
      : Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const req = https.request({
      host: '127.0.0.1',
      port: server.port,
      method,
      path: urlPath,
      agent,
      headers: {
        authorization: encodeURIComponent('type=master&ver=1.0&sig=dGVzdA=='),
        'x-ms-date': new Date().toUTCString(),
        'x-ms-version': '2018-12-31',
        accept: 'application/json',
        ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
        ...headers
      }
    }, res => {
      const chunks = [];
      res.on('data', c => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let json = null;
        try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
        resolve({ status: res.statusCode, headers: res.headers, body: json, text, socket: res.socket });
      });
    });
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });

  const pkHeader = pk => (pk === undefined ? {} : { 'x-ms-documentdb-partitionkey': JSON.stringify([pk]) });
  return {
    agent,
    request,
    close: () => agent.destroy(),
    createDatabase: id => request('POST', '/dbs', { body: { id } }),
    createContainer: (db, props) => request('POST', `/dbs/${db}/colls`, { body: props }),
    replaceContainer: (db, props) => request('PUT', `/dbs/${db}/colls/${props.id}`, { body: props }),
    create: (db, coll, doc, pk) => request('POST', `/dbs/${db}/colls/${coll}/docs`, { body: doc, headers: pkHeader(pk) }),
    upsert: (db, coll, doc, pk) => request('POST', `/dbs/${db}/colls/${coll}/docs`, {
      body: doc, headers: { ...pkHeader(pk), 'x-ms-documentdb-is-upsert': 'True' }
    }),
    read: (db, coll, id, pk, headers = {}) => request('GET', `/dbs/${db}/colls/${coll}/docs/${encodeURIComponent(id)}`, {
      headers: { ...pkHeader(pk), ...headers }
    }),
    replace: (db, coll, doc, pk, headers = {}) => request('PUT', `/dbs/${db}/colls/${coll}/docs/${encodeURIComponent(doc.id)}`, {
      body: doc, headers: { ...pkHeader(pk), ...headers }
    }),
    patch: (db, coll, id, pk, operations) => request('PATCH', `/dbs/${db}/colls/${coll}/docs/${encodeURIComponent(id)}`, {
      body: { operations }, headers: { ...pkHeader(pk), 'content-type': 'application/json-patch+json' }
    }),
    remove: (db, coll, id, pk) => request('DELETE', `/dbs/${db}/colls/${coll}/docs/${encodeURIComponent(id)}`, { headers: pkHeader(pk) }),
    query: (db, coll, query, { parameters = [], pk, maxItemCount, continuation, crossPartition, headers = {} } = {}) => request(
      'POST', `/dbs/${db}/colls/${coll}/docs`, {
        body: { query, parameters },
        headers: {
          'content-type': 'application/query+json',
          'x-ms-documentdb-isquery': 'True',
          ...pkHeader(pk),
          ...(maxItemCount ? { 'x-ms-max-item-count': String(maxItemCount) } : {}),
          ...(continuation ? { 'x-ms-continuation': continuation } : {}),
          ...(crossPartition ? { 'x-ms-documentdb-query-enablecrosspartition': 'True' } : {}),
          ...headers
        }
      }
    ),
    changeFeed: (db, coll, { ifNoneMatch, ifModifiedSince, maxItemCount, pk } = {}) => request(
      'GET', `/dbs/${db}/colls/${coll}/docs`, {
        headers: {
          'a-im': 'Incremental feed',
          'x-ms-documentdb-partitionkeyrangeid': '0',
          ...pkHeader(pk),
          ...(ifNoneMatch !== undefined ? { 'if-none-match': ifNoneMatch } : {}),
          ...(ifModifiedSince ? { 'if-modified-since': ifModifiedSince } : {}),
          ...(maxItemCount ? { 'x-ms-max-item-count': String(maxItemCount) } : {})
        }
      }
    )
  };
}

/** Runs a query to the end following x-ms-continuation; returns { docs, pages }. */
async function queryAll(c, db, coll, query, opts = {}) {
  const docs = [];
  const pages = [];
  let continuation;
  for (let i = 0; i < 100; i += 1) {
    const r = await c.query(db, coll, query, { ...opts, continuation });
    if (r.status !== 200) throw new Error(`query failed ${r.status}: ${r.text}`);
    docs.push(...r.body.Documents);
    pages.push(r.body.Documents.length);
    continuation = r.headers['x-ms-continuation'];
    if (!continuation) return { docs, pages };
  }
  throw new Error('too many pages');
}

const sleep = ms => new Promise(r => setTimeout(r, ms));

module.exports = { startServer, stopServer, client, queryAll, readCert, tempDir, sleep };
