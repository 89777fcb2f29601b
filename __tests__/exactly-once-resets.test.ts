/**
 * Exactly once under connection resets (issue 11's run, reproduced): a TCP proxy in front of PostgreSQL
 * and of MariaDB cuts every open connection every 250 ms while clients download with unique
 * X-ProGet-Deployment-Target values, or post records. Before the record identity, the writer re-sent
 * batches whose INSERT had committed ("Connection terminated unexpectedly") and stored them twice, and
 * 503s said "Nothing was recorded" for records that were stored. Now: every `deployed` record is stored
 * exactly once, nothing is stored twice, a record reported lost is not stored unless the report says it
 * may be, and a 503 that says "Nothing was recorded" is true.
 */
import { EventEmitter } from 'node:events';
import express from 'express';
import { knex as createKnex, type Knex } from 'knex';
import request from 'supertest';
import { anonymousAuth, createDeploymentRouter, createKnexStore, feedDeployments, DEPLOYMENTS_TABLE, type FeedDeploymentsMiddleware } from '../lib';
import { FIXTURES, feedApp } from './helpers/feed-app';
import { download, watchOutcomes } from './helpers/feed-outcomes';
import { createTestDatabase, describeEachNetworkDatabase, type TestDatabase } from './helpers/databases';
import { SAMPLE, memoryLogger } from './helpers/fixtures';
import { createTcpProxy, type TcpProxy } from './helpers/tcp-proxy';

const QUIET = { warn() {}, error() {}, debug() {}, deprecate() {} };
const CUT_EVERY_MS = 250;
const CUTTING_MS = 3000;

