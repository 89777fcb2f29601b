'use strict';
/**
 * Server of bench/stall.js: `GET /` (a trivial page) next to createDeploymentRouter on the embedded SQLite
 * store (the default: a worker thread), seeded with BENCH_RECORDS records of ONE package
 * (feed npm-packages, package Big) before it listens. Prints {"port":N}.
 */
const express = require('express');
const path = require('node:path');
const lib = require(path.join(__dirname, '..', 'dist'));
const { API_KEY } = require('./common');

const RECORDS = Number(process.env.BENCH_RECORDS || 100_000);

async function main() {
  const config = JSON.parse(process.env.BENCH_DB);
  const store = config.client === 'better-sqlite3' ? lib.createKnexStore({ filename: config.filename }) : lib.createKnexStore({ knex: require('./common').knexFor(config) });
  await store.init();
  const start = Date.UTC(2024, 0, 1);
  for (let i = 0; i < RECORDS; i += 5000) {
    const batch = [];
    for (let j = i; j < Math.min(RECORDS, i + 5000); j++) {
      const r = lib.validateDeployment({
        FeedName: 'npm-packages', PackageName: 'Big', Version: `${j % 7}.${(j >> 3) % 50}.${j % 97}`,
        Application: 'bench', Description: 'seeded', Target: `srv-${j % 500}`, Date: new Date(start + j * 1000).toISOString(),
      });
      batch.push(r.deployment);
    }
    await store.record(batch);
  }
  const app = express();
  app.get('/', (_req, res) => { res.type('text/plain').send('ok\n'); });
  app.use(lib.createDeploymentRouter({ store, apiKeys: [{ name: 'bench', key: API_KEY }], feeds: ['npm-packages'], versionSchemes: { 'npm-packages': 'npm' } }));
  const server = app.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`));
  process.once('SIGTERM', () => {
    server.closeAllConnections();
    server.close(() => store.close().then(() => process.exit(0)));
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
