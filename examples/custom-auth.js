// A custom auth adapter backed by the host server's own users, next to ProGet-style API keys.
// Run: node examples/custom-auth.js   (then see the curl lines it prints)
'use strict';
const express = require('express');
const { createDeploymentRouter, createKnexStore, customAuth, Privileges } = require('package-deployments');

// Stand-ins for the host server's own user database and API tokens.
const USERS = new Map([['alice', { password: 'wonderland', feeds: ['DefaultNuGet'], admin: false }]]);
const TOKENS = new Map([['deploy-bot-token-123', { name: 'deploy-bot', admin: true }]]);

const auth = customAuth({
  // The adapter decides who the caller is; it never writes the response.
  authenticate(credentials) {
    if (credentials === null) return null; // anonymous
    if (credentials.type === 'apiKey') {
      const bot = TOKENS.get(credentials.key);
      return bot ? { name: bot.name, kind: 'token', admin: bot.admin } : false;
    }
    const user = USERS.get(credentials.user);
    if (!user || user.password !== credentials.password) return false;
    return { name: credentials.user, kind: 'user', feeds: user.feeds, admin: user.admin };
  },
  // ...and what they may do: the router answers 403 when this says no.
  authorize(principal, privilege, feed) {
    if (principal === null) return privilege === Privileges.View; // anonymous may read
    if (principal.admin) return true;
    return Array.isArray(principal.feeds) && principal.feeds.includes(feed);
  },
});

const store = createKnexStore({ filename: ':memory:' });
const app = express();
app.use(createDeploymentRouter({ auth, store }));

if (require.main === module) {
  const server = app.listen(process.env.PORT || 3001, () => {
    const url = `http://localhost:${server.address().port}`;
    console.log(`custom-auth example on ${url}`);
    console.log(`curl -i -u alice:wonderland -d 'FeedName=DefaultNuGet&Application=Demo&Description=&Target=web-01&PackageName=Newtonsoft.Json&Version=13.0.3' ${url}/api/package-deployment/`);
    console.log(`curl -i -H 'X-ApiKey: deploy-bot-token-123' -d 'FeedName=Other&Application=Demo&Description=&Target=web-02&PackageName=Newtonsoft.Json&Version=13.0.3' ${url}/api/package-deployment/`);
  });
}

module.exports = { app, store };
