'use strict';
/**
 * One server for bench/record.js. BENCH_MODE=library: createDeploymentRouter with API-key auth and
 * validation (group commit on, its default). BENCH_MODE=baseline: a bare Express app that parses the same
 * body (JSON and form) and does one INSERT per request through the same knex driver and settings.
 * BENCH_DB: the database config from freshDatabase(). Prints {"port":N}.
 */
const express = require('express');
const path = require('node:path');
const { knexFor, API_KEY } = require('./common');
const lib = require(path.join(__dirname, '..', 'dist'));

async function main() {
  const mode = process.env.BENCH_MODE;
  const knex = knexFor(JSON.parse(process.env.BENCH_DB));
  // The same schema for both (the shipped migrations).
  await lib.migrateDeploymentStore(knex);
  const app = express();
  if (mode === 'library') {
    const store = lib.createKnexStore({ knex });
    await store.init();
    const options = { store, apiKeys: [{ name: 'bench', key: API_KEY }], feeds: ['DefaultNuGet'] };
    if (process.env.BENCH_GROUP_COMMIT === 'off') options.batch = { maxSize: 1 };
    app.use(lib.createDeploymentRouter(options));
  } else if (mode === 'baseline') {
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
  } else {
    throw new Error('BENCH_MODE must be library or baseline');
  }
  const server = app.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`));
  process.once('SIGTERM', () => {
    server.closeAllConnections();
    server.close(() => knex.destroy().then(() => process.exit(0)));
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
