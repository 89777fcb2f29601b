/**
 * Retention and purge, over every database: keep the latest N per package and target and/or drop
 * records older than a date, scoped by feed, package or target; never the current record (and the one
 * before it with keepPrevious); a dry run by default; through the API with Feeds_DeletePackage, through
 * the router's methods, and on a schedule; delete one record by id; every purge and delete an event and
 * a log line.
 */
import express from 'express';
import request from 'supertest';
import { apiKeyAuth, createDeploymentRouter, createKnexStore, validateDeployment, type DeploymentRouter, type KnexDeploymentStore, type NewDeployment, type PurgeEvent, type DeletedEvent } from '../lib';
import { createTestDatabase, databaseIds, type TestDatabase } from './helpers/databases';
import { memoryLogger } from './helpers/fixtures';

const PATH = '/api/package-deployment';
const ADMIN = 'admin-key-00001';
const A_ONLY = 'a-only-key-0001';
const CI = 'ci-key-00000001';
const keys = [
  { name: 'admin', key: ADMIN, privileges: ['Feeds_DownloadPackage', 'Feeds_ViewPackage', 'Feeds_DeletePackage'] },
  { name: 'a-admin', key: A_ONLY, feeds: ['FeedA'], privileges: ['Feeds_ViewPackage', 'Feeds_DeletePackage'] },
  { name: 'ci', key: CI },
];

function rec(feed: string, pkg: string, target: string, day: number, extra: Record<string, string> = {}): NewDeployment {
  const r = validateDeployment({ Application: 'CI', Description: '', FeedName: feed, PackageName: pkg, Version: `1.0.${day}`, Target: target, Date: new Date(Date.UTC(2024, 0, day)).toISOString(), ...extra });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.deployment;
}

