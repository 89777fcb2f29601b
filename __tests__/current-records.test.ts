/**
 * The table of each target's current record (migration 004, lib/store/current-records.ts), over every
 * database and on the embedded SQLite store (its worker inserts through a prepared upsert): written in the
 * records' transaction, later records only (by date, then id), removals, batches holding several records
 * of one target, retried batches, deletes by id, purges, the migration's backfill and rebuildVersionKeys.
 * After every step the table must equal what "running now" always meant: each target's record with no
 * later record on the same target.
 */
import type { Knex } from 'knex';
import { createKnexStore, migrateDeploymentStore, rebuildCurrentRecords, validateDeployment, parseVersionRange, type KnexDeploymentStore, type NewDeployment } from '../lib';
import { MIGRATIONS_TABLE } from '../lib/store/tables';
import { migrationSource } from '../lib/store/migrations';
import { CURRENT_TABLE, DEPLOYMENTS_TABLE } from '../lib/store/tables';
import { upsertCurrent } from '../lib/store/current-records';
import { selectRows } from '../lib/store/queries';
import type { DeploymentRow } from '../lib/store/rows';
import { EMBEDDED_SQLITE, openStore, storeKinds, type TestDatabase } from './helpers/databases';

const FEED = 'nuget-feed';
const SCHEMES = { [FEED]: 'nuget' } as const;
let uids = 0;

/** A deployment of `pkg` `version` to `target`, `minute` minutes into 2024. */
function deployment(target: string, version: string, minute: number, extra: Partial<NewDeployment> = {}, pkg = 'Kit.Package'): NewDeployment {
  const r = validateDeployment(
    { Application: 'ci', Description: '', Target: target, FeedName: FEED, PackageName: pkg, Version: version, Date: new Date(Date.UTC(2024, 0, 1) + minute * 60_000).toISOString() },
    { receivedAt: new Date('2024-06-01T00:00:00Z') },
  );
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return { ...r.deployment, uid: `current-test-${process.pid}-${++uids}`, ...extra };
}

interface Row { feed_name: string; group_name: string; package_name: string; target: string; record_id: string; deployed_at: string; version_key: string; package_key: string; removed: boolean }
const normal = (r: Record<string, unknown>): Row => ({
  feed_name: String(r.feed_name), group_name: String(r.group_name), package_name: String(r.package_name), target: String(r.target),
  record_id: String(r.record_id ?? r.id), deployed_at: String(r.deployed_at), version_key: String(r.version_key), package_key: String(r.package_key),
  removed: r.removed === true || Number(r.removed) === 1,
});
const byKey = (a: Row, b: Row) => `${a.package_name} ${a.target}`.localeCompare(`${b.package_name} ${b.target}`);

/** The current table, and what it must hold: the records with no later record on their target. */
async function expectConsistent(knex: Knex): Promise<Row[]> {
  const table = ((await knex(CURRENT_TABLE).select('*')) as Array<Record<string, unknown>>).map(normal).sort(byKey);
  const expected = ((await knex({ d: DEPLOYMENTS_TABLE })
    .select('d.*')
    .whereNotExists(knex.select(knex.raw('1')).from({ n: DEPLOYMENTS_TABLE }).whereRaw('n.feed_name = d.feed_name and n.group_name = d.group_name and n.package_name = d.package_name and n.target = d.target and (n.deployed_at > d.deployed_at or (n.deployed_at = d.deployed_at and n.id > d.id))'))) as Array<Record<string, unknown>>)
    .map(normal)
    .sort(byKey);
  expect(table).toEqual(expected);
  return table;
}

