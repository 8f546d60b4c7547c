'use strict';
// compat.js fixes, exercised over HTTPS with raw Cosmos REST requests.
const test = require('node:test');
const assert = require('node:assert/strict');
const { startServer, stopServer, client, queryAll, sleep } = require('./helpers');
const { rewriteQuery } = require('../compat');

let server;
let c;
const DB = 'compat';

test.before(async () => {
  server = await startServer();
  c = client(server);
  assert.equal((await c.createDatabase(DB)).status, 201);
});

test.after(async () => {
  if (c) c.close();
  await stopServer(server);
});

let collCounter = 0;
async function container(extra = {}) {
  collCounter += 1;
  const id = `coll${collCounter}`;
  const r = await c.createContainer(DB, { id, partitionKey: { paths: ['/pk'], kind: 'Hash' }, ...extra });
  assert.equal(r.status, 201, r.text);
  return id;
}

async function seed(coll, docs) {
  for (const d of docs) {
    const r = await c.create(DB, coll, d, d.pk);
    assert.equal(r.status, 201, r.text);
  }
}

const ids = docs => docs.map(d => d.id);

test('1. query plan request gets the pass-through plan', async () => {
  const coll = await container();
  const r = await c.query(DB, coll, 'SELECT * FROM c ORDER BY c.n', {
    headers: { 'x-ms-cosmos-is-query-plan-request': 'True', 'x-ms-cosmos-supported-query-features': 'Aggregate, OrderBy' }
  });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.partitionedQueryExecutionInfoVersion, 2);
  assert.deepEqual(r.body.queryRanges, [{ min: '', max: 'FF', isMinInclusive: true, isMaxInclusive: false }]);
  const qi = r.body.queryInfo;
  assert.equal(qi.distinctType, 'None');
  assert.equal(qi.top, null);
  assert.equal(qi.offset, null);
  assert.equal(qi.limit, null);
  assert.deepEqual(qi.orderBy, []);
  assert.deepEqual(qi.aggregates, []);
  assert.deepEqual(qi.groupByAliasToAggregateType, {});
  assert.equal(qi.rewrittenQuery, '');
  assert.equal(qi.hasSelectValue, false);
  assert.equal(qi.hasNonStreamingOrderBy, false);
});

test('2. cross-partition queries, scoped to the partition key header when given', async () => {
  const coll = await container();
  await seed(coll, [
    { id: 'a1', pk: 'a', n: 3 }, { id: 'a2', pk: 'a', n: 1 }, { id: 'a3', pk: 'a', n: 5 },
    { id: 'b1', pk: 'b', n: 2 }, { id: 'b2', pk: 'b', n: 4 }, { id: 'x', n: 0 }
  ]);
  // No partition key anywhere, no cross-partition header: stock server said 400.
  const all = await c.query(DB, coll, 'SELECT * FROM c ORDER BY c.n');
  assert.equal(all.status, 200, all.text);
  assert.deepEqual(ids(all.body.Documents), ['x', 'a2', 'b1', 'a1', 'b2', 'a3']);

  const cross = await c.query(DB, coll, 'SELECT VALUE COUNT(1) FROM c WHERE c.n > 1', { crossPartition: true });
  assert.deepEqual(cross.body.Documents, [4]);

  // Partition key header only (nothing in the SQL): only that partition.
  const scoped = await c.query(DB, coll, 'SELECT * FROM c ORDER BY c.n DESC', { pk: 'a' });
  assert.deepEqual(ids(scoped.body.Documents), ['a3', 'a1', 'a2']);
  const count = await c.query(DB, coll, 'SELECT VALUE COUNT(1) FROM c', { pk: 'b' });
  assert.deepEqual(count.body.Documents, [2]);

  // PartitionKey.None ([{}]) selects documents without the key.
  const none = await c.request('POST', `/dbs/${DB}/colls/${coll}/docs`, {
    body: { query: 'SELECT * FROM c', parameters: [] },
    headers: { 'content-type': 'application/query+json', 'x-ms-documentdb-isquery': 'True', 'x-ms-documentdb-partitionkey': '[{}]' }
  });
  assert.deepEqual(ids(none.body.Documents), ['x']);

  // Paging with continuation: no loss, no duplicates, partition respected.
  const paged = await queryAll(c, DB, coll, 'SELECT * FROM c', { pk: 'a', maxItemCount: 2 });
  assert.deepEqual(paged.pages, [2, 1]);
  assert.deepEqual(ids(paged.docs).sort(), ['a1', 'a2', 'a3']);
  const crossPaged = await queryAll(c, DB, coll, 'SELECT * FROM c ORDER BY c.n', { maxItemCount: 4, crossPartition: true });
  assert.deepEqual(ids(crossPaged.docs), ['x', 'a2', 'b1', 'a1', 'b2', 'a3']);

  // The read feed (GET .../docs) is scoped the same way.
  const feed = await c.request('GET', `/dbs/${DB}/colls/${coll}/docs`, { headers: { 'x-ms-documentdb-partitionkey': '["b"]' } });
  assert.deepEqual(ids(feed.body.Documents).sort(), ['b1', 'b2']);

  // Parse errors are 400s.
  const bad = await c.query(DB, coll, 'SELECT * FROM c WHERE');
  assert.equal(bad.status, 400);
});

