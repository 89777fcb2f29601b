// The demo feed server: `npm start` runs it on embedded SQLite at http://localhost:3000.
//   PORT                 port to listen on (default 3000; 0 picks a free one)
//   DEPLOYMENTS_API_KEY  the API key (default: a random one, printed at start)
//   DEPLOYMENTS_DB       the SQLite file (default: package-deployments.sqlite in the working directory)
'use strict';
const { randomBytes } = require('node:crypto');
const express = require('express');
const { createDeploymentRouter, createKnexStore, apiKeyAuth } = require('package-deployments');

const FEEDS = ['DefaultNuGet', 'Products', 'npm-packages', 'maven-releases'];
// Each feed's version scheme (a scheme name or a feed type), for range= queries.
const VERSION_SCHEMES = { DefaultNuGet: 'nuget', Products: 'upack', 'npm-packages': 'npm', 'maven-releases': 'maven' };

function createDemo({ apiKey, filename }) {
  const store = createKnexStore({ filename });
  const router = createDeploymentRouter({
    store,
    // Only the key records; anyone may read (anonymous: true grants Feeds_ViewPackage only), so the
    // History pages open in a browser without a key.
    auth: apiKeyAuth({ keys: [{ name: 'demo', key: apiKey }], anonymous: true }),
    feeds: FEEDS,
    versionSchemes: VERSION_SCHEMES,
  });
  router.events.on('deployed', (record) => {
    console.log(`recorded #${record.id}: ${record.packageName} ${record.version} on ${record.target} by ${record.userName}`);
  });
  const app = express();
  app.get('/', (_req, res) => {
    res.type('text/plain').send(`package-deployments demo feed server\nfeeds: ${FEEDS.join(', ')}\nPOST /api/package-deployment/ to record a deployment.\nGET /api/package-deployment?feed=DefaultNuGet to read them; /deployments/DefaultNuGet/Newtonsoft.Json for a History page.\n`);
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
    // One write, so that whoever waits for "listening on" also has the key and the file.
    console.log(`package-deployments demo listening on ${url}\nAPI key: ${apiKey}\nSQLite file: ${filename}\nHistory page: ${url}/deployments/DefaultNuGet/Newtonsoft.Json`);
  });
  let stopping = false;
  const stop = (signal) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: finishing in-flight requests, then closing the store.`);
    server.close(async () => {
      await router.close();
      await store.close();
      process.exit(0);
    });
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

module.exports = { createDemo, FEEDS, VERSION_SCHEMES };
