/**
 * Bounded cost: a range has a documented bound on its size (400 naming the limit beyond it), and
 * feed-wide history (`feed_name = ? ORDER BY deployed_at DESC, id DESC`, the export's query) is read from
 * an index in order, without a sort, on every database; migration 003's down() removes that index.
 */
import express from 'express';
import type { Knex } from 'knex';
import request from 'supertest';
import { anonymousAuth, createDeploymentRouter, createKnexStore, parseVersionRange, rollbackDeploymentStore, RANGE_LIMITS, validateDeployment, DEPLOYMENTS_TABLE, type KnexDeploymentStore } from '../lib';
import { selectRows } from '../lib/store/queries';
import { createTestDatabase, databaseIds, type TestDatabase } from './helpers/databases';
import { memoryLogger } from './helpers/fixtures';

describe('range size', () => {
  it('documents its limits', () => {
    expect(RANGE_LIMITS).toEqual({ maxLength: 1000, maxParts: 64 });
  });

  it('accepts a range at the limit and refuses one beyond it with a 400 naming the limit', async () => {
    const alternatives = (n: number) => Array.from({ length: n }, (_, i) => `1.0.${i}`).join(' || ');
    expect(parseVersionRange('semver', alternatives(64)).test('1.0.63')).toBe(true);
    expect(() => parseVersionRange('semver', alternatives(65))).toThrow(/range: 65 parts .* more than the 64 a range may have/);
    expect(() => parseVersionRange('nuget', `[1.0,${'9'.repeat(1000)})`)).toThrow(/range: 1006 characters, more than the 1000/);

    const store = createKnexStore({ filename: ':memory:' });
    const app = express();
    app.use(createDeploymentRouter({ store, auth: anonymousAuth(), logger: memoryLogger() }));
    try {
      const res = await request(app).get('/api/package-deployment').query({ feed: 'npm', package: 'big', range: alternatives(100) });
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.text).toMatch(/range: 100 parts .* more than the 64 a range may have/);
      // The 900 alternatives: refused for its length before any part is read.
      expect(() => parseVersionRange('semver', alternatives(900))).toThrow(/characters, more than the 1000/);
      const ok = await request(app).get('/api/package-deployment').query({ feed: 'npm', package: 'big', range: alternatives(64) });
      expect(ok.status).toBe(200);
    } finally {
      await store.close();
    }
  });
});

/** The database's plan for a query, as text. */
async function explain(db: TestDatabase, sql: string, bindings: readonly Knex.RawBinding[], noSort = false): Promise<string> {
  if (db.id === 'postgres' && noSort) {
    // PostgreSQL's planner rightly sorts a few hundred rows rather than read them in index order; with
    // sorting priced out, the plan shows whether an index can serve the order without one.
    return db.knex.transaction(async (trx) => {
      await trx.raw('set local enable_sort = off');
      const res = (await trx.raw(`explain ${sql.replace(/\$(\d+)/g, '?')}`, bindings)) as { rows: Array<Record<string, string>> };
      return res.rows.map((r) => Object.values(r).join(' ')).join('\n');
    });
  }
  if (db.id === 'sqlite') {
    const rows = (await db.knex.raw(`explain query plan ${sql}`, bindings)) as Array<{ detail: string }>;
    return rows.map((r) => r.detail).join('\n');
  }
  if (db.id === 'postgres') {
    const res = (await db.knex.raw(`explain ${sql.replace(/\$(\d+)/g, '?')}`, bindings)) as { rows: Array<Record<string, string>> };
    return res.rows.map((r) => Object.values(r).join(' ')).join('\n');
  }
  const [rows] = (await db.knex.raw(`explain ${sql}`, bindings)) as [Array<Record<string, unknown>>];
  return JSON.stringify(rows);
}

describe.each(databaseIds())('feed-wide history on %s', (id) => {
  let db: TestDatabase;
  let store: KnexDeploymentStore;
  beforeAll(async () => {
    db = await createTestDatabase(id);
    store = createKnexStore({ knex: db.knex });
    const batch = Array.from({ length: 3000 }, (_, i) => {
      const r = validateDeployment({ FeedName: `feed-${i % 20}`, PackageName: `p-${i % 37}`, Version: `1.0.${i}`, Application: 'a', Description: '', Target: `t-${i % 11}`, Date: new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString() });
      if (!r.ok) throw new Error(JSON.stringify(r.problems));
      return r.deployment;
    });
    await store.record(batch);
    if (id === 'postgres') await db.knex.raw(`analyze ${DEPLOYMENTS_TABLE}`);
    if (id === 'mysql') await db.knex.raw(`analyze table ${DEPLOYMENTS_TABLE}`);
    if (id === 'sqlite') await db.knex.raw('analyze');
  });
  afterAll(async () => {
    await store.close();
    await db.destroy();
  });

  it('is read from the feed/date index in order: no sort (SQLite: no temp B-tree)', async () => {
    const q = selectRows(db.knex, { feedName: 'feed-3' })
      .orderBy([{ column: 'd.deployed_at', order: 'desc' }, { column: 'd.id', order: 'desc' }])
      .limit(1001)
      .toSQL()
      .toNative();
    const plan = await explain(db, q.sql, q.bindings as readonly Knex.RawBinding[], true);
    expect(plan).toMatch(/package_deployments_feed_date_idx/);
    expect(plan).not.toMatch(/TEMP B-TREE|Sort|filesort/i);
    const page = await store.list({ feedName: 'feed-3', limit: 5 });
    expect(page.records.map((r) => r.version)).toEqual(['1.0.2983', '1.0.2963', '1.0.2943', '1.0.2923', '1.0.2903']);
  });

  it('migration 003 has a down() that removes the index, and up() puts it back', async () => {
    const other = await createTestDatabase(id);
    try {
      const s = createKnexStore({ knex: other.knex });
      await s.init();
      await rollbackDeploymentStore(other.knex, { all: true });
      expect(await other.knex.schema.hasTable(DEPLOYMENTS_TABLE)).toBe(false);
      const again = createKnexStore({ knex: other.knex });
      await again.init();
      await s.close();
      await again.close();
    } finally {
      await other.destroy();
    }
  });
});
