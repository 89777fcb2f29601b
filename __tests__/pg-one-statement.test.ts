/**
 * PostgreSQL's one-statement write of a batch (lib/store/pg-one-statement.ts), and the batch semantics it
 * must share with the transaction path every other database (and PostgreSQL with webhooks) takes: retried
 * batches answer the stored rows in order with inserted=false, batches mixing new and stored uids, the same
 * uid twice, the current table after several rows per target in any order. The semantic tests run on every
 * database; the ones about the statement itself on PostgreSQL.
 */
import type { Knex } from 'knex';
import { createKnexStore, validateDeployment, type KnexDeploymentStore, type NewDeployment } from '../lib';
import { CURRENT_TABLE, DEPLOYMENTS_TABLE, WEBHOOK_INTENTS_TABLE } from '../lib/store/tables';
import { codePointOrder, latestPerTarget } from '../lib/store/current-records';
import { ONE_STATEMENT_MAX_ROWS, recordInOneStatement } from '../lib/store/pg-one-statement';
import { toRow, type DeploymentRow } from '../lib/store/rows';
import { databaseIds, withStoreOn, type DatabaseId, type TestDatabase } from './helpers/databases';

const FEED = 'one-statement-feed';
let uids = 0;
const nextUid = () => `one-statement-${process.pid}-${++uids}`;

/** A deployment of `pkg` `version` to `target`, `minute` minutes into 2024. */
function deployment(target: string, version: string, minute: number, pkg = 'One.Package', extra: Partial<NewDeployment> = {}): NewDeployment {
  const r = validateDeployment(
    { Application: 'ci', Description: 'd', Target: target, FeedName: FEED, PackageName: pkg, Version: version, Date: new Date(Date.UTC(2024, 0, 1) + minute * 60_000).toISOString() },
    { receivedAt: new Date('2024-06-01T00:00:00Z') },
  );
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return { ...r.deployment, uid: nextUid(), ...extra };
}

/** Every SQL statement `knex` runs while `run` runs. */
async function statementsOf<T>(knex: Knex, run: () => Promise<T>): Promise<{ result: T; sql: string[] }> {
  const sql: string[] = [];
  // Not the webhook targets' read (cached for a second): the statements of the batch itself.
  const listener = (q: { sql: string }) => {
    if (!q.sql.includes('webhook_targets')) sql.push(q.sql);
  };
  knex.on('query', listener);
  try {
    return { result: await run(), sql };
  } finally {
    knex.off('query', listener);
  }
}

/** The current table of `pkg`: target=version of its record. */
async function currentOf(knex: Knex, pkg: string): Promise<string[]> {
  const rows = (await knex({ c: CURRENT_TABLE }).join({ d: DEPLOYMENTS_TABLE }, 'd.id', 'c.record_id').where('c.package_name', pkg).select('c.target', 'd.version', 'c.deployed_at', 'c.removed')) as Array<{ target: string; version: string }>;
  return rows.map((r) => `${r.target}=${r.version}`).sort();
}

describe('codePointOrder', () => {
  it('sorts as UTF-8 bytes do (PostgreSQL COLLATE "C"), unlike the default sort', () => {
    const words = ['a', 'ab', 'a\u0000b', '\uffff', '\u{1F600}', '\ue000', 'z', '', '\u00e9', '\u{10000}x', '\ud7ff'];
    const bytes = [...words].sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
    expect([...words].sort(codePointOrder)).toEqual(bytes);
    expect([...words].sort()).not.toEqual(bytes);
  });
});