test('3. missing items and containers give 404 NotFound, not 500', async () => {
  const coll = await container();
  await seed(coll, [{ id: 'here', pk: 'p' }]);
  const checks = {
    read: await c.read(DB, coll, 'nope', 'p'),
    readOtherPartition: await c.read(DB, coll, 'here', 'other'),
    replace: await c.replace(DB, coll, { id: 'nope', pk: 'p' }, 'p'),
    patch: await c.patch(DB, coll, 'nope', 'p', [{ op: 'incr', path: '/n', value: 1 }]),
    delete: await c.remove(DB, coll, 'nope', 'p'),
    readInMissingContainer: await c.read(DB, 'nocoll', 'x', 'p'),
    createInMissingContainer: await c.create(DB, 'nocoll', { id: 'x', pk: 'p' }, 'p'),
    upsertInMissingContainer: await c.upsert(DB, 'nocoll', { id: 'x', pk: 'p' }, 'p'),
    deleteInMissingContainer: await c.remove(DB, 'nocoll', 'x', 'p'),
    queryMissingContainer: await c.query(DB, 'nocoll', 'SELECT * FROM c')
  };
  for (const [name, r] of Object.entries(checks)) {
    assert.equal(r.status, 404, `${name}: ${r.status} ${r.text}`);
  }
  for (const name of ['read', 'readOtherPartition', 'replace', 'patch', 'delete', 'createInMissingContainer']) {
    assert.equal(checks[name].body.code, 'NotFound', name);
  }
  // The item itself is still fine.
  assert.equal((await c.read(DB, coll, 'here', 'p')).status, 200);
});

test('4. If-None-Match on point reads: 304 when it matches', async () => {
  const coll = await container();
  const created = await c.create(DB, coll, { id: 'd', pk: 'p', v: 1 }, 'p');
  const etag = created.headers.etag;
  assert.ok(etag);
  const same = await c.read(DB, coll, 'd', 'p', { 'if-none-match': etag });
  assert.equal(same.status, 304);
  assert.equal(same.headers.etag, etag);
  assert.equal(same.text, '');
  assert.equal((await c.read(DB, coll, 'd', 'p', { 'if-none-match': `"${etag}"` })).status, 304);
  assert.equal((await c.read(DB, coll, 'd', 'p', { 'if-none-match': '*' })).status, 304);
  const other = await c.read(DB, coll, 'd', 'p', { 'if-none-match': 'stale' });
  assert.equal(other.status, 200);
  assert.equal(other.body.v, 1);
  // After a write the old ETag no longer matches.
  await c.replace(DB, coll, { id: 'd', pk: 'p', v: 2 }, 'p');
  const changed = await c.read(DB, coll, 'd', 'p', { 'if-none-match': etag });
  assert.equal(changed.status, 200);
  assert.equal(changed.body.v, 2);
});

