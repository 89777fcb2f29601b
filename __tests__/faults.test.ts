/**
 * Faults: the database is down at start, or goes down in the middle of a load. The record endpoint
 * answers 503 with Retry-After and a clear message (never a 500, never a 200 for an unstored record)
 * and recovers by itself when the database returns. Downloads through the feed middleware keep
 * succeeding byte for byte meanwhile; the records they could not store are counted (stats() and the
 * `deployment-lost` event), and recording resumes by itself. Network databases are reached through a TCP proxy
 * on 127.0.0.1 that the test stops and starts; the real server is never touched.
 */
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { knex as createKnex, type Knex } from 'knex';
import request from 'supertest';
import { EventEmitter } from 'node:events';
import { anonymousAuth, createDeploymentRouter, createKnexStore, createSqliteKnex, feedDeployments, type FeedDeploymentsMiddleware } from '../lib';
import { FIXTURES, feedApp } from './helpers/feed-app';
import { download, watchOutcomes } from './helpers/feed-outcomes';
import { createTestDatabase, describeEachNetworkDatabase, type TestDatabase } from './helpers/databases';
import { SAMPLE, memoryLogger } from './helpers/fixtures';
import { createTcpProxy, type TcpProxy } from './helpers/tcp-proxy';

const PATH = '/api/package-deployment/';
const QUIET = { warn() {}, error() {}, debug() {}, deprecate() {} };

/** A knex instance on the same schema/database as `db`, but through the proxy's port. */
function throughProxy(db: TestDatabase, port: number): Knex {
  const common = { pool: { min: 0, max: 4 }, acquireConnectionTimeout: 1000, log: QUIET };
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

function appOn(knex: Knex) {
  const logger = memoryLogger();
  const store = createKnexStore({ knex });
  const app = express();
  app.use(createDeploymentRouter({ store, auth: anonymousAuth(), logger }));
  return { app, logger };
}

async function stored(knex: Knex): Promise<Map<string, number>> {
  const rows = (await knex('package_deployments').select('target').count({ n: '*' }).groupBy('target')) as Array<{ target: string; n: number | string }>;
  return new Map(rows.map((r) => [r.target, Number(r.n)]));
}

function expect503(res: request.Response): void {
  expect({ status: res.status, text: res.text }).toEqual({ status: 503, text: expect.stringMatching(/unavailable/) });
  expect(res.headers['retry-after']).toBe('5');
  expect(res.headers['content-type']).toMatch(/^text\/plain/);
  // The body tells the truth: nothing was recorded when the write never reached the database; when the
  // connection broke during the write, the record may have been stored.
  expect(res.text).toMatch(/^The deployment store is unavailable.*(Nothing was recorded; retry later|The record may have been stored \(the connection broke while it was being written\); retry later with the same Idempotency-Key header, so that it is stored once)\.\n$/);
  expect(res.text).not.toMatch(/\n\s+at /);
}

// A network database is needed for a proxy to break; with none configured (a fresh machine) the suites
// are reported skipped (databaseIds() printed which variable to set; with CI=true it threw).
const eachNetwork = describeEachNetworkDatabase();

eachNetwork('%s behind a proxy that goes down', (id) => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let knex: Knex;

  beforeEach(async () => {
    db = await createTestDatabase(id);
  });
  afterEach(async () => {
    await knex?.destroy();
    await proxy?.close();
    await db.destroy();
  });

  it('down at start: 503 with Retry-After and a clear message, then records by itself once it is back', async () => {
    proxy = await createTcpProxy(targetPort(db), '127.0.0.1', { started: false });
    knex = throughProxy(db, proxy.port);
    const { app } = appOn(knex);

    expect503(await request(app).post(PATH).send({ ...SAMPLE, Target: 'while-down' }));
    expect503(await request(app).post(PATH).send({ ...SAMPLE, Target: 'while-down' }));

    await proxy.start();
    await request(app).post(PATH).send({ ...SAMPLE, Target: 'after-return' }).expect(200);
    const rows = await stored(db.knex);
    expect(rows.get('after-return')).toBe(1);
    expect(rows.has('while-down')).toBe(false);
  });

  it('down in the middle of a load: only 200 or 503, every 200 stored exactly once, and it recovers', async () => {
    proxy = await createTcpProxy(targetPort(db));
    knex = throughProxy(db, proxy.port);
    const { app, logger } = appOn(knex);
    await request(app).post(PATH).send({ ...SAMPLE, Target: 'warm-up' }).expect(200);

    const answers = new Map<string, number>();
    let ok = 0;
    let unavailable = 0;
    let phase: 'before' | 'down' | 'after' = 'before';
    let okAfter = 0;
    let next = 0;
    const waiters: Array<() => boolean> = [];
    const poke = () => { for (let i = waiters.length - 1; i >= 0; i--) if (waiters[i]!()) waiters.splice(i, 1); };
    const until = (condition: () => boolean) => new Promise<void>((resolve) => { waiters.push(() => (condition() ? (resolve(), true) : false)); poke(); });
    let running = true;

    const worker = async () => {
      while (running) {
        const marker = `load-${next++}`;
        const res = await request(app).post(PATH).send({ ...SAMPLE, Target: marker });
        answers.set(marker, res.status);
        if (res.status === 200) { ok++; if (phase === 'after') okAfter++; }
        else { expect503(res); unavailable++; }
        poke();
      }
    };
    const workers = Array.from({ length: 6 }, worker);

    await until(() => ok >= 30);
    phase = 'down';
    await proxy.stop();
    await until(() => unavailable >= 6);
    await proxy.start();
    phase = 'after';
    await until(() => okAfter >= 30);
    running = false;
    await Promise.all(workers);

    expect([...new Set(answers.values())].sort()).toEqual([200, 503]);
    const rows = await stored(db.knex);
    for (const [marker, status] of answers) {
      if (status === 200) expect([marker, rows.get(marker)]).toEqual([marker, 1]);
      // A 503 means "not recorded". (The one exception a network cannot rule out: the connection
      // dies after the database committed but before it said so; then the record exists once.)
      else expect(rows.get(marker) ?? 0).toBeLessThanOrEqual(1);
    }
    for (const [marker, n] of rows) expect([marker, n]).toEqual([marker, 1]);
    // Unreachable databases are logged as errors, with the reason only.
    expect(logger.lines.every((l) => /^error: package-deployments: The deployment store is unavailable/.test(l))).toBe(true);
  });
});