describe.each(databaseIds())('a batch on %s', (id: DatabaseId) => {
  let db: TestDatabase;
  let store: KnexDeploymentStore;

  withStoreOn(id, (d, s) => {
    db = d;
    store = s;
  });

  it('retried, answers the stored rows in order with inserted false, and stores nothing twice', async () => {
    const batch = [deployment('r1', '1.0.0', 1, 'Retry'), deployment('r2', '1.0.0', 2, 'Retry'), deployment('r1', '1.1.0', 3, 'Retry')];
    const first = await store.record(batch);
    const again = await store.record(batch);
    expect(again).toEqual(first);
    expect(again.map((r) => r.uid)).toEqual(batch.map((d) => d.uid));
    expect(Number(((await db.knex(DEPLOYMENTS_TABLE).where('package_name', 'Retry').count({ n: '*' })) as Array<{ n: unknown }>)[0]!.n)).toBe(3);
    expect(await currentOf(db.knex, 'Retry')).toEqual(['r1=1.1.0', 'r2=1.0.0']);
  });

  it('mixing stored and new uids, keeps the order and inserts only the new ones', async () => {
    const stored = [deployment('m1', '1.0.0', 10, 'Mixed'), deployment('m2', '1.0.0', 10, 'Mixed')];
    const before = await store.record(stored);
    const fresh = [deployment('m1', '2.0.0', 5, 'Mixed'), deployment('m3', '1.0.0', 1, 'Mixed')];
    const mixed = [fresh[0]!, stored[1]!, fresh[1]!, stored[0]!];
    const after = await store.record(mixed);
    expect(after.map((r) => r.uid)).toEqual(mixed.map((d) => d.uid));
    expect(after[1]).toEqual(before[1]);
    expect(after[3]).toEqual(before[0]);
    expect(Number(after[0]!.id)).toBeGreaterThan(Number(before[1]!.id));
    expect(Number(after[2]!.id)).toBeGreaterThan(Number(after[0]!.id));
    expect(after[0]).toMatchObject({ version: '2.0.0', target: 'm1' });
    // m1's new record is older than the stored one: the stored one stays current.
    expect(await currentOf(db.knex, 'Mixed')).toEqual(['m1=1.0.0', 'm2=1.0.0', 'm3=1.0.0']);
  });

  it('the same uid twice in one batch stores it once and answers the stored row twice', async () => {
    const one = deployment('d1', '1.0.0', 1, 'Twice');
    const other = deployment('d2', '1.0.0', 1, 'Twice');
    const out = await store.record([one, other, one]);
    expect(out.map((r) => r.uid)).toEqual([one.uid, other.uid, one.uid]);
    expect(out[2]).toEqual(out[0]);
    expect(Number(((await db.knex(DEPLOYMENTS_TABLE).where('uid', one.uid!).count({ n: '*' })) as Array<{ n: unknown }>)[0]!.n)).toBe(1);
    expect(await currentOf(db.knex, 'Twice')).toEqual(['d1=1.0.0', 'd2=1.0.0']);
  });

  it('several rows per target in any order: the latest by (date, id) is current, removals included', async () => {
    const batch = [
      deployment('t1', '1.0.3', 30, 'Many'),
      deployment('t2', '2.0.0', 50, 'Many'),
      deployment('t1', '1.0.1', 10, 'Many'),
      deployment('t3', '3.0.0', 5, 'Many'),
      deployment('t2', '2.0.1', 50, 'Many'), // same date as 2.0.0, later in the batch: higher id, wins
      deployment('t1', '1.0.2', 20, 'Many'),
      deployment('t3', '3.0.1', 6, 'Many', { removed: true }),
    ];
    const out = await store.record(batch);
    // Ids in the batch's order.
    const ids = out.map((r) => Number(r.id));
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    expect(await currentOf(db.knex, 'Many')).toEqual(['t1=1.0.3', 't2=2.0.1', 't3=3.0.1']);
    const removed = (await db.knex(CURRENT_TABLE).where({ package_name: 'Many', target: 't3' }).first('removed')) as { removed: unknown };
    expect(removed.removed === true || Number(removed.removed) === 1).toBe(true);
    // A later batch with older and newer rows.
    await store.record([deployment('t1', '0.9.0', 1, 'Many'), deployment('t2', '2.1.0', 60, 'Many')]);
    expect(await currentOf(db.knex, 'Many')).toEqual(['t1=1.0.3', 't2=2.1.0', 't3=3.0.1']);
  });

  it('keeps values as given: a "?" in a value, a missing url, a group', async () => {
    const d = deployment('q?1', '1.0.0-a?b', 1, 'Question?', { description: 'what? $1 ?? :name', url: undefined, groupName: 'grp/sub' });
    const [r] = await store.record([d]);
    expect(r).toMatchObject({ target: 'q?1', version: '1.0.0-a?b', description: 'what? $1 ?? :name', groupName: 'grp/sub', packageName: 'Question?' });
    expect(r!.url).toBeUndefined();
    expect(await store.getRecord(r!.id)).toEqual(r);
  });

  // SQLite does not enforce a varchar's width.
  (id === 'sqlite' ? it.skip : it)('a value too long fails the whole batch and stores nothing', async () => {
    const good = deployment('long1', '1.0.0', 1, 'TooLong');
    const bad = deployment('long2', '1.0.0', 2, 'TooLong', { target: 'x'.repeat(201) });
    await expect(store.record([good, bad])).rejects.toThrow();
    expect(await db.knex(DEPLOYMENTS_TABLE).where('package_name', 'TooLong').select('id')).toEqual([]);
    expect(await db.knex(CURRENT_TABLE).where('package_name', 'TooLong').select('target')).toEqual([]);
  });
});