test('5. OFFSET/LIMIT and top-level DISTINCT are emulated (with paging)', async () => {
  const coll = await container();
  await seed(coll, Array.from({ length: 8 }, (_, i) => ({ id: `d${i}`, pk: i % 2 ? 'odd' : 'even', n: i, tag: `t${i % 3}` })));

  const ol = await queryAll(c, DB, coll, 'SELECT * FROM c ORDER BY c.n OFFSET 2 LIMIT 5', { maxItemCount: 2 });
  assert.deepEqual(ol.docs.map(d => d.n), [2, 3, 4, 5, 6]);
  assert.deepEqual(ol.pages, [2, 2, 1]);

  const params = await queryAll(c, DB, coll, 'SELECT VALUE c.n FROM c WHERE c.pk = @pk ORDER BY c.n DESC OFFSET @o LIMIT @l', {
    parameters: [{ name: '@pk', value: 'even' }, { name: '@o', value: 1 }, { name: '@l', value: 2 }]
  });
  assert.deepEqual(params.docs, [4, 2]);

  const dv = await queryAll(c, DB, coll, 'SELECT DISTINCT VALUE c.tag FROM c ORDER BY c.tag', { maxItemCount: 2 });
  assert.deepEqual(dv.docs, ['t0', 't1', 't2']);

  const dobj = await queryAll(c, DB, coll, 'select distinct c.pk from c');
  assert.deepEqual(dobj.docs.map(d => d.pk).sort(), ['even', 'odd']);

  const dtop = await queryAll(c, DB, coll, 'SELECT DISTINCT TOP 2 VALUE c.tag FROM c ORDER BY c.tag');
  assert.deepEqual(dtop.docs, ['t0', 't1']);

  const scoped = await queryAll(c, DB, coll, 'SELECT DISTINCT VALUE c.tag FROM c OFFSET 0 LIMIT 10', { pk: 'odd' });
  assert.deepEqual(scoped.docs.sort(), ['t0', 't1', 't2']);

  assert.equal(rewriteQuery('SELECT * FROM c', []), null, 'plain queries are left alone');
});

test('6. change feed: beginning, paging, only new changes, 304, now, partition scope, time', async () => {
  const coll = await container();
  const other = await container();
  const empty = await c.changeFeed(DB, coll);
  assert.equal(empty.status, 304);
  assert.match(empty.headers.etag, /^"\d+"$/);

  await seed(coll, [{ id: 'a', pk: 'x', v: 1 }, { id: 'b', pk: 'y', v: 1 }, { id: 'c', pk: 'x', v: 1 }]);
  await seed(other, [{ id: 'noise', pk: 'x' }]);

  // From the beginning in pages of 2; the ETag is the continuation.
  const p1 = await c.changeFeed(DB, coll, { maxItemCount: 2 });
  assert.equal(p1.status, 200);
  assert.deepEqual(ids(p1.body.Documents), ['a', 'b']);
  assert.equal(p1.body._count, 2);
  assert.equal(p1.headers['x-ms-item-count'], '2');
  assert.ok(p1.body._rid);
  assert.ok(p1.body.Documents.every(d => Number.isInteger(d._lsn)));
  const p2 = await c.changeFeed(DB, coll, { maxItemCount: 2, ifNoneMatch: p1.headers.etag });
  assert.deepEqual(ids(p2.body.Documents), ['c']);
  const p3 = await c.changeFeed(DB, coll, { maxItemCount: 2, ifNoneMatch: p2.headers.etag });
  assert.equal(p3.status, 304);
  assert.equal(p3.text, '');
  const position = p3.headers.etag;

  // "*" = from now: nothing yet.
  const now = await c.changeFeed(DB, coll, { ifNoneMatch: '*' });
  assert.equal(now.status, 304);

  // New writes: latest version only, deletes not reported, other containers ignored.
  await c.upsert(DB, coll, { id: 'a', pk: 'x', v: 2 }, 'x');
  await c.upsert(DB, coll, { id: 'a', pk: 'x', v: 3 }, 'x');
  await c.patch(DB, coll, 'b', 'y', [{ op: 'set', path: '/v', value: 9 }]);
  await c.create(DB, coll, { id: 'd', pk: 'y', v: 1 }, 'y');
  await c.remove(DB, coll, 'c', 'x');
  await c.create(DB, other, { id: 'noise2', pk: 'x' }, 'x');

  const next = await c.changeFeed(DB, coll, { ifNoneMatch: position });
  assert.equal(next.status, 200);
  assert.deepEqual(next.body.Documents.map(d => `${d.id}=${d.v}`), ['a=3', 'b=9', 'd=1']);
  const after = await c.changeFeed(DB, coll, { ifNoneMatch: next.headers.etag });
  assert.equal(after.status, 304);
  assert.equal(after.headers.etag, next.headers.etag);

  const fromNow = await c.changeFeed(DB, coll, { ifNoneMatch: now.headers.etag });
  assert.deepEqual(ids(fromNow.body.Documents), ['a', 'b', 'd']);

  // Partition-scoped feed.
  const onlyY = await c.changeFeed(DB, coll, { pk: 'y' });
  assert.deepEqual(ids(onlyY.body.Documents), ['b', 'd']);

  // If-Modified-Since: only documents written at or after that time.
  await sleep(20);
  const since = new Date();
  await sleep(20);
  await c.upsert(DB, coll, { id: 'd', pk: 'y', v: 2 }, 'y');
  const timed = await c.changeFeed(DB, coll, { ifModifiedSince: since.toUTCString() });
  // toUTCString has second precision, so allow earlier writes from the same second.
  assert.ok(ids(timed.body.Documents).includes('d'));
  const future = await c.changeFeed(DB, coll, { ifModifiedSince: new Date(Date.now() + 60000).toUTCString() });
  assert.equal(future.status, 304);

  const bad = await c.changeFeed(DB, coll, { ifNoneMatch: '"not-a-position"' });
  assert.equal(bad.status, 400);
  const missing = await c.changeFeed(DB, 'nocoll');
  assert.equal(missing.status, 404);
});

