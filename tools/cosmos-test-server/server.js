#!/usr/bin/env node
'use strict';
/**
 * Test-only Cosmos DB server: @vercel/cosmosdb-server 1.0.1 + compat.js,
 * over HTTPS with keep-alive, bound to 127.0.0.1.
 *
 *   node server.js [--port 0] [--cert-dir DIR] [--ignore-stdin]
 *
 * Prints exactly one line to stdout once listening:
 *   COSMOS_ENDPOINT=https://127.0.0.1:<port>/
 * Everything else goes to stderr. Exits when stdin closes (so a dying parent
 * never leaves it running; --ignore-stdin turns that off) and on SIGTERM/SIGINT.
 * Set COSMOS_TEST_SERVER_LOG=1 to log every request to stderr.
 */
const { ensureCertificate, defaultCertDir } = require('./cert');
const compat = require('./compat');

function parseArgs(argv) {
  const opts = { port: 0, certDir: defaultCertDir(), ignoreStdin: false };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${arg} needs a value`);
      i += 1;
      return argv[i];
    };
    if (arg === '--port') opts.port = Number(value());
    else if (arg.startsWith('--port=')) opts.port = Number(arg.slice(7));
    else if (arg === '--cert-dir') opts.certDir = value();
    else if (arg.startsWith('--cert-dir=')) opts.certDir = arg.slice(11);
    else if (arg === '--ignore-stdin') opts.ignoreStdin = true;
    else if (arg === '--help' || arg === '-h') {
      process.stderr.write('usage: node server.js [--port 0] [--cert-dir DIR] [--ignore-stdin]\n');
      process.exit(0);
    } else throw new Error(`unknown argument: ${arg}`);
  }
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
    throw new Error('--port must be an integer between 0 and 65535');
  }
  return opts;
}

function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`cosmos-test-server: ${err.message}\n`);
    process.exit(2);
  }

  const exit = code => process.exit(code);
  process.on('SIGTERM', () => exit(0));
  process.on('SIGINT', () => exit(0));
  if (!opts.ignoreStdin) {
    process.stdin.on('end', () => exit(0));
    process.stdin.on('close', () => exit(0));
    process.stdin.on('error', () => exit(0));
    process.stdin.resume(); // discard anything written to us; we only watch for EOF
  }

  const { key, cert } = ensureCertificate(opts.certDir, process.env.COSMOS_TEST_SERVER_CERT_GENERATOR);
  const { createHttpsServer } = compat.install();
  const server = createHttpsServer({ key, cert, keepAlive: true, minVersion: 'TLSv1.2' });
  // Keep idle keep-alive connections open longer than .NET's pooled-connection
  // idle timeout, so the client never reuses a socket the server is closing.
  server.keepAliveTimeout = 10 * 60 * 1000;
  server.headersTimeout = server.keepAliveTimeout + 1000;
  server.requestTimeout = 0;

  if (process.env.COSMOS_TEST_SERVER_LOG) {
    server.prependListener('request', (req, res) => {
      const start = Date.now();
      const interesting = Object.entries(req.headers)
        .filter(([k]) => /^(x-ms-(documentdb-(partitionkey|query-enablecrosspartition|isquery|partitionkeyrangeid)|cosmos-is-query-plan-request|max-item-count|continuation)|a-im|if-match|if-none-match|if-modified-since|content-type)$/.test(k))
        .map(([k, v]) => `${k}=${v}`).join(' ');
      res.on('finish', () => {
        process.stderr.write(`${req.method} ${req.url} -> ${res.statusCode} (${Date.now() - start} ms) ${interesting}\n`);
      });
    });
  }

  server.on('error', err => {
    process.stderr.write(`cosmos-test-server: ${err.message}\n`);
    process.exit(1);
  });
  server.listen(opts.port, '127.0.0.1', () => {
    process.stdout.write(`COSMOS_ENDPOINT=https://127.0.0.1:${server.address().port}/\n`);
  });
}

main();
