// A record server for the crash-safety test, run as a child process so that it can be killed with
// SIGKILL. It uses the built library (dist/, made by `npm test`'s build step): a child process cannot
// load the TypeScript sources without a loader.
//   PD_CRASH_DB  JSON { client, connection, searchPath? } of the database to record into
// Prints "listening <port>" once it accepts requests.
'use strict';
const path = require('node:path');
const express = require('express');
const { knex } = require('knex');
const { anonymousAuth, createDeploymentRouter, createKnexStore, createSqliteKnex } = require(path.join(__dirname, '..', '..', 'dist'));

const config = JSON.parse(process.env.PD_CRASH_DB);
const db = config.client === 'better-sqlite3'
  ? createSqliteKnex(config.connection.filename)
  : knex({ client: config.client, connection: config.connection, searchPath: config.searchPath, pool: { min: 0, max: 8 } });
const app = express();
app.use(createDeploymentRouter({ store: createKnexStore({ knex: db }), auth: anonymousAuth() }));
const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