describe('SQLite whose file cannot be opened at start', () => {
  it('503 with Retry-After, then records by itself once the directory exists', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pd-faults-'));
    const knex = createSqliteKnex(join(dir, 'not-yet', 'deployments.sqlite'));
    try {
      const { app } = appOn(knex);
      expect503(await request(app).post(PATH).send(SAMPLE));
      mkdirSync(join(dir, 'not-yet'));
      await request(app).post(PATH).send(SAMPLE).expect(200);
      expect((await stored(knex)).get(SAMPLE.Target)).toBe(1);
    } finally {
      await knex.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const UPACK = FIXTURES.upack;
const DOWNLOAD = `/upack/Products/download/${UPACK.group}/${UPACK.name}/${UPACK.version}`;
const deploymentHeaders = (target: string) => ({
  'X-ProGet-Deployment-Application': 'BuildMaster',
  'X-ProGet-Deployment-Description': '',
  'X-ProGet-Deployment-Target': target,
});

eachNetwork('feed downloads while %s is down', (id) => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let knex: Knex;
  let middleware: FeedDeploymentsMiddleware | undefined;

  beforeEach(async () => {
    db = await createTestDatabase(id);
  });
  afterEach(async () => {
    await middleware?.close();
    middleware = undefined;
    await knex?.destroy();
    await proxy?.close();
    await db.destroy();
  });

  function setup() {
    const events = new EventEmitter();
    const logger = memoryLogger();
    // Short retries, so that a batch is given up on quickly while the database is away.
    middleware = feedDeployments({ store: createKnexStore({ knex }), auth: anonymousAuth(), events, logger, batch: { retries: 1, retryDelayMs: 5, maxSize: 10 } });
    return { app: feedApp(middleware), mw: middleware, logger, outcomes: watchOutcomes(events) };
  }

  async function expectServed(app: ReturnType<typeof setup>['app'], target: string): Promise<void> {
    const res = await download(app, DOWNLOAD, deploymentHeaders(target));
    expect(res.status).toBe(200);
    expect(res.body.equals(UPACK.bytes)).toBe(true);
  }

  it('down at start: every download succeeds byte for byte, every record is counted lost, recording resumes when it is back', async () => {
    proxy = await createTcpProxy(targetPort(db), '127.0.0.1', { started: false });
    knex = throughProxy(db, proxy.port);
    const { app, mw, logger, outcomes } = setup();
    for (let i = 0; i < 20; i++) await expectServed(app, `while-down-${i}`);
    await outcomes.settled(20);
    await mw.flush();
    expect(mw.stats()).toEqual({ queued: 0, recorded: 0, lost: 20, skipped: 0, warnings: 0 });
    const lost = outcomes.lost.flatMap((l) => l.deployments.map((d) => d.target)).sort();
    expect(lost).toEqual(Array.from({ length: 20 }, (_, i) => `while-down-${i}`).sort());
    expect(outcomes.lost.every((l) => l.reason === 'store_failed')).toBe(true);
    expect(logger.lines.length).toBeGreaterThan(0);
    expect(logger.lines.every((l) => /^error: package-deployments: \d+ feed deployment record\(s\) lost: the store failed: /.test(l))).toBe(true);

    await proxy.start();
    await expectServed(app, 'after-return');
    await outcomes.settled(21);
    await mw.flush();
    expect(mw.stats()).toMatchObject({ queued: 0, recorded: 1, lost: 20 });
    expect([...(await stored(db.knex)).keys()]).toEqual(['after-return']);
  });

  it('down in the middle of a load: every download succeeds, recorded + lost = downloads, each record stored once', async () => {
    proxy = await createTcpProxy(targetPort(db));
    knex = throughProxy(db, proxy.port);
    const { app, mw, outcomes } = setup();
    let next = 0;
    let served = 0;
    let phase: 'before' | 'down' | 'after' = 'before';
    let servedAfter = 0;
    const waiters: Array<() => boolean> = [];
    const poke = () => { for (let i = waiters.length - 1; i >= 0; i--) if (waiters[i]!()) waiters.splice(i, 1); };
    const until = (condition: () => boolean) => new Promise<void>((resolve) => { waiters.push(() => (condition() ? (resolve(), true) : false)); poke(); });
    let running = true;
    const startedAfter = new Set<string>();
    const worker = async () => {
      while (running) {
        const target = `load-${next++}`;
        if (phase === 'after') startedAfter.add(target);
        await expectServed(app, target);
        served++;
        if (phase === 'after') servedAfter++;
        poke();
      }
    };
    const workers = Array.from({ length: 6 }, worker);
    // Wait for records (not just downloads), so that the load really writes before the database goes.
    await until(() => mw.stats().recorded >= 20);
    phase = 'down';
    await proxy.stop();
    const lostBefore = mw.stats().lost;
    await until(() => mw.stats().lost >= lostBefore + 10);
    await proxy.start();
    phase = 'after';
    await until(() => servedAfter >= 30);
    running = false;
    await Promise.all(workers);
    await outcomes.settled(served);
    await mw.flush();

    const stats = mw.stats();
    expect(stats.queued).toBe(0);
    expect(stats.skipped).toBe(0);
    expect(stats.recorded + stats.lost).toBe(served);
    expect(stats.lost).toBeGreaterThanOrEqual(10);
    expect(outcomes.deployed).toHaveLength(stats.recorded);
    expect(outcomes.lost.reduce((n, l) => n + l.deployments.length, 0)).toBe(stats.lost);
    const rows = await stored(db.knex);
    // Every record reported committed is stored, exactly once; nothing is stored twice.
    for (const { record } of outcomes.deployed) expect([record.target, rows.get(record.target)]).toEqual([record.target, 1]);
    for (const [target, n] of rows) expect([target, n]).toEqual([target, 1]);
    // A lost record is not stored (the one exception a network cannot rule out: the connection died
    // after the database committed a batch but before it said so; then the records exist once).
    const lostTargets = outcomes.lost.flatMap((l) => l.deployments.map((d) => d.target));
    expect(rows.size).toBeLessThanOrEqual(stats.recorded + lostTargets.length);
    // Recording resumed by itself: downloads after the database came back were recorded.
    const resumed = outcomes.deployed.filter(({ record }) => startedAfter.has(record.target));
    expect(resumed.length).toBeGreaterThan(0);
  });
});

describe('feed downloads while the SQLite file cannot be opened', () => {
  it('every download succeeds, every record is counted lost, and recording starts once the directory exists', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pd-faults-feed-'));
    const knex = createSqliteKnex(join(dir, 'not-yet', 'deployments.sqlite'));
    const events = new EventEmitter();
    const outcomes = watchOutcomes(events);
    const mw = feedDeployments({ store: createKnexStore({ knex }), auth: anonymousAuth(), events, logger: memoryLogger(), batch: { retries: 1, retryDelayMs: 5 } });
    const app = feedApp(mw);
    try {
      for (let i = 0; i < 5; i++) {
        const res = await download(app, DOWNLOAD, deploymentHeaders(`no-file-${i}`));
        expect(res.status).toBe(200);
        expect(res.body.equals(UPACK.bytes)).toBe(true);
      }
      await outcomes.settled(5);
      await mw.flush();
      expect(mw.stats()).toMatchObject({ queued: 0, recorded: 0, lost: 5 });
      mkdirSync(join(dir, 'not-yet'));
      expect((await download(app, DOWNLOAD, deploymentHeaders('file-exists'))).status).toBe(200);
      await outcomes.settled(6);
      await mw.flush();
      expect(mw.stats()).toMatchObject({ queued: 0, recorded: 1, lost: 5 });
      expect([...(await stored(knex)).keys()]).toEqual(['file-exists']);
    } finally {
      await mw.close();
      await knex.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
