'use strict';
/**
 * One server for bench/purge.js: createDeploymentRouter (API-key auth, the batch writer) on a database
 * seeded with BENCH_PURGE_RECORDS records in feed "Purge" (BENCH_PURGE_PACKAGES packages x
 * BENCH_PURGE_TARGETS targets, the rest as history), plus an admin key with Feeds_DeletePackage.
 * BENCH_DB: the database config from freshDatabase(). Prints {"port":N,"seeded":N,"seedMs":N}.
 */
const express = require('express');
const path = require('node:path');
const { knexFor, API_KEY } = require('./common');
const lib = require(path.join(__dirname, '..', 'dist'));

const RECORDS = Number(process.env.BENCH_PURGE_RECORDS || 1_000_000);
const PACKAGES = Number(process.env.BENCH_PURGE_PACKAGES || 100);
const TARGETS = Number(process.env.BENCH_PURGE_TARGETS || 100);
const ADMIN_KEY = 'bench-admin-key-0123456789';

async function seed(store) {
  const perPartition = Math.ceil(RECORDS / (PACKAGES * TARGETS));
  const start = Date.UTC(2020, 0, 1);
  const receivedAt = new Date();
  let batch = [];
  let n = 0;
  for (let p = 0; p < PACKAGES && n < RECORDS; p++) {
    for (let t = 0; t < TARGETS && n < RECORDS; t++) {
      for (let i = 0; i < perPartition && n < RECORDS; i++, n++) {
        batch.push({
          application: 'bench', description: '', target: `srv-${t}`, feedName: 'Purge', packageName: `pkg-${p}`,
          version: `1.0.${i}`, userName: 'bench', date: new Date(start + i * 3_600_000 + t * 1000), receivedAt,
        });
        if (batch.length === 1000) {
          await store.record(batch);
          batch = [];
        }
      }
    }
  }
  if (batch.length) await store.record(batch);
  return n;
}

async function main() {
  const knex = knexFor(JSON.parse(process.env.BENCH_DB));
  const store = lib.createKnexStore({ knex });
  await store.init();
  const t0 = Date.now();
  const seeded = await seed(store);
  // As after any bulk load: fresh planner statistics. Without them PostgreSQL planned the purge's scan
  // for the 0-row table it had seen at migration (a bitmap scan of the whole feed and a sort, 0.2-0.7 s a
  // page) until autovacuum happened to analyze it.
  if (knex.client.config.client === 'pg') await knex.raw(`ANALYZE ${lib.DEPLOYMENTS_TABLE}, ${lib.CURRENT_TABLE}`);
  const seedMs = Date.now() - t0;
  const app = express();
  app.use(lib.createDeploymentRouter({
    store,
    apiKeys: [
      { name: 'bench', key: API_KEY },
      { name: 'admin', key: ADMIN_KEY, privileges: ['Feeds_DeletePackage', 'Feeds_ViewPackage'] },
    ],
    logger: { info() {}, warn() {}, error: (m) => process.stderr.write(`${m}\n`) },
  }));
  const server = app.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: server.address().port, seeded, seedMs, adminKey: ADMIN_KEY })}\n`));
  process.once('SIGTERM', () => {
    server.closeAllConnections();
    server.close(() => knex.destroy().then(() => process.exit(0)));
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