describe.each(databaseIds())('purge on %s', (id) => {
  let db: TestDatabase;
  let store: KnexDeploymentStore;
  let router: DeploymentRouter;
  let app: express.Express;
  let logger: ReturnType<typeof memoryLogger>;
  const purged: PurgeEvent[] = [];
  const deleted: DeletedEvent[] = [];

  async function seed(): Promise<void> {
    await store.init();
    await db.knex('package_deployments').delete();
    const rows: NewDeployment[] = [];
    for (let d = 1; d <= 10; d++) rows.push(rec('FeedA', 'P', 't1', d));
    for (let d = 1; d <= 3; d++) rows.push(rec('FeedA', 'P', 't2', d));
    for (let d = 1; d <= 5; d++) rows.push(rec('FeedA', 'Q', 't1', d, { GroupName: 'g' }));
    for (let d = 1; d <= 5; d++) rows.push(rec('FeedB', 'P', 't1', d));
    await store.record(rows);
  }
  const countOf = async (q: Record<string, string> = {}) => Number(((await db.knex('package_deployments').where(q).count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n);
  const currentIds = async () => (await db.knex('package_deployments').select('feed_name', 'package_name', 'target').max({ d: 'deployed_at' }).groupBy('feed_name', 'package_name', 'target')) as unknown[];

  beforeAll(async () => {
    db = await createTestDatabase(id);
    store = createKnexStore({ knex: db.knex });
    logger = memoryLogger();
    router = createDeploymentRouter({ store, auth: apiKeyAuth({ keys }), feeds: ['FeedA', 'FeedB'], logger });
    router.events.on('purged', (e: PurgeEvent) => purged.push(e));
    router.events.on('deployment-deleted', (e: DeletedEvent) => deleted.push(e));
    app = express();
    app.use(router);
  });
  beforeEach(seed);
  afterAll(async () => {
    await router.close();
    await store.close();
    await db.destroy();
  });

  it('a dry run by default: counts per feed and package and a sample, nothing deleted', async () => {
    const res = await request(app).post(`${PATH}/purge`).set('X-ApiKey', ADMIN).send({ feed: 'FeedA', keepLatest: 2 }).expect(200);
    expect(res.body).toMatchObject({ dryRun: true, matched: 8 + 1 + 3, deleted: 0, byFeed: [{ feedName: 'FeedA', count: 12 }] });
    expect(res.body.byPackage).toEqual([
      { feedName: 'FeedA', packageName: 'P', count: 9 },
      { feedName: 'FeedA', groupName: 'g', packageName: 'Q', count: 3 },
    ]);
    expect(res.body.sample).toHaveLength(12);
    expect(res.body.sample[0]).toMatchObject({ FeedName: 'FeedA', Removed: false });
    expect(await countOf()).toBe(23);
    expect(logger.lines.at(-1)).toMatch(/^warn: package-deployments: purge dry run by "admin" \(feed="FeedA" keepLatest=2\): 12 record\(s\) would be deleted\.$/);
    expect(purged.at(-1)).toMatchObject({ by: 'admin', result: { dryRun: true, matched: 12 } });
  });

  it('dryRun: false deletes, keeping the latest N per package and target; other feeds untouched', async () => {
    const before = await currentIds();
    const res = await request(app).post(`${PATH}/purge`).set('X-ApiKey', ADMIN).send({ feed: 'FeedA', keepLatest: 2, dryRun: false }).expect(200);
    expect(res.body).toMatchObject({ dryRun: false, matched: 12, deleted: 12 });
    expect(await countOf({ feed_name: 'FeedA' })).toBe(2 + 2 + 2);
    expect(await countOf({ feed_name: 'FeedB' })).toBe(5);
    expect(await currentIds()).toEqual(before);
    expect((await db.knex('package_deployments').where({ feed_name: 'FeedA', package_name: 'P', target: 't1' }).orderBy('deployed_at').pluck('version'))).toEqual(['1.0.9', '1.0.10']);
    expect(logger.lines.at(-1)).toMatch(/purge by "admin" \(feed="FeedA" keepLatest=2\): 12 record\(s\) matched, 12 deleted\./);
  });

  it('olderThan alone never deletes a target\'s current record; keepPrevious keeps the one before it', async () => {
    const r1 = await router.purge({ feedName: 'FeedA', before: new Date('2030-01-01'), dryRun: false, batchSize: 3 });
    expect(r1.deleted).toBe(9 + 2 + 4);
    expect(await countOf({ feed_name: 'FeedA' })).toBe(3);
    await seed();
    const r2 = await router.purge({ feedName: 'FeedA', before: new Date('2030-01-01'), keepPrevious: true, dryRun: false });
    expect(r2.deleted).toBe(8 + 1 + 3);
    await seed();
    // A date limit: only records before 2024-01-04 go (days 1-3), never the current one.
    const r3 = await router.purge({ feedName: 'FeedA', before: new Date('2024-01-04'), dryRun: false });
    expect(r3.deleted).toBe(3 + 2 + 3);
    expect(purged.at(-1)).toMatchObject({ by: 'store API' });
  });

  it('keepLatest and before together drop only records that are both old and beyond the latest N', async () => {
    const r = await router.purge({ feedName: 'FeedA', packageName: 'P', target: 't1', keepLatest: 3, before: new Date('2024-01-06') });
    expect(r).toMatchObject({ dryRun: true, matched: 5 });
  });

  it('scopes by package and target', async () => {
    const res = await request(app).post(`${PATH}/purge`).set('X-ApiKey', ADMIN).send({ feed: 'FeedA', package: 'P', target: 't2', keepLatest: 1, dryRun: false }).expect(200);
    expect(res.body.deleted).toBe(2);
    expect(await countOf({ feed_name: 'FeedA', target: 't1' })).toBe(15);
  });

  it('needs Feeds_DeletePackage on the feed: 403 otherwise, nothing deleted', async () => {
    await request(app).post(`${PATH}/purge`).set('X-ApiKey', CI).send({ feed: 'FeedA', keepLatest: 1, dryRun: false }).expect(403);
    await request(app).post(`${PATH}/purge`).send({ feed: 'FeedA', keepLatest: 1, dryRun: false }).expect(403);
    await request(app).post(`${PATH}/purge`).set('X-ApiKey', A_ONLY).send({ feed: 'FeedB', keepLatest: 1, dryRun: false }).expect(403);
    expect(await countOf()).toBe(23);
    await request(app).post(`${PATH}/purge`).set('X-ApiKey', A_ONLY).send({ feed: 'FeedA', keepLatest: 1, dryRun: false }).expect(200);
  });

  it('refuses a bad policy with a 400 naming the field', async () => {
    const bad = async (body: unknown, pattern: RegExp) => {
      const res = await request(app).post(`${PATH}/purge`).set('X-ApiKey', ADMIN).send(body as object);
      expect([res.status, res.text]).toEqual([400, expect.stringMatching(pattern)]);
    };
    await bad({ keepLatest: 2 }, /^feed: is required/);
    await bad({ feed: 'FeedA' }, /Say what to drop/);
    await bad({ feed: 'FeedA', keepLatest: 0 }, /^keepLatest: must be a whole number, at least 1/);
    await bad({ feed: 'FeedA', olderThan: 'soon' }, /^olderThan: must be a duration/);
    await bad({ feed: 'FeedA', keepLatest: 1, dryRun: 'no' }, /^dryRun: must be true or false/);
    await bad({ feed: 'FeedA', keepLatest: 1, colour: 'red' }, /^colour: unknown field/);
    await request(app).post(`${PATH}/purge`).set('X-ApiKey', ADMIN).send({ feed: 'Nope', keepLatest: 1 }).expect(404);
    expect(await countOf()).toBe(23);
  });

  it('olderThan accepts a duration', async () => {
    const res = await request(app).post(`${PATH}/purge`).set('X-ApiKey', ADMIN).send({ feed: 'FeedB', olderThan: '1d' }).expect(200);
    expect(res.body).toMatchObject({ dryRun: true, matched: 4 });
  });

  it('deletes one record by id with Feeds_DeletePackage: an event and a log line', async () => {
    const [row] = (await db.knex('package_deployments').where({ feed_name: 'FeedA', target: 't2' }).orderBy('id').select('id')) as Array<{ id: number }>;
    const rid = String(row!.id);
    await request(app).delete(`${PATH}/${rid}`).set('X-ApiKey', CI).expect(403);
    const [other] = (await db.knex('package_deployments').where({ feed_name: 'FeedB' }).select('id')) as Array<{ id: number }>;
    await request(app).delete(`${PATH}/${other!.id}`).set('X-ApiKey', A_ONLY).expect(403);
    const res = await request(app).delete(`${PATH}/${rid}`).set('X-ApiKey', A_ONLY).expect(200);
    expect(res.body).toMatchObject({ Id: rid, FeedName: 'FeedA', Target: 't2' });
    expect(await countOf()).toBe(22);
    await request(app).delete(`${PATH}/${rid}`).set('X-ApiKey', A_ONLY).expect(404);
    await request(app).delete(`${PATH}/not-a-number`).set('X-ApiKey', A_ONLY).expect(400);
    expect(deleted.at(-1)).toMatchObject({ by: 'a-admin', record: { id: rid } });
    expect(logger.lines.at(-1)).toMatch(new RegExp(`^warn: package-deployments: record ${rid} \\(FeedA/P 1\\.0\\.1 on t2\\) deleted by "a-admin"\\.$`));
  });

  it('runs on a schedule when configured (for real), as an audited purge by "schedule"', async () => {
    const events: PurgeEvent[] = [];
    const scheduled = createDeploymentRouter({ store, auth: apiKeyAuth({ keys }), logger: memoryLogger(), retention: { policy: { feedName: 'FeedB', keepLatest: 1 }, everyMs: 60_000, runAtStart: true } });
    const done = new Promise<void>((resolve) => scheduled.events.on('purged', (e: PurgeEvent) => { events.push(e); resolve(); }));
    await done;
    await scheduled.close();
    expect(events[0]).toMatchObject({ by: 'schedule', result: { dryRun: false, deleted: 4 } });
    expect(await countOf({ feed_name: 'FeedB' })).toBe(1);
  });

  it('a purge over several store calls (each within its time budget) answers as one run', async () => {
    const rows: NewDeployment[] = [];
    for (let t = 0; t < 50; t++) for (let d = 1; d <= 50; d++) rows.push(rec('Big', 'P', `t${t}`, d));
    await store.record(rows);
    const oneCall = await store.purge({ feedName: 'Big', keepLatest: 5 });
    expect(oneCall.next).toBeUndefined();
    const first = await store.purge({ feedName: 'Big', keepLatest: 5, timeBudgetMs: 1 });
    expect(first.next).toBeDefined();
    const whole = await router.purge({ feedName: 'Big', keepLatest: 5, timeBudgetMs: 1, dryRun: false, sampleSize: 30 });
    expect({ ...whole, sample: whole.sample.length }).toEqual({ ...oneCall, dryRun: false, deleted: 45 * 50, sample: 30 });
    expect(whole.matched).toBe(45 * 50);
    expect(await countOf({ feed_name: 'Big' })).toBe(5 * 50);
  });

  it('pages its scan with a row value that starts after the columns the scope fixes (an index range, not a rescan)', async () => {
    // With feed_name both fixed (=) and first in the row value, SQLite used only the equality and read every
    // row before the cursor again on each page: quadratic over a large feed.
    const scans: string[] = [];
    const listener = (q: { sql?: string }) => { if (/^select/i.test(q.sql ?? '') && /<\s*\(/.test(q.sql ?? '')) scans.push(q.sql!); };
    db.knex.on('query', listener);
    try {
      const many: NewDeployment[] = [];
      for (let d = 1; d <= 1100; d++) many.push(rec('FeedA', 'P', `bulk-${d % 3}`, 1 + (d % 28)));
      await store.record(many);
      await store.purge({ feedName: 'FeedA', keepLatest: 1 });
    } finally {
      db.knex.removeListener('query', listener);
    }
    expect(scans.length).toBeGreaterThan(0);
    for (const sql of scans) expect(sql.replace(/[`"]/g, '')).toMatch(/\(group_name, package_name, target, deployed_at, id\) < \(/);
    if (id === 'sqlite') {
      const plan = (await db.knex.raw(`EXPLAIN QUERY PLAN ${scans[0]!}`, ['FeedA', '', 'P', 't', '2024-01-01T00:00:00.000Z', 1, 1000])) as Array<{ detail: string }>;
      expect(plan.map((r) => r.detail).join(' ')).toMatch(/feed_name=\? AND \(group_name,package_name,target,deployed_at\)<\(/);
    }
  });

  it('refuses a bad schedule at construction, saying how to fix it', () => {
    expect(() => createDeploymentRouter({ store, apiKeys: keys, retention: { policy: { keepLatest: 1 }, everyMs: 10 } })).toThrow(/retention.everyMs must be a whole number of milliseconds, at least 60000/);
    expect(() => createDeploymentRouter({ store, apiKeys: keys, retention: { policy: {}, everyMs: 60_000 } })).toThrow(/say what to drop/);
  });
});

describe('purge through the embedded SQLite store (a worker thread)', () => {
  it('purges, deletes by id and keeps Idempotency-Keys through the worker proxy', async () => {
    const { mkdtempSync, rmSync } = require('node:fs') as typeof import('node:fs');
    const { tmpdir } = require('node:os') as typeof import('node:os');
    const { join } = require('node:path') as typeof import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'pd-purge-worker-'));
    const store = createKnexStore({ filename: join(dir, 'd.sqlite') });
    const router = createDeploymentRouter({ store, auth: apiKeyAuth({ keys }), logger: memoryLogger() });
    try {
      const stored = await store.record(Array.from({ length: 30 }, (_, d) => rec('W', 'P', 't1', d + 1)));
      const again = await store.record([{ ...rec('W', 'P', 't1', 1), uid: stored[0]!.uid }]);
      expect(again[0]!.id).toBe(stored[0]!.id);
      const dry = await router.purge({ feedName: 'W', keepLatest: 10 });
      expect(dry).toMatchObject({ dryRun: true, matched: 20, deleted: 0 });
      expect(Object.prototype.toString.call(dry.sample[0]!.date)).toBe('[object Date]');
      expect(await router.purge({ feedName: 'W', keepLatest: 10, dryRun: false })).toMatchObject({ deleted: 20 });
      const latest = (await store.list({ feedName: 'W', limit: 1 })).records[0]!;
      expect((await router.deleteRecord(latest.id))?.id).toBe(latest.id);
      const a = express();
      a.use(router);
      await request(a).post(PATH + '/').set('X-ApiKey', CI).set('Idempotency-Key', 'w-1').send({ Application: 'A', Description: '', Target: 'x', FeedName: 'W', PackageName: 'P', Version: '1.0.0' }).expect(200);
      await request(a).post(PATH + '/').set('X-ApiKey', CI).set('Idempotency-Key', 'w-1').send({ Application: 'A', Description: '', Target: 'y', FeedName: 'W', PackageName: 'P', Version: '1.0.0' }).expect(422);
    } finally {
      await router.close();
      await store.close?.();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
