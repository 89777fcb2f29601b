'use strict';
/**
 * One server for bench/feed.js: a UPack download route serving a 100 KiB package. BENCH_MODE=baseline:
 * the route alone. BENCH_MODE=library: the same route with the feed-download deployment middleware in
 * front of it (records each download carrying X-ProGet-Deployment-* headers). BENCH_MODE=floor: the same
 * route with a hand-written recorder in front of it, the least a feed server can do to record downloads
 * into the same schema: on 'finish' of a download carrying X-ProGet-Deployment-Target, push its values to
 * an array; every 25 ms write what gathered in ONE multi-row INSERT (PostgreSQL, through pg) or one
 * transaction of prepared INSERTs on this thread (SQLite, WAL, synchronous=NORMAL). No validation, no auth,
 * no uid, no current-records table, no retries. Prints {"port":N}.
 */
const express = require('express');
const path = require('node:path');
const { knexFor } = require('./common');
const lib = require(path.join(__dirname, '..', 'dist'));

const PACKAGE = Buffer.alloc(100 * 1024, 7);

/**
 * A store that keeps nothing (BENCH_STORE=noop): measures the middleware's own work per download, apart
 * from the database's.
 */
const NOOP_STORE = {
  record: async (deployments) => deployments.map((d, i) => ({ ...d, id: String(i) })),
  list: async () => ({ records: [] }),
};

/** The feed middleware as a feed server mounts it, recording into `store`. */
function feedMiddleware(store) {
  return lib.feedDeployments({ store, auth: lib.anonymousAuth() });
}

const FLOOR_COLUMNS = ['feed_name', 'group_name', 'package_name', 'version', 'application', 'description', 'target', 'user_name', 'url', 'deployed_at', 'received_at'];

/** The hand-written recorder of BENCH_MODE=floor; answers the middleware and a close(). */
async function floorRecorder(config) {
  // The library's schema (the shipped migrations, indexes included), then the driver alone.
  const setup = knexFor(config);
  await lib.migrateDeploymentStore(setup);
  await setup.destroy();
  let write;
  let close;
  if (config.client === 'better-sqlite3') {
    const Database = require('better-sqlite3');
    const db = new Database(config.filename);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    const insert = db.prepare(`INSERT INTO ${lib.DEPLOYMENTS_TABLE} (${FLOOR_COLUMNS.join(', ')}) VALUES (${FLOOR_COLUMNS.map(() => '?').join(', ')})`);
    const all = db.transaction((rows) => { for (const r of rows) insert.run(r); });
    write = async (rows) => all(rows);
    close = async () => db.close();
  } else {
    const { Pool } = require('pg');
    const pool = new Pool({ connectionString: config.connection, options: `-c search_path=${config.searchPath[0]}`, max: 2 });
    write = async (rows) => {
      const values = [];
      const tuples = rows.map((r) => `(${r.map((v) => { values.push(v); return `$${values.length}`; }).join(', ')})`);
      await pool.query(`INSERT INTO ${lib.DEPLOYMENTS_TABLE} (${FLOOR_COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}`, values);
    };
    close = () => pool.end();
  }
  let rows = [];
  let timer;
  const flush = () => {
    timer = undefined;
    const batch = rows;
    rows = [];
    // 500 rows of 11 values stay under PostgreSQL's 65,535 parameters.
    for (let i = 0; i < batch.length; i += 500) write(batch.slice(i, i + 500)).catch((err) => console.error(err));
  };
  function onFinish() {
    const req = this.req;
    if (this.statusCode < 200 || this.statusCode > 299) return;
    const h = req.headers;
    // /upack/{feed}/download/{group...}/{name}/{version}
    const parts = req.path.split('/');
    const now = new Date().toISOString();
    rows.push([parts[2], parts.slice(4, -2).join('/'), parts[parts.length - 2], parts[parts.length - 1], h['x-proget-deployment-application'], h['x-proget-deployment-description'], h['x-proget-deployment-target'], 'Anonymous', h['x-proget-deployment-url'] || null, now, now]);
    timer ??= setTimeout(flush, 25);
  }
  const middleware = (req, res, next) => {
    if (req.headers['x-proget-deployment-target'] !== undefined && req.method === 'GET') res.on('finish', onFinish);
    next();
  };
  return { middleware, close: async () => { if (timer) { clearTimeout(timer); flush(); } await close(); } };
}

async function main() {
  const app = express();
  let knex;
  let floor;
  if (process.env.BENCH_MODE === 'library') {
    let store = NOOP_STORE;
    if (process.env.BENCH_STORE !== 'noop') {
      const config = JSON.parse(process.env.BENCH_DB);
      // SQLite: the embedded store, as a feed server gets it by default (a worker thread).
      if (config.client === 'better-sqlite3') store = lib.createKnexStore({ filename: config.filename });
      else {
        knex = knexFor(config);
        store = lib.createKnexStore({ knex });
      }
      await store.init();
    }
    app.use(feedMiddleware(store));
  } else if (process.env.BENCH_MODE === 'floor') {
    floor = await floorRecorder(JSON.parse(process.env.BENCH_DB));
    app.use(floor.middleware);
  }
  app.get('/upack/:feed/download/*rest', (_req, res) => {
    res.type('application/octet-stream').send(PACKAGE);
  });
  const server = app.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`));
  process.once('SIGTERM', () => {
    server.closeAllConnections();
    server.close(() => Promise.all([knex?.destroy(), floor?.close()]).then(() => process.exit(0)));
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
