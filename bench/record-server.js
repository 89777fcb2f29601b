'use strict';
/**
 * One server for bench/record.js and bench/memory.js. BENCH_MODE:
 * - `library`: createDeploymentRouter with API-key auth, validation and the batch writer (defaults). On
 *   SQLite its store is the embedded one, `createKnexStore({ filename })` (a worker thread, synchronous=FULL,
 *   200 only after the commit); on PostgreSQL `createKnexStore({ knex })`.
 * - `floor`: the strongest hand-written app we know: a bare Express app with express.json() +
 *   express.urlencoded() and ONE prepared better-sqlite3 INSERT per request (WAL, synchronous=NORMAL), no
 *   validation, no auth. SQLite only (BENCH_DB's file).
 * - `baseline`: the older, weaker floor: the same bare app doing one knex INSERT per request through the
 *   same driver and settings as the library (SQLite: synchronous=FULL).
 * BENCH_DB: the database config from freshDatabase(). Prints {"port":N}.
 */
const express = require('express');
const path = require('node:path');
const { knexFor, API_KEY } = require('./common');
const lib = require(path.join(__dirname, '..', 'dist'));

async function main() {
  const mode = process.env.BENCH_MODE;
  const config = JSON.parse(process.env.BENCH_DB);
  const app = express();
  let close = async () => undefined;
  if (mode === 'library') {
    const store = config.client === 'better-sqlite3' ? lib.createKnexStore({ filename: config.filename }) : lib.createKnexStore({ knex: knexFor(config) });
    await store.init();
    const options = { store, apiKeys: [{ name: 'bench', key: API_KEY }], feeds: ['DefaultNuGet'] };
    if (process.env.BENCH_BATCH_SIZE) options.batch = { maxSize: Number(process.env.BENCH_BATCH_SIZE) };
    const router = lib.createDeploymentRouter(options);
    app.use(router);
    close = async () => { await router.close(); await store.close(); if (config.client !== 'better-sqlite3') await store.knex.destroy(); };
  } else if (mode === 'floor') {
    if (config.client !== 'better-sqlite3') throw new Error('the floor is SQLite only');
    // The same schema as the library's (the shipped migrations), then the driver alone.
    const knex = knexFor(config);
    await lib.migrateDeploymentStore(knex);
    await knex.destroy();
    const Database = require('better-sqlite3');
    const db = new Database(config.filename);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    const insert = db.prepare(`INSERT INTO ${lib.DEPLOYMENTS_TABLE} (feed_name, group_name, package_name, version, application, description, target, user_name, url, deployed_at, received_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    app.post('/api/package-deployment/', express.json(), express.urlencoded({ extended: false }), (req, res) => {
      const b = req.body;
      const now = new Date().toISOString();
      insert.run(b.FeedName, b.GroupName || '', b.PackageName, b.Version, b.Application, b.Description, b.Target, b.UserName || 'bench', b.Url || null, b.Date || now, now);
      res.status(200).end();
    });
    close = async () => db.close();
  } else if (mode === 'baseline') {
    const knex = knexFor(config);
    await lib.migrateDeploymentStore(knex);
    app.post('/api/package-deployment/', express.json(), express.urlencoded({ extended: false }), async (req, res) => {
      try {
        const b = req.body;
        const now = new Date().toISOString();
        await knex(lib.DEPLOYMENTS_TABLE).insert({
          feed_name: b.FeedName,
          group_name: b.GroupName || '',
          package_name: b.PackageName,
          version: b.Version,
          application: b.Application,
          description: b.Description,
          target: b.Target,
          user_name: b.UserName || 'bench',
          url: b.Url || null,
          deployed_at: b.Date || now,
          received_at: now,
        });
        res.status(200).end();
      } catch (err) {
        res.status(500).type('text/plain').send(String(err.message));
      }
    });
    close = () => knex.destroy();
  } else {
    throw new Error('BENCH_MODE must be library, floor or baseline');
  }
  const server = app.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`));
  process.once('SIGTERM', () => {
    server.closeAllConnections();
    server.close(() => close().then(() => process.exit(0)));
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