function throughProxy(db: TestDatabase, port: number): Knex {
  const common = { pool: { min: 0, max: 4 }, acquireConnectionTimeout: 2000, log: QUIET };
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

async function storedByTarget(knex: Knex): Promise<Map<string, number>> {
  const rows = (await knex(DEPLOYMENTS_TABLE).select('target').count({ n: '*' }).groupBy('target')) as Array<{ target: string; n: number | string }>;
  return new Map(rows.map((r) => [r.target, Number(r.n)]));
}

/** Cuts every connection every CUT_EVERY_MS for CUTTING_MS, while `load` runs; then lets `load` go on a little. */
async function underResets(proxy: TcpProxy, load: (running: () => boolean) => Promise<void>): Promise<void> {
  let cutting = true;
  let running = true;
  const cutter = setInterval(() => proxy.cut(), CUT_EVERY_MS);
  const work = load(() => running);
  await new Promise((r) => setTimeout(r, CUTTING_MS));
  clearInterval(cutter);
  cutting = false;
  // The database is reachable again: a little more load, so that the writer sees it answer.
  await new Promise((r) => setTimeout(r, 500));
  running = false;
  void cutting;
  await work;
}


describeEachNetworkDatabase()('connections to %s cut every 250 ms', (id) => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let knex: Knex;
  let mw: FeedDeploymentsMiddleware | undefined;

  beforeEach(async () => {
    db = await createTestDatabase(id);
    proxy = await createTcpProxy(targetPort(db));
    knex = throughProxy(db, proxy.port);
  });
  afterEach(async () => {
    await mw?.close();
    mw = undefined;
    await knex.destroy();
    await proxy.close();
    await db.destroy();
  });

  it('feed downloads with unique targets: every deployed record stored exactly once, lost counts truthful', async () => {
    const events = new EventEmitter();
    const outcomes = watchOutcomes(events);
    const knexStore = createKnexStore({ knex });
    await knexStore.init();
    // Counts the writes the cuts broke, to show that they did break some.
    let failedWrites = 0;
    const store = { ...knexStore, record: async (ds: Parameters<typeof knexStore.record>[0]) => {
      try {
        return await knexStore.record(ds);
      } catch (err) {
        failedWrites++;
        throw err;
      }
    } };
    mw = feedDeployments({ store, auth: anonymousAuth(), events, logger: memoryLogger(), batch: { maxSize: 100, retries: 0, retryDelayMs: 20 } });
    const app = feedApp(mw);
    const { upack } = FIXTURES;
    const url = `/upack/Products/download/${upack.group}/${upack.name}/${upack.version}`;
    let next = 0;
    let served = 0;
    await underResets(proxy, async (running) => {
      await Promise.all(Array.from({ length: 8 }, async () => {
        while (running()) {
          const target = `dl-${next++}`;
          const res = await download(app, url, { 'X-ProGet-Deployment-Application': 'BuildMaster', 'X-ProGet-Deployment-Description': '', 'X-ProGet-Deployment-Target': target });
          expect(res.status).toBe(200);
          served++;
        }
      }));
    });
    await outcomes.settled(served);
    await mw.flush();

    const stats = mw.stats();
    const rows = await storedByTarget(db.knex);
    const maybe = outcomes.lost.filter((l) => l.maybeStored).flatMap((l) => l.deployments.map((d) => d.target));
    const certainlyLost = outcomes.lost.filter((l) => !l.maybeStored).flatMap((l) => l.deployments.map((d) => d.target));
    process.stdout.write(`[resets ${id}] downloads ${served}, writes broken ${failedWrites}, recorded ${stats.recorded}, lost ${stats.lost} (of which maybe stored ${maybe.length}), rows ${[...rows.values()].reduce((a, b) => a + b, 0)}\n`);
    expect(served).toBeGreaterThan(100);
    expect(failedWrites).toBeGreaterThan(0);
    expect(stats.queued).toBe(0);
    expect(stats.recorded + stats.lost).toBe(served);
    expect(outcomes.deployed).toHaveLength(stats.recorded);
    // Nothing is stored twice.
    for (const [target, n] of rows) expect([target, n]).toEqual([target, 1]);
    // Every record reported committed is stored (once).
    for (const { record } of outcomes.deployed) expect([record.target, rows.get(record.target)]).toEqual([record.target, 1]);
    // A record reported lost is not stored, unless the report said it may be.
    for (const target of certainlyLost) expect([target, rows.get(target)]).toEqual([target, undefined]);
    // Every stored record was reported, as committed or as maybe stored.
    const reported = new Set([...outcomes.deployed.map((d) => d.record.target), ...maybe]);
    for (const target of rows.keys()) expect([target, reported.has(target)]).toEqual([target, true]);
  }, 30_000);

  it('records posted meanwhile, retried on 503 (and 409) with the same Idempotency-Key: each stored exactly once', async () => {
    const router = createDeploymentRouter({ store: createKnexStore({ knex }), auth: anonymousAuth(), logger: memoryLogger(), retryAfterSeconds: 0 });
    const app = express();
    app.use(router);
    await request(app).post('/api/package-deployment/').send({ ...SAMPLE, Target: 'warm-up' }).expect(200);
    const first = new Map<string, { status: number; text: string }>();
    const final = new Map<string, number>();
    let next = 0;
    await underResets(proxy, async (running) => {
      await Promise.all(Array.from({ length: 6 }, async () => {
        while (running()) {
          const target = `post-${next++}`;
          const key = `key-${target}`;
          // Send, and retry while the answer is 503 (as a careful client does), with the same key. A 409
          // lasts while the first attempt is in flight, which the store's acquire + statement timeouts
          // (5 s + 10 s by default) bound: retry for longer than that, not for a fixed count.
          const giveUpAt = Date.now() + 40_000;
          for (let attempt = 0; attempt === 0 || Date.now() < giveUpAt; attempt++) {
            const res = await request(app).post('/api/package-deployment/').set('Idempotency-Key', key).send({ ...SAMPLE, Target: target, Date: '2024-05-01T00:00:00Z' });
            if (attempt === 0) first.set(target, { status: res.status, text: res.text });
            final.set(target, res.status);
            if (res.status !== 503 && res.status !== 409) break;
            await new Promise((r) => setTimeout(r, 50));
          }
        }
      }));
    });
    await router.close();
    const rows = await storedByTarget(db.knex);
    const unavailable = [...first.values()].filter((r) => r.status === 503);
    process.stdout.write(`[resets ${id}] posts ${first.size}, first answers 503: ${unavailable.length} (said "Nothing was recorded": ${unavailable.filter((r) => /Nothing was recorded/.test(r.text)).length})\n`);
    expect(first.size).toBeGreaterThan(50);
    for (const [target, status] of final) {
      expect([target, status]).toEqual([target, 200]);
      expect([target, rows.get(target)]).toEqual([target, 1]);
    }
    for (const [target, n] of rows) expect([target, n]).toEqual([target, 1]);
  }, 120_000);
});
