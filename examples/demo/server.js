// The demo feed server: `npm start` runs it on embedded SQLite at http://localhost:3000.
//   PORT                 port to listen on (default 3000; 0 picks a free one)
//   DEPLOYMENTS_API_KEY  the API key (default: a random one, printed at start)
//   DEPLOYMENTS_DB       the SQLite file (default: package-deployments.sqlite in the working directory)
'use strict';
const { randomBytes } = require('node:crypto');
const express = require('express');
const { createDeploymentRouter, createKnexStore, apiKeyAuth } = require('package-deployments');

const FEEDS = ['DefaultNuGet', 'Products', 'npm-packages', 'maven-releases'];

function createDemo({ apiKey, filename }) {
  const store = createKnexStore({ filename });
  const router = createDeploymentRouter({
    store,
    auth: apiKeyAuth({ keys: [{ name: 'demo', key: apiKey }] }),
    feeds: FEEDS,
  });
  router.events.on('deployed', (record) => {
    console.log(`recorded #${record.id}: ${record.packageName} ${record.version} on ${record.target} by ${record.userName}`);
  });
  const app = express();
  app.get('/', (_req, res) => {
    res.type('text/plain').send(`package-deployments demo feed server\nfeeds: ${FEEDS.join(', ')}\nPOST /api/package-deployment/ to record a deployment.\n`);
  });
  app.use(router);
  return { app, store, router };
}

if (require.main === module) {
  const apiKey = process.env.DEPLOYMENTS_API_KEY || randomBytes(18).toString('base64url');
  const filename = process.env.DEPLOYMENTS_DB || 'package-deployments.sqlite';
  const port = process.env.PORT === undefined ? 3000 : Number(process.env.PORT);
  const { app, store, router } = createDemo({ apiKey, filename });
  const server = app.listen(port, () => {
    const url = `http://localhost:${server.address().port}`;
    // One write, so that whoever waits for "listening on" also has the key line.
    console.log(`package-deployments demo listening on ${url}\nAPI key: ${apiKey}\nSQLite file: ${filename}`);
  });
  // Graceful shutdown: stop accepting, let requests in flight finish (a record is answered 200 only once
  // committed), then close the store. Responses in flight say "Connection: close", so that clients'
  // keep-alive connections do not hold the exit up until they time out.
  let stopping = false;
  const inFlight = new Set();
  server.on('request', (_req, res) => {
    if (stopping) res.setHeader('Connection', 'close');
    inFlight.add(res);
    res.on('close', () => inFlight.delete(res));
  });
  const stop = (signal) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: finishing in-flight requests, then closing the store.`);
    for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
    server.close(async () => {
      try {
        await router.close();
        await store.close();
        process.exit(0);
      } catch (err) {
        console.error(`could not close the store cleanly: ${err.message}`);
        process.exit(1);
      }
    });
    server.closeIdleConnections?.();
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

module.exports = { createDemo, FEEDS };