const pg = databaseIds().includes('postgres');
(pg ? describe : describe.skip)('the one statement on postgres', () => {
  let db: TestDatabase;
  let store: KnexDeploymentStore;

  withStoreOn('postgres', (d, s) => {
    db = d;
    store = s;
  });

  it('writes a batch in one statement, without BEGIN/COMMIT; a retried one reads the stored rows back', async () => {
    const batch = [deployment('s1', '1.0.0', 1, 'Path'), deployment('s2', '1.0.0', 2, 'Path')];
    const { sql } = await statementsOf(db.knex, () => store.record(batch));
    expect(sql).toHaveLength(1);
    expect(sql[0]).toMatch(/json_to_recordset\(\$1::json\)/);
    // Retried: the statement, then the read back by uid (nothing inserted).
    const again = await statementsOf(db.knex, () => store.record(batch));
    expect(again.sql).toHaveLength(2);
    expect(again.sql[1]).toMatch(/^select \* from "package_deployments" where "uid" in/);
  });

  it('a batch larger than one statement takes the transaction (all or nothing)', async () => {
    const batch = Array.from({ length: ONE_STATEMENT_MAX_ROWS + 1 }, (_, i) => deployment(`big${i % 7}`, '1.0.0', i, 'Big'));
    const { result, sql } = await statementsOf(db.knex, () => store.record(batch));
    expect(sql[0]).toMatch(/^begin/i);
    expect(sql.some((s) => /json_to_recordset/.test(s))).toBe(false);
    expect(result.map((r) => r.uid)).toEqual(batch.map((d) => d.uid));
    expect((await currentOf(db.knex, 'Big')).length).toBe(7);
  });

  it('with webhook targets, writes the intent in the same statement, as the transaction path would', async () => {
    const hooked = createKnexStore({ knex: db.knex });
    const secret = `whsec_${Buffer.alloc(24, 7).toString('base64')}`;
    // One target wants both events on every feed, one only removals, one another feed: pairs by record, then
    // by target (the order intentFor gives them on the transaction path).
    await hooked.addWebhookTarget({ name: 'os-all', url: 'http://127.0.0.1:9/hook', secret, events: ['deployment.created', 'deployment.removed'] }, { allowPrivateTargets: true });
    await hooked.addWebhookTarget({ name: 'os-removals', url: 'http://127.0.0.1:9/hook', secret, events: ['deployment.removed'] }, { allowPrivateTargets: true });
    await hooked.addWebhookTarget({ name: 'os-other', url: 'http://127.0.0.1:9/hook', secret, feeds: ['Other'] }, { allowPrivateTargets: true });
    const intents = async () => ((await db.knex(WEBHOOK_INTENTS_TABLE).orderBy('id')) as Array<{ pairs: string; min_record_id: string | number; max_record_id: string | number }>);
    const before = (await intents()).length;
    try {
      const batch = [deployment('w1', '1.0.0', 1, 'Hooked'), deployment('w2', '1.0.0', 2, 'Hooked', { removed: true }), deployment('w3', '1.0.1', 3, 'Hooked')];
      const { result, sql } = await statementsOf(db.knex, () => hooked.record(batch));
      expect(sql).toHaveLength(1);
      expect(sql[0]).toMatch(/^with ins as/);
      expect(sql[0]).toContain(`intent as (insert into "${WEBHOOK_INTENTS_TABLE}"`);
      const written = (await intents()).slice(before);
      expect(written).toHaveLength(1);
      const [a, b, c] = result.map((r) => r.id);
      expect(JSON.parse(written[0]!.pairs)).toEqual([[a, 'os-all'], [b, 'os-all'], [b, 'os-removals'], [c, 'os-all']]);
      expect([Number(written[0]!.min_record_id), Number(written[0]!.max_record_id)]).toEqual([Number(a), Number(c)]);
      // Written again (a retried batch): nothing inserted, so no intent.
      const again = await statementsOf(db.knex, () => hooked.record(batch));
      expect(again.result.map((r) => r.id)).toEqual([a, b, c]);
      expect((await intents()).slice(before)).toHaveLength(1);
      // A feed no target wants: the records, no intent.
      await hooked.removeWebhookTarget('os-all');
      await hooked.removeWebhookTarget('os-removals');
      await hooked.record([deployment('w4', '1.0.0', 4, 'Hooked')]);
      expect((await intents()).slice(before)).toHaveLength(1);
    } finally {
      for (const name of ['os-all', 'os-removals', 'os-other']) await hooked.removeWebhookTarget(name).catch(() => undefined);
    }
  });

  it('inserts in the batch\'s order, and the current rows in code point order of their keys', async () => {
    // Targets whose UTF-16 order differs from their code point order (U+FFFF against U+1F600).
    const targets = ['\u{1F600}', 'b', '\uffff', 'a', 'A', '\u00e9'];
    const batch = targets.map((t, i) => deployment(t, '1.0.0', 100 - i, 'Order'));
    const rows: DeploymentRow[] = batch.map((d) => toRow(d, '~', ''));
    const out = await recordInOneStatement(db.knex, rows);
    const ids = out.rows.map((r) => Number(r.id));
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    // A fresh table appends rows in insertion order: ctid order is the order the upsert took the keys in.
    const inserted = ((await db.knex.raw('select target from ?? where package_name = ? order by ctid', [CURRENT_TABLE, 'Order'])) as { rows: Array<{ target: string }> }).rows.map((r) => r.target);
    const expected = latestPerTarget(out.rows).map((c) => c.target);
    expect(inserted).toEqual(expected);
    expect(expected).toEqual([...targets].sort(codePointOrder));
  });

  it('two writers of the same uids in opposite orders both answer every row, stored once', async () => {
    const other = createKnexStore({ knex: db.knex });
    const batch = Array.from({ length: 200 }, (_, i) => deployment(`c${i % 13}`, `1.0.${i}`, i % 17, 'Race'));
    // Opposite orders deadlock on the uid index now and then (detected after deadlock_timeout, 1 s): the
    // statement is rolled back whole and run again.
    for (let round = 0; round < 3; round++) {
      const mine = batch.map((d) => ({ ...d, uid: `${d.uid}-${round}` }));
      const [a, b] = await Promise.all([store.record(mine), other.record([...mine].reverse())]);
      expect(b).toEqual([...a].reverse());
    }
    expect(Number(((await db.knex(DEPLOYMENTS_TABLE).where('package_name', 'Race').count({ n: '*' })) as Array<{ n: unknown }>)[0]!.n)).toBe(600);
    const table = (await db.knex(CURRENT_TABLE).where('package_name', 'Race').select('target', 'record_id')) as Array<{ target: string; record_id: string }>;
    const latest = (await db.knex.raw(
      'select distinct on (target) target, id from ?? where package_name = ? order by target, deployed_at desc, id desc',
      [DEPLOYMENTS_TABLE, 'Race'],
    )) as { rows: Array<{ target: string; id: string }> };
    expect(new Map(table.map((r) => [r.target, String(r.record_id)]))).toEqual(new Map(latest.rows.map((r) => [r.target, String(r.id)])));
  });
});
