// The demo feed server: `npm start` runs it on embedded SQLite at http://localhost:3000.
//   PORT                 port to listen on (default 3000; 0 picks a free one)
//   DEPLOYMENTS_API_KEY  the API key (default: a random one, printed at start)
//   DEPLOYMENTS_DB       the SQLite file (default: package-deployments.sqlite in the working directory)
'use strict';
const { randomBytes } = require('node:crypto');
const express = require('express');
const { createDeploymentRouter, createKnexStore, apiKeyAuth, feedDeployments } = require('package-deployments');
const { buildFixtures } = require('./fixtures');

const FEEDS = ['DefaultNuGet', 'Products', 'npm-packages', 'maven-releases', 'pypi-packages'];
// Each feed's version scheme (a scheme name or a feed type), for range= queries, version keys and advisory
// matching (nuget, npm, maven and pypi feeds hold the NuGet, npm, Maven and PyPI ecosystems).
const VERSION_SCHEMES = { DefaultNuGet: 'nuget', Products: 'upack', 'npm-packages': 'npm', 'maven-releases': 'maven', 'pypi-packages': 'pypi' };

/**
 * The demo's package feeds, written as any feed server would write them (without deployments in mind):
 * a NuGet package (v2 and v3 URLs), a scoped npm package and a universal package, served from memory.
 */
function feedRoutes(fixtures) {
  const { nuget, npm, upack, pypi } = fixtures;
  const feeds = express.Router();
  const send = (res, fixture) => res.type(fixture.type).send(fixture.bytes);
  const same = (a, b) => String(a).toLowerCase() === String(b).toLowerCase();

  feeds.get('/nuget/:feed/package/:id/:version', (req, res, next) => {
    if (!same(req.params.feed, 'DefaultNuGet') || !same(req.params.id, nuget.id) || req.params.version !== nuget.version) return next();
    send(res, nuget);
  });
  feeds.get('/nuget/:feed/v3/flatcontainer/:id/:version/:file', (req, res, next) => {
    const { feed, id, version, file } = req.params;
    if (!same(feed, 'DefaultNuGet') || id !== nuget.id.toLowerCase() || version !== nuget.version || file !== `${id}.${version}.nupkg`) return next();
    send(res, nuget);
  });
  feeds.get('/npm/:feed/:scope/:name/-/:file', (req, res, next) => {
    const { feed, scope, name, file } = req.params;
    if (!same(feed, 'npm-packages') || scope !== npm.scope || name !== npm.name || file !== `${npm.name}-${npm.version}.tgz`) return next();
    send(res, npm);
  });
  // PyPI: /pypi/{feed}/packages/.../{name}-{version}.tar.gz (any path under the feed, as PyPI's CDN writes it)
  feeds.get(/^\/pypi\/([^/]+)\/(?:.+\/)?([^/]+)$/, (req, res, next) => {
    if (!same(decodeURIComponent(req.params[0]), 'pypi-packages') || req.params[1] !== pypi.file) return next();
    send(res, pypi);
  });
  // /upack/{feed}/download/{group…}/{name}/{version}, or .../{name}?latest
  feeds.get(/^\/upack\/([^/]+)\/download\/(.+)$/, (req, res, next) => {
    const feed = decodeURIComponent(req.params[0]);
    const parts = req.params[1].split('/').map(decodeURIComponent);
    const latest = req.query.latest !== undefined;
    const version = latest ? upack.version : parts.pop();
    const name = parts.pop();
    if (!same(feed, 'Products') || parts.join('/') !== upack.group || name !== upack.name || version !== upack.version) return next();
    // A "latest" download: tell the deployments middleware which version was served.
    if (latest) res.locals.servedPackage = { version: upack.version };
    send(res, upack);
  });
  return feeds;
}

function createDemo({ apiKey, filename }) {
  // The store keys versions in each feed's scheme (ranges and advisories are index range scans).
  const store = createKnexStore({ filename, versionSchemes: VERSION_SCHEMES });
  // Only the key records; anyone may read (anonymous: true grants Feeds_ViewPackage only), so the
  // History pages open in a browser without a key.
  const auth = apiKeyAuth({ keys: [{ name: 'demo', key: apiKey }], anonymous: true });
  const router = createDeploymentRouter({ store, auth, feeds: FEEDS, versionSchemes: VERSION_SCHEMES });
  // The same store, auth and events for deployments recorded from feed downloads' X-ProGet-Deployment-* headers.
  const logger = { warn: () => {}, error: (message, meta) => console.error(message, meta ?? '') };
  const feedMiddleware = feedDeployments({ store, auth, feeds: FEEDS, events: router.events, logger });
  const log = (record, context) => {
    const how = context.source === 'feed' ? `${context.feedType} download` : 'API';
    console.log(`recorded #${record.id} (${how}): ${record.packageName} ${record.version} on ${record.target} by ${record.userName}`);
  };
  router.events.on('deployed', log);
  // Every skipped download is printed here, so the middleware's own warnings are not printed twice.
  router.events.on('deployment-skipped', (info) => console.log(`not recorded: ${info.path}: ${info.message}`));
  const fixtures = buildFixtures();
  const app = express();
  app.get('/', (_req, res) => {
    res.type('text/plain').send(
      `package-deployments demo feed server\nfeeds: ${FEEDS.join(', ')}\nPOST /api/package-deployment/ to record a deployment.\n` +
        `GET /api/package-deployment?feed=DefaultNuGet to read them; /-/deployments/DefaultNuGet/Newtonsoft.Json for a History page.\n` +
        `Downloads (send X-ProGet-Deployment-* headers to record one):\n` +
        `  /nuget/DefaultNuGet/package/${fixtures.nuget.id}/${fixtures.nuget.version}\n` +
        `  /nuget/DefaultNuGet/v3/flatcontainer/${fixtures.nuget.id.toLowerCase()}/${fixtures.nuget.version}/${fixtures.nuget.id.toLowerCase()}.${fixtures.nuget.version}.nupkg\n` +
        `  /npm/npm-packages/${fixtures.npm.scope}/${fixtures.npm.name}/-/${fixtures.npm.name}-${fixtures.npm.version}.tgz\n` +
        `  /upack/Products/download/${fixtures.upack.group}/${fixtures.upack.name}/${fixtures.upack.version}\n` +
        `  /pypi/pypi-packages/packages/source/r/requests/${fixtures.pypi.file}\n` +
        `POST /api/package-deployment/advisories with OSV advisories: which targets run an affected version now.\n`,
    );
  });
  app.use(router);
  app.use(feedMiddleware, feedRoutes(fixtures));
  return { app, store, router, feedMiddleware, fixtures };
}

if (require.main === module) {
  const apiKey = process.env.DEPLOYMENTS_API_KEY || randomBytes(18).toString('base64url');
  const filename = process.env.DEPLOYMENTS_DB || 'package-deployments.sqlite';
  const port = process.env.PORT === undefined ? 3000 : Number(process.env.PORT);
  const { app, store, router, feedMiddleware } = createDemo({ apiKey, filename });
  const server = app.listen(port, () => {
    const url = `http://localhost:${server.address().port}`;
    // One write, so that whoever waits for "listening on" also has the key and the file.
    console.log(`package-deployments demo listening on ${url}\nAPI key: ${apiKey}\nSQLite file: ${filename}\nHistory page: ${url}/-/deployments/DefaultNuGet/Newtonsoft.Json`);
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
        // Records of finished downloads still queued are written before the store closes.
        await feedMiddleware.close();
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

module.exports = { createDemo, FEEDS, VERSION_SCHEMES };
