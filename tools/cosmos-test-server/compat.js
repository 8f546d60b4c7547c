'use strict';
/**
 * Compatibility layer for @vercel/cosmosdb-server 1.0.1 (TEST USE ONLY).
 *
 * The stock server speaks enough of the Cosmos DB REST protocol for simple
 * CRUD, but the real .NET SDK (Microsoft.Azure.Cosmos 3.x, Gateway mode) trips
 * over several gaps. This module patches the package's internals *before* the
 * server module is loaded (its route table captures the handler functions when
 * `lib/routes.js` is first required), so call `install()` and use the module it
 * returns; never `require('@vercel/cosmosdb-server')` yourself first.
 *
 * Fixes (each is covered by test/compat.test.js):
 *  1. Query plan: POST .../docs with `x-ms-cosmos-is-query-plan-request: True`
 *     gets a pass-through PartitionedQueryExecutionInfo (one range "".."FF", no
 *     client-side ORDER BY/aggregates/DISTINCT/OFFSET), so the SDK sends the
 *     query unchanged and this server evaluates all of it.
 *  2. Queries: cross-partition queries are always allowed; when the request
 *     carries `x-ms-documentdb-partitionkey`, only that partition is scanned.
 *     Read feeds (GET .../docs) are scoped the same way.
 *  3. 404 (with code "NotFound") instead of 500/empty bodies for reading,
 *     replacing, patching and deleting a missing item, and for writes into a
 *     missing container.
 *  4. 304 for a point read whose If-None-Match matches the item's ETag (or `*`).
 *  5. OFFSET/LIMIT and top-level DISTINCT (optionally with TOP) are emulated by
 *     rewriting the query, post-processing the full result and paging it with
 *     our own continuation token ({"compatSkip":n}).
 *  6. A real change feed (`A-IM: Incremental feed`): every document write gets
 *     a monotonically increasing LSN; the position travels in the ETag as a
 *     quoted LSN ("\"42\""). If-None-Match absent = from the beginning (or from
 *     If-Modified-Since), `*` = from now, otherwise the previous ETag. Latest
 *     version of each item only, no deletes, ordered by LSN, 304 when nothing
 *     changed.
 *  7. Lazy TTL: container `defaultTtl` and item `ttl` are enforced; expired
 *     items are purged when touched (point ops) or before any scan (queries,
 *     read feed, change feed), so they are invisible everywhere.
 *  8. Replacing a container (e.g. to change defaultTtl) keeps its documents
 *     (the stock server silently dropped them).
 *  9. Query functions the bundled engine lacks or rejects: STARTSWITH,
 *     ENDSWITH, CONTAINS and STRINGEQUALS with the optional ignoreCase
 *     argument; GetCurrentDateTime() and GetCurrentTimestamp().
 * 10. TransactionalBatch/bulk requests (a binary format the server cannot
 *     read) get a clear 400 instead of a 500 with a JSON parse stack trace.
 * 11. Resource ids (_rid) are base64 with '/' written as '-', as Cosmos DB
 *     writes them. The stock server kept the '/', so the 63rd database (and
 *     every 256th after it) got a rid like "gAA/AA==": the SDK puts rids in
 *     URL paths (the partition key ranges of a query), the extra '/' broke the
 *     route, and the query failed with a 404 "stale cache" in whichever test
 *     happened to create that database.
 */

const PKG = '@vercel/cosmosdb-server';
const EXPECTED_VERSION = '1.0.1';

let installed = null;

const lib = rel => require(`${PKG}/lib/${rel}`);
// The query engine is a dependency of the server package; resolve it from there.
const queryLib = rel => require(require.resolve(`@zeit/cosmosdb-query/lib/${rel}`, {
  paths: [require('path').dirname(require.resolve(`${PKG}/package.json`))]
}));
const def = mod => (mod && mod.__esModule ? mod.default : mod);

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

const NOT_FOUND = {
  code: 'NotFound',
  message: 'Entity with the specified id does not exist in the system.'
};

function header(req, name) {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function isTrue(req, name) {
  const v = header(req, name);
  return typeof v === 'string' && v.toLowerCase() === 'true';
}

function stripQuotes(s) {
  return typeof s === 'string' ? s.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1') : s;
}

/** Parses `x-ms-documentdb-partitionkey`; returns undefined when absent. */
function partitionKeyFromHeader(req) {
  const raw = header(req, 'x-ms-documentdb-partitionkey');
  if (raw === undefined || raw === '') return undefined;
  let parsed;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    const e = new Error(`Failed to parse x-ms-documentdb-partitionkey header: ${raw}`);
    e.badRequest = true;
    throw e;
  }
  return Array.isArray(parsed) ? parsed : [parsed];
}

