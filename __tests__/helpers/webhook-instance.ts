/**
 * One server instance for webhooks-crash.test.ts: the record router on the database named by
 * PD_TEST_CHILD_DB, with one webhook target (PD_WEBHOOK_URL, PD_WEBHOOK_SECRET) and a short retry
 * schedule. Prints `{"port":N}` once listening; exits cleanly on SIGTERM (the test also SIGKILLs it).
 */
import express from 'express';
import type { AddressInfo } from 'node:net';
import { anonymousAuth } from '../../lib/auth/anonymous';
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
  const router = createDeploymentRouter({
    store,
    auth: anonymousAuth(),
    logger,
    webhooks: {
      targets: [{ name: 'receiver', url: process.env.PD_WEBHOOK_URL!, secret: process.env.PD_WEBHOOK_SECRET! }],
      allowPrivateTargets: true,
      retrySchedule: [100, 200, 400, 800, 1000, 1000, 1000, 1000],
      timeoutMs: Number(process.env.PD_WEBHOOK_TIMEOUT_MS ?? 1000),
      pollIntervalMs: 100,
      concurrency: 8,
    },
  });
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