test('7. TTL: defaultTtl and item ttl expire lazily everywhere', async () => {
  const withDefault = await container({ defaultTtl: 1 });
  const optIn = await container({ defaultTtl: -1 });
  const off = await container();
  await seed(withDefault, [{ id: 'expires', pk: 'p' }, { id: 'forever', pk: 'p', ttl: -1 }, { id: 'longer', pk: 'p', ttl: 60 }]);
  await seed(optIn, [{ id: 'short', pk: 'p', ttl: 1 }, { id: 'kept', pk: 'p' }]);
  await seed(off, [{ id: 'ignored', pk: 'p', ttl: 1 }]);
  assert.equal((await c.read(DB, withDefault, 'expires', 'p')).status, 200);

  await sleep(1300);

  assert.equal((await c.read(DB, withDefault, 'expires', 'p')).status, 404);
  assert.equal((await c.read(DB, withDefault, 'forever', 'p')).status, 200);
  const q = await queryAll(c, DB, withDefault, 'SELECT * FROM c');
  assert.deepEqual(ids(q.docs).sort(), ['forever', 'longer']);
  const feed = await c.changeFeed(DB, withDefault);
  assert.deepEqual(ids(feed.body.Documents).sort(), ['forever', 'longer']);

  assert.equal((await c.read(DB, optIn, 'short', 'p')).status, 404);
  const count = await c.query(DB, optIn, 'SELECT VALUE COUNT(1) FROM c');
  assert.deepEqual(count.body.Documents, [1]);
  assert.equal((await c.read(DB, off, 'ignored', 'p')).status, 200, 'item ttl is ignored when the container has no defaultTtl');

  // An expired id can be created again.
  assert.equal((await c.create(DB, withDefault, { id: 'expires', pk: 'p' }, 'p')).status, 201);
});

test('8. replacing a container keeps its documents and applies the new defaultTtl', async () => {
  const coll = await container();
  await seed(coll, [{ id: 'keep', pk: 'p' }]);
  const props = (await c.request('GET', `/dbs/${DB}/colls/${coll}`)).body;
  const r = await c.replaceContainer(DB, { ...props, defaultTtl: 3600 });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.defaultTtl, 3600);
  assert.equal((await c.read(DB, coll, 'keep', 'p')).status, 200);
  const q = await c.query(DB, coll, 'SELECT VALUE COUNT(1) FROM c');
  assert.deepEqual(q.body.Documents, [1]);
});

