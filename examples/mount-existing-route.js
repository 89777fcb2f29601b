// Recording deployments on a download route that was written without them in mind.
// Run: node examples/mount-existing-route.js   (then see the curl line it prints)
'use strict';
const express = require('express');
const { createDeploymentRouter, createKnexStore, apiKeyAuth, feedDeployments, routeParamsLayout } = require('package-deployments');

// --- The feed server as it was: a download route that knows nothing about deployments. -------------
const PACKAGES = new Map([['tools/deploy-kit@1.4.0', Buffer.from('pretend these are the bytes of deploy-kit 1.4.0\n')]]);

function downloadPackage(req, res) {
  const key = `${req.params.group}/${req.params.name}@${req.params.version}`;
  const bytes = PACKAGES.get(key);
  if (!bytes) return res.status(404).type('text/plain').send(`No package ${key}.\n`);
  res.type('application/octet-stream').send(bytes);
}

// --- Added: the record endpoint and the feed middleware, sharing one store, auth and events. ----------
const store = createKnexStore({ filename: ':memory:' });
const auth = apiKeyAuth({ keys: [{ name: 'deployer', key: process.env.DEPLOYMENTS_API_KEY || 'example-key-123' }] });
const router = createDeploymentRouter({ store, auth });
const recordDownloads = feedDeployments({
  store,
  auth,
  events: router.events,
  // This route's URL is its own: read the package from its route parameters.
  layouts: routeParamsLayout({ feedType: 'files', feed: 'files' }),
});
router.events.on('deployed', (record, context) => {
  console.log(`deployed (${context.source}): ${record.groupName}/${record.packageName} ${record.version} to ${record.target} by ${record.userName}`);
});

const app = express();
app.use(router);
// The only change to the route: the middleware goes in front of the existing handler.
app.get('/files/:group/:name/:version', recordDownloads, downloadPackage);

if (require.main === module) {
  const server = app.listen(process.env.PORT || 3002, () => {
    const url = `http://localhost:${server.address().port}`;
    console.log(`mount-existing-route example on ${url}`);
    console.log(`curl -u api:example-key-123 -H 'X-ProGet-Deployment-Application: Script' -H 'X-ProGet-Deployment-Description;' -H 'X-ProGet-Deployment-Target: web-01' ${url}/files/tools/deploy-kit/1.4.0`);
  });
  process.on('SIGINT', () => server.close(async () => { await recordDownloads.close(); await store.close(); process.exit(0); }));
}

module.exports = { app, store, router, recordDownloads };
