'use strict';
/**
 * One server for bench/webhooks.js: createDeploymentRouter as in record-server.js, with
 * BENCH_WEBHOOK_URL set: one webhook target (the bench's local receiver), delivered by this process.
 * BENCH_WEBHOOK_DELIVER=off: the target is configured, the worker does not run (a drain run starts it).
 * BENCH_DB: the database config from freshDatabase(). Prints {"port":N}.
 */
const express = require('express');
const path = require('node:path');
const { knexFor, API_KEY } = require('./common');
const lib = require(path.join(__dirname, '..', 'dist'));

async function main() {
  const knex = knexFor(JSON.parse(process.env.BENCH_DB));
  await lib.migrateDeploymentStore(knex);
  const store = lib.createKnexStore({ knex });
  await store.init();
  const options = { store, apiKeys: [{ name: 'bench', key: API_KEY }], feeds: ['DefaultNuGet'] };
  if (process.env.BENCH_WEBHOOK_URL) {
    options.webhooks = {
      targets: [{ name: 'bench', url: process.env.BENCH_WEBHOOK_URL, secret: process.env.BENCH_WEBHOOK_SECRET }],
      allowPrivateTargets: true,
      deliver: process.env.BENCH_WEBHOOK_DELIVER !== 'off',
    };
    if (process.env.BENCH_WEBHOOK_CONCURRENCY) options.webhooks.concurrency = Number(process.env.BENCH_WEBHOOK_CONCURRENCY);
  }
  const router = lib.createDeploymentRouter(options);
  const app = express();
  app.use(router);
  const server = app.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`));
  process.once('SIGTERM', () => {
    server.closeAllConnections();
    server.close(() => router.close().then(() => store.close()).then(() => knex.destroy()).then(() => process.exit(0)));
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