test('9. string functions with ignoreCase, GetCurrentDateTime', async () => {
  const coll = await container();
  await seed(coll, [{ id: '1', pk: 'p', s: 'Hello World' }, { id: '2', pk: 'p', s: 'other' }, { id: '3', pk: 'p', s: 42 }]);
  const run = async sql => (await c.query(DB, coll, sql)).body.Documents;
  assert.deepEqual(await run('SELECT VALUE c.id FROM c WHERE CONTAINS(c.s, "world", true)'), ['1']);
  assert.deepEqual(await run('SELECT VALUE c.id FROM c WHERE CONTAINS(c.s, "world")'), []);
  assert.deepEqual(await run('SELECT VALUE c.id FROM c WHERE CONTAINS(c.s, "World", false)'), ['1']);
  assert.deepEqual(await run('SELECT VALUE c.id FROM c WHERE STARTSWITH(c.s, "hello", true)'), ['1']);
  assert.deepEqual(await run('SELECT VALUE c.id FROM c WHERE ENDSWITH(c.s, "WORLD", true)'), ['1']);
  assert.deepEqual(await run('SELECT VALUE c.id FROM c WHERE STRINGEQUALS(c.s, "OTHER", true)'), ['2']);
  const [now] = await run('SELECT VALUE GetCurrentDateTime() FROM c WHERE c.id = "1"');
  assert.match(now, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
  assert.equal((await c.query(DB, coll, 'SELECT * FROM c WHERE STARTSWITH(c.s)')).status, 400);
});

test('10. batch requests in the SDK binary format get a clear 400', async () => {
  const coll = await container();
  const r = await c.request('POST', `/dbs/${DB}/colls/${coll}/docs`, {
    body: Buffer.from([0x81, 0x00, 0xff, 0x10]),
    headers: { 'x-ms-cosmos-is-batch-request': 'True', 'x-ms-cosmos-batch-atomic': 'True', 'content-type': 'application/octet-stream' }
  });
  assert.equal(r.status, 400);
  assert.match(r.body.message, /TransactionalBatch and bulk are not supported/);
});

test('11. rids never hold a slash, so rid links route (the 63rd database used to get "gAA/AA==")', async () => {
  // One database is made in test.before; with these, the 63rd and 64th exist.
  const made = [];
  for (let i = 0; i < 64; i++) {
    const r = await c.createDatabase(`rid${i}`);
    assert.equal(r.status, 201, r.text);
    made.push(r.body);
  }
  for (const db of made) {
    assert.match(db._rid, /^[A-Za-z0-9+=-]+$/, db._rid);
  }
  const slashed = made.find(db => db._rid.includes('-'));
  assert.ok(slashed, 'one of these rids would have held a slash');
  const coll = await c.createContainer(slashed.id, { id: 'items', partitionKey: { paths: ['/pk'], kind: 'Hash' } });
  assert.equal(coll.status, 201, coll.text);
  assert.doesNotMatch(coll.body._rid, /\//);
  const ranges = await c.request('GET', `/dbs/${slashed._rid}/colls/${coll.body._rid}/pkranges`);
  assert.equal(ranges.status, 200, ranges.text);
  for (const db of made) {
    assert.equal((await c.request('DELETE', `/dbs/${db.id}`)).status, 204);
  }
});

test('stock behaviour kept: 409 duplicate, If-Match 412, patch increment', async () => {
  const coll = await container();
  const created = await c.create(DB, coll, { id: 'k', pk: 'p', n: 1 }, 'p');
  assert.equal((await c.create(DB, coll, { id: 'k', pk: 'p' }, 'p')).status, 409);
  const ok = await c.replace(DB, coll, { id: 'k', pk: 'p', n: 2 }, 'p', { 'if-match': created.headers.etag });
  assert.equal(ok.status, 200);
  const stale = await c.replace(DB, coll, { id: 'k', pk: 'p', n: 3 }, 'p', { 'if-match': created.headers.etag });
  assert.equal(stale.status, 412);
  const patched = await c.patch(DB, coll, 'k', 'p', [{ op: 'incr', path: '/n', value: 5 }]);
  assert.equal(patched.status, 200);
  assert.equal(patched.body.n, 7);
});