function isNonePk(component) {
  // PartitionKey.None is sent as {} ("undefined" partition key value).
  return component !== null && typeof component === 'object' && !Array.isArray(component)
    && Object.keys(component).length === 0;
}

function pathOf(p) {
  return p.slice(1).split('/');
}

function valueAt(obj, keys) {
  let cur = obj;
  for (const k of keys) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = cur[k];
  }
  return cur;
}

/** Returns a predicate selecting the documents of the partition given in the header. */
function partitionFilter(collectionData, pkComponents) {
  if (pkComponents === undefined) return null;
  const paths = ((collectionData.partitionKey || {}).paths || []).filter(p => p !== '/_partitionKey');
  if (!paths.length) return null;
  const keys = paths.map(pathOf);
  return doc => pkComponents.every((c, i) => {
    if (i >= keys.length) return true;
    const v = valueAt(doc, keys[i]);
    if (isNonePk(c)) return v === undefined;
    return canonical(v) === canonical(c);
  });
}

/** JSON with sorted object keys, used for DISTINCT and partition key equality. */
function canonical(v) {
  if (v === undefined) return 'undefined';
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  return `{${Object.keys(v).sort().filter(k => v[k] !== undefined)
    .map(k => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
}

function badRequest(res, message) {
  res.statusCode = 400;
  return { code: 'BadRequest', message };
}

// ---------------------------------------------------------------------------
// Storage patches: LSN per write, lazy TTL, container replace keeps data
// ---------------------------------------------------------------------------

let lastLsn = 0;

/** Absolute expiry time (ms since epoch) of a stored document, Infinity if none. */
function expiresAt(item, collectionData) {
  const defaultTtl = collectionData ? collectionData.defaultTtl : undefined;
  if (typeof defaultTtl !== 'number') return Infinity; // TTL off for the container
  const data = item.read();
  let ttl = defaultTtl;
  if (data && typeof data.ttl === 'number' && data.ttl !== 0) ttl = data.ttl;
  if (!(ttl > 0)) return Infinity; // -1 = never expires
  const writtenAt = typeof item._compatWrittenAt === 'number' ? item._compatWrittenAt : data._ts * 1000;
  return writtenAt + ttl * 1000;
}

function patchStorage() {
  const Items = def(lib('account/items'));
  const Documents = def(lib('account/documents'));
  const Collections = def(lib('account/collections'));
  const baseSet = Items.prototype._set;
  const baseItem = Items.prototype._item;
  const baseQuery = Items.prototype.query;
  const baseRead = Items.prototype.read;
  const baseReplace = Items.prototype.replace;

  // Removes an item from the indexes without going through delete() (which
  // looks the item up again through _item and would recurse).
  Documents.prototype._compatPurge = function purge(item) {
    const data = item.read();
    this._uniqueKeyPaths.forEach(keyPath => {
      const v = valueAt(data, pathOf(keyPath));
      this._index.delete(this._getId(keyPath, v, this._getPartition(data)));
    });
    this._data.delete(data._rid);
  };

  Documents.prototype._compatPurgeExpired = function purgeExpired() {
    const coll = this._parent.read();
    if (!coll || typeof coll.defaultTtl !== 'number') return;
    const now = Date.now();
    for (const item of [...this._data.values()]) {
      if (expiresAt(item, coll) <= now) this._compatPurge(item);
    }
  };

  Documents.prototype._set = function set(data) {
    const result = baseSet.call(this, data);
    const item = this._data.get(data._rid);
    lastLsn += 1;
    item._compatLsn = lastLsn;
    item._compatWrittenAt = Date.now();
    return result;
  };

  Documents.prototype._item = function item(keyPath, keyPathValue, partition) {
    const found = baseItem.call(this, keyPath, keyPathValue, partition);
    const data = found.read();
    if (data && expiresAt(found, this._parent.read()) <= Date.now()) {
      this._compatPurge(found);
      return this._newItem();
    }
    return found;
  };

  Documents.prototype.query = function query(...args) {
    this._compatPurgeExpired();
    return baseQuery.apply(this, args);
  };

  Documents.prototype.read = function read(...args) {
    this._compatPurgeExpired();
    return baseRead.apply(this, args);
  };

  // Stock Collections.replace re-creates the Collection object and with it an
  // empty document store; carry the stores over to the new object.
  Collections.prototype.replace = function replace(data, original) {
    const before = baseItem.call(this, '/id', original.id, original.id);
    const result = baseReplace.call(this, data, original);
    const after = baseItem.call(this, '/id', result.id, result.id);
    if (before && after && before !== after && before.documents) {
      for (const store of ['documents', 'partitionKeyRanges', 'userDefinedFunctions']) {
        after[store] = before[store];
        after[store]._parent = after;
      }
    }
    return result;
  };
}

// ---------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------

const QUERY_PLAN = Object.freeze({
  partitionedQueryExecutionInfoVersion: 2,
  queryInfo: {
    distinctType: 'None',
    top: null,
    offset: null,
    limit: null,
    orderBy: [],
    orderByExpressions: [],
    groupByExpressions: [],
    groupByAliases: [],
    aggregates: [],
    groupByAliasToAggregateType: {},
    rewrittenQuery: '',
    hasSelectValue: false,
    hasNonStreamingOrderBy: false
  },
  queryRanges: [{ min: '', max: 'FF', isMinInclusive: true, isMaxInclusive: false }]
});

const OFFSET_LIMIT_RE = /\s+OFFSET\s+(\d+|@\w+)\s+LIMIT\s+(\d+|@\w+)\s*;?\s*$/i;
const DISTINCT_RE = /^(\s*SELECT\s+)DISTINCT\s+(?:TOP\s+(\d+|@\w+)\s+)?/i;

/**
 * Splits off what the query engine cannot parse: a trailing OFFSET/LIMIT and a
 * top-level DISTINCT (with an optional TOP right after it, which must then be
 * applied after de-duplication). Returns null if nothing needs emulating.
 */
function rewriteQuery(sql, parameters) {
  const param = token => {
    if (/^\d+$/.test(token)) return Number(token);
    const p = (parameters || []).find(x => x.name === token);
    if (!p || typeof p.value !== 'number') throw new Error(`Parameter ${token} must be a number`);
    return p.value;
  };
  let query = sql;
  const post = {};
  const ol = query.match(OFFSET_LIMIT_RE);
  if (ol) {
    post.offset = param(ol[1]);
    post.limit = param(ol[2]);
    query = query.slice(0, ol.index);
  }
  const d = query.match(DISTINCT_RE);
  if (d) {
    post.distinct = true;
    if (d[2] !== undefined) post.top = param(d[2]);
    query = d[1] + query.slice(d[0].length);
  }
  return ol || d ? { query, post } : null;
}

function applyPost(rows, post) {
  let out = rows;
  if (post.distinct) {
    const seen = new Set();
    out = out.filter(r => {
      const k = canonical(r);
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  }
  if (post.top !== undefined) out = out.slice(0, post.top);
  if (post.offset !== undefined) out = out.slice(post.offset, post.offset + post.limit);
  return out;
}

function runQuery(collection, body, req, { continuation, maxItemCount }) {
  const documents = collection.documents;
  documents._compatPurgeExpired();
  const collData = collection.read();
  const filter = partitionFilter(collData, partitionKeyFromHeader(req));
  let rows = [...documents._data.values()].map(item => item.read());
  if (filter) rows = rows.filter(filter);

  const options = {
    parameters: body.parameters,
    udf: documents._userDefinedFunctions(),
    compositeIndexes: (collData.indexingPolicy && collData.indexingPolicy.compositeIndexes) || []
  };
  const rewritten = rewriteQuery(body.query, body.parameters);
  if (!rewritten) {
    return documents._getQuery(body.query).exec(rows, { ...options, maxItemCount, continuation });
  }
  const all = documents._getQuery(rewritten.query).exec(rows, options).result;
  const processed = applyPost(all, rewritten.post);
  const skip = continuation && Number.isInteger(continuation.compatSkip) ? continuation.compatSkip : 0;
  const size = maxItemCount > 0 ? maxItemCount : processed.length;
  const page = processed.slice(skip, skip + size);
  const next = skip + size < processed.length ? { compatSkip: skip + size } : null;
  return { result: page, continuation: next };
}

// ---------------------------------------------------------------------------
// Change feed
// ---------------------------------------------------------------------------

function changeFeed(account, req, res, { dbId, collId }) {
  // The stock response code rewrites every A-IM answer to 304/etag "1"; take
  // the header away so it leaves our status and ETag alone.
  delete req.headers['a-im'];
  const collection = account.database(dbId).collection(collId);
  const collData = collection.read();
  if (!collData) {
    res.statusCode = 404;
    return { ...NOT_FOUND };
  }
  const documents = collection.documents;
  documents._compatPurgeExpired();

  const inm = header(req, 'if-none-match');
  const ims = header(req, 'if-modified-since');
  let since = 0;
  let sinceTime = null;
  if (inm === undefined || inm === '') {
    if (ims) {
      sinceTime = Date.parse(ims);
      if (Number.isNaN(sinceTime)) return badRequest(res, `Invalid If-Modified-Since: ${ims}`);
    }
  } else if (inm.trim() === '*') {
    since = lastLsn;
  } else {
    since = Number(stripQuotes(inm));
    if (!Number.isInteger(since) || since < 0) return badRequest(res, `Invalid change feed continuation: ${inm}`);
  }

  const filter = partitionFilter(collData, partitionKeyFromHeader(req));
  let items = [...documents._data.values()].filter(item => item._compatLsn > since
    && (sinceTime === null || item._compatWrittenAt >= sinceTime)
    && (!filter || filter(item.read())));
  items.sort((a, b) => a._compatLsn - b._compatLsn);
  const max = parseInt(header(req, 'x-ms-max-item-count') || '', 10);
  if (max > 0) items = items.slice(0, max);

  if (!items.length) {
    // Nothing new: echo the caller's position; a start point ("beginning",
    // "*" or a time) becomes the current LSN, which is safe because nothing in
    // scope lies between it and the start point.
    res.statusCode = 304;
    res.setHeader('etag', inm !== undefined && inm !== '' && inm.trim() !== '*' ? `"${since}"` : `"${lastLsn}"`);
    res.setHeader('x-ms-item-count', '0');
    return {};
  }
  const last = items[items.length - 1]._compatLsn;
  res.setHeader('etag', `"${last}"`);
  res.setHeader('x-ms-item-count', String(items.length));
  return {
    _rid: collData._rid,
    Documents: items.map(item => ({ ...item.read(), _lsn: item._compatLsn })),
    _count: items.length
  };
}

// ---------------------------------------------------------------------------
// Query functions (fix 9)
// ---------------------------------------------------------------------------

function patchQueryFunctions() {
  const builtins = queryLib('builtin-functions');
  const { SyntaxError: QuerySyntaxError } = queryLib('parser');
  // Same contract as the engine's own functions: wrong arity is a syntax
  // error, arguments of the wrong type yield undefined.
  const stringFn = (name, test) => (...a) => {
    if (a.length < 2 || a.length > 3) {
      throw new QuerySyntaxError(`The ${name} function requires 2 or 3 argument(s)`);
    }
    const [x, y, ignoreCase] = a;
    if (typeof x !== 'string' || typeof y !== 'string') return undefined;
    if (a.length === 3 && typeof ignoreCase !== 'boolean') return undefined;
    return ignoreCase ? test(x.toLowerCase(), y.toLowerCase()) : test(x, y);
  };
  builtins.STARTSWITH = stringFn('STARTSWITH', (x, y) => x.startsWith(y));
  builtins.ENDSWITH = stringFn('ENDSWITH', (x, y) => x.endsWith(y));
  builtins.CONTAINS = stringFn('CONTAINS', (x, y) => x.includes(y));
  builtins.STRINGEQUALS = stringFn('STRINGEQUALS', (x, y) => x === y);
  if (!builtins.GETCURRENTDATETIME) {
    // Cosmos format: 7 fractional digits, e.g. 2024-01-02T03:04:05.6780000Z
    builtins.GETCURRENTDATETIME = () => new Date().toISOString().replace(/Z$/, '0000Z');
  }
  if (!builtins.GETCURRENTTIMESTAMP) builtins.GETCURRENTTIMESTAMP = () => Date.now();
}

// ---------------------------------------------------------------------------
// Handler patches
// ---------------------------------------------------------------------------

function patchHandlers() {
  const readItems = def(lib('handler/_read-items'));
  const json = def(lib('json'));

  const handler = name => lib(`handler/${name}`);
  const replace = (name, make) => {
    const mod = handler(name);
    mod.default = make(mod.default);
  };
  const notFoundBody = (res, body) => (res.statusCode === 404
    && (!body || !body.code) ? { ...NOT_FOUND } : body);
  const missingCollection = (account, res, { dbId, collId }) => {
    if (account.database(dbId).collection(collId).read()) return null;
    res.statusCode = 404;
    return { ...NOT_FOUND };
  };

  // 1, 2, 5: query plan, cross-partition + partition scoping, OFFSET/LIMIT, DISTINCT.
  replace('query-documents', () => (account, req, res, params) => readItems(req, res, 'Documents',
    async ({ continuation, maxItemCount }) => {
      const body = await json(req);
      if (isTrue(req, 'x-ms-cosmos-is-query-plan-request')) {
        return JSON.parse(JSON.stringify(QUERY_PLAN));
      }
      if (!body || typeof body.query !== 'string') return badRequest(res, 'missing query');
      const collection = account.database(params.dbId).collection(params.collId);
      if (!collection.read()) return null; // -> 404
      try {
        return runQuery(collection, body, req, { continuation, maxItemCount });
      } catch (err) {
        return badRequest(res, err.message);
      }
    }));

  // 6 + 2: change feed, and partition-scoped read feed.
  replace('read-documents', () => (account, req, res, params) => {
    if (header(req, 'a-im')) return changeFeed(account, req, res, params);
    return readItems(req, res, 'Documents', async ({ continuation, maxItemCount }) => {
      const collection = account.database(params.dbId).collection(params.collId);
      if (!collection.read()) return null;
      return runQuery(collection, { query: 'SELECT * FROM c' }, req, { continuation, maxItemCount });
    });
  });

  // 3 + 4: point read with 404 and If-None-Match -> 304.
  replace('read-document', () => (account, req, res, { dbId, collId, docId }) => {
    const collection = account.database(dbId).collection(collId);
    const collData = collection.read();
    if (!collData) {
      res.statusCode = 404;
      return { ...NOT_FOUND };
    }
    const pk = partitionKeyFromHeader(req);
    const first = pk && pk.length && !isNonePk(pk[0]) ? pk[0] : docId;
    const data = collection.document(docId, first).read();
    const filter = partitionFilter(collData, pk);
    if (!data || (filter && !filter(data))) {
      res.statusCode = 404;
      return { ...NOT_FOUND };
    }
    const inm = header(req, 'if-none-match');
    if (inm !== undefined && (inm.trim() === '*' || stripQuotes(inm) === stripQuotes(data._etag))) {
      res.statusCode = 304;
      res.setHeader('etag', data._etag);
      return {};
    }
    res.statusCode = 200;
    return data;
  });

  // 3: consistent 404 bodies; no 500 for writes into a missing container.
  for (const name of ['replace-document', 'patch-document', 'delete-document']) {
    replace(name, original => async (account, req, res, params) => {
      if (!account.database(params.dbId).collection(params.collId).read()) {
        res.statusCode = 404;
        return { ...NOT_FOUND };
      }
      return notFoundBody(res, await original(account, req, res, params));
    });
  }
  // 10: the SDK's batch/bulk body is binary (HybridRow), not JSON.
  replace('batch-documents', original => async (account, req, res, params) => {
    try {
      return await original(account, req, res, params);
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
      return badRequest(res, 'TransactionalBatch and bulk are not supported by cosmos-test-server '
        + '(the SDK sends them in a binary format this server cannot read)');
    }
  });
  for (const name of ['create-document', 'upsert-document']) {
    replace(name, original => async (account, req, res, params) => missingCollection(account, res, params)
      || original(account, req, res, params));
  }
}

// ---------------------------------------------------------------------------

/**
 * Applies the patches (once) and returns the @vercel/cosmosdb-server module
 * ({ createHttpsServer, createHttpServer }).
 */
// 11: rids as Cosmos DB writes them ('-' for '/'), so they fit in a URL path.
function patchResourceIds() {
  const ResourceId = def(lib('account/resource-id'));
  ResourceId.toBase64String = buffer => buffer.toString('base64').replace(/\//g, '-');
  ResourceId.fromBase64String = s => Buffer.from(s.replace(/-/g, '/'), 'base64');
}

function install() {
  if (installed) return installed;
  const version = require(`${PKG}/package.json`).version;
  if (version !== EXPECTED_VERSION) {
    throw new Error(`compat.js was written for ${PKG} ${EXPECTED_VERSION}, found ${version}`);
  }
  if (require.cache[require.resolve(`${PKG}/lib/routes`)]) {
    throw new Error(`${PKG} was loaded before compat.install(); its routes would bypass the patches`);
  }
  patchResourceIds();
  patchStorage();
  patchQueryFunctions();
  patchHandlers();
  installed = require(PKG);
  return installed;
}

module.exports = { install, rewriteQuery, QUERY_PLAN };
