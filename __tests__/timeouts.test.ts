/**
 * A database that stops answering (paused, not refused: a TCP proxy that stops forwarding bytes) gives
 * 503 + Retry-After within the store's documented bound (`timeouts.acquireMs + statementMs`), never a
 * hang, on the record endpoint and the read API; it records again once the database answers.
 */
import express from 'express';
import { knex as createKnex, type Knex } from 'knex';
import { anonymousAuth, createDeploymentRouter, createKnexStore, DEFAULT_STORE_TIMEOUTS } from '../lib';
import { createTestDatabase, describeEachNetworkDatabase, type TestDatabase } from './helpers/databases';
import { SAMPLE, memoryLogger } from './helpers/fixtures';
import { listen } from './helpers/http';
import { createTcpProxy, type TcpProxy } from './helpers/tcp-proxy';

const QUIET = { warn() {}, error() {}, debug() {}, deprecate() {} };
const TIMEOUTS = { acquireMs: 300, statementMs: 700 };
const BOUND = TIMEOUTS.acquireMs + TIMEOUTS.statementMs;

function throughProxy(db: TestDatabase, port: number): Knex {
  const common = { pool: { min: 0, max: 4 }, log: QUIET };
  if (db.id === 'postgres') {
    const url = new URL(db.connection.connection as string);
    url.hostname = '127.0.0.1';
    url.port = String(port);
    return createKnex({ client: 'pg', connection: url.toString(), searchPath: db.connection.searchPath, ...common });
  }
  return createKnex({ client: 'mysql2', connection: { ...(db.connection.connection as object), host: '127.0.0.1', port }, ...common });
}

function targetPort(db: TestDatabase): number {
  if (db.id === 'postgres') return Number(new URL(db.connection.connection as string).port || 5432);
  return Number((db.connection.connection as { port: number }).port);
}

it('documents its defaults', () => {
  expect(DEFAULT_STORE_TIMEOUTS).toEqual({ acquireMs: 5000, statementMs: 10000 });
});

describeEachNetworkDatabase()('%s paused behind a proxy', (id) => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let knex: Knex;

  beforeAll(async () => {
    db = await createTestDatabase(id);
    proxy = await createTcpProxy(targetPort(db));
    knex = throughProxy(db, proxy.port);
  });
  afterAll(async () => {
    proxy.resume();
    await knex.destroy();
    await proxy.close();
    await db.destroy();
  });

  it('answers 503 + Retry-After within the bound, on POST and on reads, then records again', async () => {
    const store = createKnexStore({ knex, timeouts: TIMEOUTS });
    const app = express();
    app.use(createDeploymentRouter({ store, auth: anonymousAuth(), logger: memoryLogger(), retryAfterSeconds: 7 }));
    const server = await listen(app);
    const post = (target: string) => fetch(`${server.url}/api/package-deployment/`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ ...SAMPLE, Target: target }) });
    try {
      expect((await post('before')).status).toBe(200);
      proxy.pause();
      const started = Date.now();
      const answers = await Promise.all([
        post('paused-1'),
        post('paused-2'),
        fetch(`${server.url}/api/package-deployment?feed=${SAMPLE.FeedName}`),
        fetch(`${server.url}/api/package-deployment?feed=${SAMPLE.FeedName}&format=csv`),
      ]);
      const elapsed = Date.now() - started;
      for (const res of answers) {
        expect({ status: res.status, retryAfter: res.headers.get('retry-after') }).toEqual({ status: 503, retryAfter: '7' });
        expect(await res.text()).toMatch(/unavailable.*within \d+ ms/);
      }
      // Within the bound (plus scheduling slack on a shared machine), not the 22 s a pause used to hang.
      expect(elapsed).toBeLessThan(BOUND + 1500);
      proxy.resume();
      // The held statements finish; new ones work again.
      let status = 0;
      for (let i = 0; i < 20 && status !== 200; i++) {
        status = (await post('after')).status;
        if (status !== 200) await new Promise((r) => setTimeout(r, 200));
      }
      expect(status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
