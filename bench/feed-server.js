'use strict';
/**
 * One server for bench/feed.js: a UPack download route serving a 100 KiB package. BENCH_MODE=baseline:
 * the route alone. BENCH_MODE=library: the same route with the feed-download deployment middleware in
 * front of it (records each download carrying X-ProGet-Deployment-* headers). Prints {"port":N}.
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

async function main() {
  const app = express();
  let knex;
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
  }
  app.get('/upack/:feed/download/*rest', (_req, res) => {
    res.type('application/octet-stream').send(PACKAGE);
  });
  const server = app.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`));
  process.once('SIGTERM', () => {
    server.closeAllConnections();
    server.close(() => (knex ? knex.destroy() : Promise.resolve()).then(() => process.exit(0)));
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