/** The database's plan for a query, as text. */
async function explain(db: TestDatabase, sql: string, bindings: readonly Knex.RawBinding[]): Promise<string> {
  if (db.id === 'sqlite') return ((await db.knex.raw(`explain query plan ${sql}`, bindings)) as Array<{ detail: string }>).map((r) => r.detail).join('\n');
  if (db.id === 'postgres') {
    const res = (await db.knex.raw(`explain ${sql.replace(/\$(\d+)/g, '?')}`, bindings)) as { rows: Array<Record<string, string>> };
    return res.rows.map((r) => Object.values(r).join(' ')).join('\n');
  }
  const [rows] = (await db.knex.raw(`explain ${sql}`, bindings)) as [Array<Record<string, unknown>>];
  return JSON.stringify(rows);
}

describe.each(storeKinds())('current records on %s', (kind) => {
  let db: TestDatabase;
  let store: KnexDeploymentStore;
  const worker = kind === EMBEDDED_SQLITE;

  beforeAll(async () => {
    ({ db, store } = await openStore(kind, { versionSchemes: SCHEMES }));
  });
  afterAll(async () => {
    await store.close();
    await db.destroy();
  });

  /** Targets running `pkg` now, with their version, as the store answers (`current` and advisories). */
  async function running(pkg: string): Promise<string[]> {
    const page = await store.current({ feedName: FEED, groupName: '', packageName: pkg, limit: 1000 });
    const now = page.records.map((r) => `${r.target}=${r.version}`);
    const viaKey = await store.currentOfPackage({ feedName: FEED, groupName: '', packageName: pkg, scheme: 'nuget' });
    expect(viaKey.map((r) => `${r.target}=${r.version}`).sort()).toEqual([...now].sort());
    expect(await store.count({ feedName: FEED, packageName: pkg, current: true })).toBe(now.length);
    return now.sort();
  }

  it('an older record written later does not replace the current one', async () => {
    await store.record([deployment('a1', '2.0.0', 20, {}, 'Order')]);
    await store.record([deployment('a1', '1.0.0', 10, {}, 'Order')]);
    expect(await running('Order')).toEqual(['a1=2.0.0']);
    await store.record([deployment('a1', '3.0.0', 30, {}, 'Order')]);
    expect(await running('Order')).toEqual(['a1=3.0.0']);
    await expectConsistent(db.knex);
  });

  it('ties on the date go to the higher id, across batches and within one', async () => {
    await store.record([deployment('t1', '1.0.0', 5, {}, 'Tie')]);
    await store.record([deployment('t1', '1.0.1', 5, {}, 'Tie')]);
    expect(await running('Tie')).toEqual(['t1=1.0.1']);
    await store.record([deployment('t2', '2.0.0', 5, {}, 'Tie'), deployment('t2', '2.0.1', 5, {}, 'Tie')]);
    expect(await running('Tie')).toEqual(['t1=1.0.1', 't2=2.0.1']);
    await expectConsistent(db.knex);
  });

  it('a removal takes the target out; an older record written later does not bring it back', async () => {
    await store.record([deployment('r1', '1.0.0', 1, {}, 'Gone'), deployment('r2', '1.0.0', 1, {}, 'Gone')]);
    await store.record([deployment('r1', '1.0.0', 2, { removed: true }, 'Gone')]);
    expect(await running('Gone')).toEqual(['r2=1.0.0']);
    await store.record([deployment('r1', '0.9.0', 1, {}, 'Gone')]);
    expect(await running('Gone')).toEqual(['r2=1.0.0']);
    await store.record([deployment('r1', '1.1.0', 3, {}, 'Gone')]);
    expect(await running('Gone')).toEqual(['r1=1.1.0', 'r2=1.0.0']);
    const range = parseVersionRange('nuget', '[1.0.0,1.1.0)');
    const page = await store.current({ feedName: FEED, groupName: '', packageName: 'Gone', versionRange: range });
    expect(page.records.map((r) => r.target)).toEqual(['r2']);
    await expectConsistent(db.knex);
  });

  it('several records of one target in one batch, in any order: the latest is current', async () => {
    const batch = [
      deployment('b1', '1.2.0', 12, {}, 'Batch'), deployment('b2', '1.0.0', 10, {}, 'Batch'), deployment('b1', '1.3.0', 13, {}, 'Batch'),
      deployment('b1', '1.1.0', 11, {}, 'Batch'), deployment('b2', '1.5.0', 15, { removed: true }, 'Batch'), deployment('b3', '1.0.0', 1, {}, 'Batch'),
      deployment('b3', '1.0.1', 1, {}, 'Batch'),
    ];
    await store.record(batch);
    expect(await running('Batch')).toEqual(['b1=1.3.0', 'b3=1.0.1']);
    // A bigger batch than one statement takes (500 rows on SQLite), many rows per target.
    const big: NewDeployment[] = [];
    for (let i = 0; i < 1200; i++) big.push(deployment(`big-${i % 7}`, `1.0.${i}`, 1000 + ((i * 7919) % 1200), {}, 'Batch'));
    await store.record(big);
    await expectConsistent(db.knex);
    expect((await running('Batch')).filter((t) => t.startsWith('big-'))).toHaveLength(7);
  });

  it('a retried batch (the same uids) changes nothing; its new rows count', async () => {
    const first = [deployment('u1', '1.0.0', 100, {}, 'Retry'), deployment('u2', '1.0.0', 100, {}, 'Retry')];
    await store.record(first);
    await store.record([deployment('u1', '0.5.0', 50, {}, 'Retry')]);
    const before = await expectConsistent(db.knex);
    const again = await store.record(first);
    expect(again.map((r) => r.uid)).toEqual(first.map((r) => r.uid));
    expect(await expectConsistent(db.knex)).toEqual(before);
    await store.record([...first, deployment('u3', '1.0.0', 100, {}, 'Retry')]);
    expect(await running('Retry')).toEqual(['u1=1.0.0', 'u2=1.0.0', 'u3=1.0.0']);
    await expectConsistent(db.knex);
  });

  it('deleting a current record by id makes the previous one current; deleting the last leaves none', async () => {
    const [older] = await store.record([deployment('d1', '1.0.0', 1, {}, 'Delete')]);
    const [newer] = await store.record([deployment('d1', '2.0.0', 2, {}, 'Delete')]);
    const [only] = await store.record([deployment('d2', '1.0.0', 1, {}, 'Delete')]);
    await store.record([deployment('d3', '1.0.0', 1, {}, 'Delete'), deployment('d3', '1.0.0', 2, { removed: true }, 'Delete')]);
    expect(await running('Delete')).toEqual(['d1=2.0.0', 'd2=1.0.0']);
    // A record that is not current: nothing changes.
    expect((await store.deleteRecord(older!.id))?.id).toBe(older!.id);
    expect(await running('Delete')).toEqual(['d1=2.0.0', 'd2=1.0.0']);
    await store.record([deployment('d1', '1.5.0', 1, {}, 'Delete')]);
    expect((await store.deleteRecord(newer!.id))?.version).toBe('2.0.0');
    expect(await running('Delete')).toEqual(['d1=1.5.0', 'd2=1.0.0']);
    await store.deleteRecord(only!.id);
    expect(await running('Delete')).toEqual(['d1=1.5.0']);
    expect(await store.deleteRecord(only!.id)).toBeUndefined();
    // The removal deleted: the target runs what it ran before it.
    const removal = (await store.list({ feedName: FEED, packageName: 'Delete', target: 'd3' })).records[0]!;
    expect(removal.removed).toBe(true);
    await store.deleteRecord(removal.id);
    expect(await running('Delete')).toEqual(['d1=1.5.0', 'd3=1.0.0']);
    await expectConsistent(db.knex);
  });

  it('a purge leaves every target its current record', async () => {
    const rows: NewDeployment[] = [];
    for (let t = 0; t < 5; t++) for (let v = 0; v < 8; v++) rows.push(deployment(`p${t}`, `1.${v}.0`, 500 + v * 10 + t, { removed: t === 4 && v === 7 }, 'Purge'));
    await store.record(rows);
    const now = await running('Purge');
    const result = await store.purge({ feedName: FEED, packageName: 'Purge', keepLatest: 1, dryRun: false, batchSize: 3 });
    expect(result.deleted).toBe(5 * 7);
    expect(await running('Purge')).toEqual(now);
    await expectConsistent(db.knex);
  });

  it('rebuildVersionKeys() rewrites the keys of the current rows too', async () => {
    await store.record([deployment('k1', '1.0.0', 1, {}, 'Keys'), deployment('k1', '2.0.0', 2, {}, 'Keys'), deployment('k2', '3.0.0', 1, {}, 'Keys')]);
    // As rows written before keys existed: unkeyed, no package key, in both tables.
    for (const table of [DEPLOYMENTS_TABLE, CURRENT_TABLE]) await db.knex(table).where('package_name', 'Keys').update({ version_key: '~', package_key: '' });
    expect(await store.currentOfPackage({ feedName: FEED, groupName: '', packageName: 'keys', scheme: 'nuget' })).toEqual([]);
    expect(await store.rebuildVersionKeys({ feedName: FEED, batchSize: 2 })).toBe(3);
    await expectConsistent(db.knex);
    const found = await store.currentOfPackage({ feedName: FEED, groupName: '', packageName: 'keys', scheme: 'nuget', keys: parseVersionRange('nuget', '[2.0.0,3.0.0)').keys });
    expect(found.map((r) => `${r.target}=${r.version}`)).toEqual(['k1=2.0.0']);
  });

  it('running now with a range reads the current table by index, each record by id (query plan)', async () => {
    if (worker) return;
    const rows: NewDeployment[] = [];
    for (let i = 0; i < 3000; i++) rows.push(deployment(`srv-${i % 60}`, `1.${Math.floor(i / 100)}.${i % 100}`, 10_000 + i, {}, 'Plan.Package'));
    for (let p = 0; p < 200; p++) for (let t = 0; t < 10; t++) rows.push(deployment(`srv-${t}`, '1.0.0', p, {}, `Plan.Other${p}`));
    for (let i = 0; i < rows.length; i += 500) await store.record(rows.slice(i, i + 500));
    if (db.id === 'postgres') await db.knex.raw('analyze');
    if (db.id === 'mysql') await db.knex.raw('analyze table ??, ??', [DEPLOYMENTS_TABLE, CURRENT_TABLE]);
    if (db.id === 'sqlite') await db.knex.raw('analyze');
    const range = parseVersionRange('nuget', '[1.29.50,1.29.60)');
    const q = selectRows(db.knex, { feedName: FEED, groupName: '', packageName: 'Plan.Package', current: true }, range.keys).toSQL().toNative();
    const plan = await explain(db, q.sql, q.bindings as readonly Knex.RawBinding[]);
    expect(plan).toMatch(/package_deployments_current_version_key_idx/);
    expect(plan).not.toMatch(/package_deployments_target_idx/);
    const page = await store.current({ feedName: FEED, groupName: '', packageName: 'Plan.Package', versionRange: range });
    expect(page.records.map((r) => r.version).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `1.29.${50 + i}`).sort());
    await expectConsistent(db.knex);
  });

  it('the upsert replaces a stored row only with a later (date, id), every column together', async () => {
    if (worker) return; // its prepared statement is the same SQL, one row at a time
    const row = (deployed_at: string, record_id: number, version_key: string, removed = false) =>
      ({ feed_name: FEED, group_name: '', package_name: 'Upsert', target: 'x', id: record_id, deployed_at, version_key, package_key: 'upsert', removed }) as unknown as DeploymentRow;
    const stored = async () => normal((await db.knex(CURRENT_TABLE).where('package_name', 'Upsert').first()) as Record<string, unknown>);
    await db.knex.transaction((trx) => upsertCurrent(trx, [row('2024-01-02T00:00:00.000Z', 10, 'k10')]));
    const steps: Array<[DeploymentRow, string]> = [
      [row('2024-01-03T00:00:00.000Z', 5, 'k5', true), '5'], // later date, lower id: replaces
      [row('2024-01-03T00:00:00.000Z', 4, 'k4'), '5'], // same date, lower id: kept
      [row('2024-01-01T00:00:00.000Z', 100, 'k100'), '5'], // earlier date, higher id: kept
      [row('2024-01-03T00:00:00.000Z', 6, 'k6'), '6'], // same date, higher id: replaces
    ];
    for (const [r, expected] of steps) {
      await db.knex.transaction((trx) => upsertCurrent(trx, [r]));
      const now = await stored();
      expect(now.record_id).toBe(expected);
      expect(now.version_key).toBe(`k${expected}`);
      expect(now.removed).toBe(expected === '5');
      expect(now.deployed_at).toBe('2024-01-03T00:00:00.000Z');
    }
    // Several rows of the target in one statement, in any order: the latest wins.
    await db.knex.transaction((trx) => upsertCurrent(trx, [row('2024-01-09T00:00:00.000Z', 7, 'k7'), row('2024-01-09T00:00:00.000Z', 9, 'k9'), row('2024-01-08T00:00:00.000Z', 20, 'k20')]));
    expect((await stored()).record_id).toBe('9');
    await db.knex(CURRENT_TABLE).where('package_name', 'Upsert').delete();
  });

  it('migration 004 fills the table from the records already stored; rebuildCurrentRecords() refills it', async () => {
    if (worker) return; // the same SQL as on SQLite through knex
    // Undo 004 (the last migration), store records around it, and run it again.
    await db.knex.migrate.down({ migrationSource, tableName: MIGRATIONS_TABLE });
    expect(await db.knex.schema.hasTable(CURRENT_TABLE)).toBe(false);
    const raw = [
      deployment('m1', '2.0.0', 20, {}, 'Backfill'), deployment('m1', '1.0.0', 10, {}, 'Backfill'), deployment('m2', '1.0.0', 5, {}, 'Backfill'),
      deployment('m2', '1.0.1', 5, {}, 'Backfill'), deployment('m3', '1.0.0', 1, {}, 'Backfill'), deployment('m3', '1.0.0', 2, { removed: true }, 'Backfill'),
    ];
    const plain = createKnexStore({ knex: db.knex, versionSchemes: SCHEMES, migrate: false });
    for (const d of raw) {
      const { feedName, groupName, packageName, version, application, description, target, userName, date, receivedAt, uid, removed } = d;
      await db.knex(DEPLOYMENTS_TABLE).insert({
        feed_name: feedName, group_name: groupName ?? '', package_name: packageName, version, application, description, target, user_name: userName, url: null,
        deployed_at: date.toISOString(), received_at: receivedAt.toISOString(), uid, removed: removed === true,
        version_key: plain.versionKeyOf(feedName, version), package_key: plain.packageKeyOf(feedName, '', packageName),
      });
    }
    await plain.close();
    await migrateDeploymentStore(db.knex);
    const table = await expectConsistent(db.knex);
    expect(table.filter((r) => r.package_name === 'Backfill').map((r) => `${r.target}:${r.removed}`)).toEqual(['m1:false', 'm2:false', 'm3:true']);
    expect(await running('Backfill')).toEqual(['m1=2.0.0', 'm2=1.0.1']);
    expect(await running('Order')).toEqual(['a1=3.0.0']);
    // Emptied (as after a bulk load around the store), then refilled.
    await db.knex(CURRENT_TABLE).delete();
    expect(await running('Backfill')).toEqual([]);
    await rebuildCurrentRecords(db.knex);
    expect(await running('Backfill')).toEqual(['m1=2.0.0', 'm2=1.0.1']);
    await expectConsistent(db.knex);
  });
});
