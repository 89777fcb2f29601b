/**
 * One feed-server instance for two-instances.test.ts: the record router on the database named by
 * PD_TEST_CHILD_DB (migrated at start, as a real instance does), with the router's own read API.
 * Prints `{"port":N}` once listening; exits cleanly on SIGTERM.
 */
import express from 'express';
import type { AddressInfo } from 'node:net';
import { createDeploymentRouter } from '../../lib/router';
import { createKnexStore } from '../../lib/store/knex-store';
import { CHILD_DB_ENV, knexFromConnection } from './processes';

async function main(): Promise<void> {
  const knex = knexFromConnection(JSON.parse(process.env[CHILD_DB_ENV]!));
  const store = createKnexStore({ knex });
  await store.init();
  const logger = {
    warn: (m: string) => process.stderr.write(`warn: ${m}\n`),
    error: (m: string) => process.stderr.write(`error: ${m}\n`),
  };
  const router = createDeploymentRouter({ store, apiKeys: [{ name: 'ci', key: process.env.PD_TEST_API_KEY! }], feeds: ['Products'], logger });
  const app = express();
  app.use(router);
  const server = app.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
  });
  process.once('SIGTERM', () => {
    server.closeAllConnections();
    server.close(() => {
      void router.close().then(() => store.close()).then(() => knex.destroy()).then(() => process.exit(0));
    });
  });
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
