/**
 * The idempotent INSERT: every row carries its record's `uid`, and a row whose `uid` is already stored
 * is skipped by the database itself (PostgreSQL and SQLite `ON CONFLICT (uid) DO NOTHING`, MySQL/MariaDB
 * `ON DUPLICATE KEY UPDATE uid = uid`, a no-op). A batch written again after a connection broke as it
 * committed therefore stores nothing twice, from any number of processes. Rows that were already there
 * are read back, so the caller gets every record, in order, with its stored id, and knows which rows
 * this write inserted (only those get webhook deliveries and `deployed` events).
 *
 * (`INSERT IGNORE` is not used on MySQL: it also turns real errors, such as a value too long, into
 * warnings.)
 */
import type { Knex } from 'knex';
import { isMysql } from '../knex/dialect';
import type { DeploymentRow } from './rows';
import { DEPLOYMENTS_TABLE } from './tables';

/** A deadlock: the database rolled the statement back whole, so running it again is safe. */
function isDeadlock(err: unknown): boolean {
  const e = err as { code?: unknown; errno?: unknown };
  return e?.code === 'ER_LOCK_DEADLOCK' || e?.errno === 1213 || e?.code === '40P01';
}

/**
 * Runs an INSERT (or a transaction) again after a deadlock. Two writers inserting the same uids at once
 * can deadlock on MySQL/MariaDB's unique-index locks; the loser's statement is rolled back whole, so it is
 * simply run again (at most 5 times). Inside a transaction, the deadlock aborts the whole transaction:
 * retry the transaction instead (`retry: false` on {@link insertOnce}).
 */
export async function retryDeadlocksOf<T>(run: () => PromiseLike<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      if (!isDeadlock(err) || attempt >= 5) throw err;
      await new Promise((resolve) => setTimeout(resolve, 5 * attempt + Math.random() * 10));
    }
  }
}

/**
 * The first row of each uid in `rows`: the one an INSERT of them all stores (a later row with the same
 * uid conflicts with it), so the one a write answers for that uid.
 */
export function firstByUid(rows: readonly DeploymentRow[]): Map<string, DeploymentRow> {
  const first = new Map<string, DeploymentRow>();
  for (const r of rows) if (!first.has(r.uid!)) first.set(r.uid!, r);
  return first;
}

/** What {@link insertOnce} answers: every row as stored, in order, and whether this write inserted it. */
export interface Inserted {
  rows: DeploymentRow[];
  inserted: boolean[];
}

/**
 * Inserts `rows` (each with a `uid`) in ONE statement, skipping those already stored. Returns every row
 * as stored, in the order given: inserted rows with their new id, the others as the database has them.
 */
export async function insertOnce(db: Knex | Knex.Transaction, rows: readonly DeploymentRow[], options: { retry?: boolean } = {}): Promise<Inserted> {
  if (rows.length === 0) return { rows: [], inserted: [] };
  const retry = options.retry === false ? <T>(run: () => PromiseLike<T>) => Promise.resolve(run()) : retryDeadlocksOf;
  const uids = rows.map((r) => r.uid!);
  const stored = new Map<string, DeploymentRow>();
  const fresh = new Set<string>();
  if (isMysql(db as Knex)) {
    // No RETURNING: the rows already there are looked up first (an indexed lookup), and every id is read
    // back by uid afterwards, whatever innodb_autoinc_lock_mode says about consecutive ids.
    const before = new Set((await db(DEPLOYMENTS_TABLE).whereIn('uid', [...new Set(uids)]).pluck('uid')) as string[]);
    for (const u of uids) if (!before.has(u)) fresh.add(u);
    if (fresh.size > 0) {
      const toInsert = rows.filter((r) => fresh.has(r.uid!));
      await retry(() => db(DEPLOYMENTS_TABLE).insert(toInsert).onConflict('uid').merge(['uid']));
    }
  } else {
    const inserted = (await retry(() => db(DEPLOYMENTS_TABLE).insert(rows as DeploymentRow[]).onConflict('uid').ignore().returning(['id', 'uid']))) as Array<{ id: number | string; uid: string }>;
    const byUid = firstByUid(rows);
    for (const r of inserted) {
      stored.set(r.uid, { ...byUid.get(r.uid)!, id: Number(r.id) });
      fresh.add(r.uid);
    }
  }
  return inInputOrder(db, rows, stored, fresh);
}

/**
 * Every row of `rows` as stored, in their order: `stored` holds the rows the write inserted (by uid, with
 * their ids), `fresh` their uids. The others were stored before (a retried batch, or another writer's
 * committed row the insert skipped) and are read back by uid, in a statement of their own: under READ
 * COMMITTED (or in autocommit) it starts after the insert, so it sees every row the insert's conflict check
 * found committed.
 */
export async function inInputOrder(db: Knex | Knex.Transaction, rows: readonly DeploymentRow[], stored: Map<string, DeploymentRow>, fresh: ReadonlySet<string>): Promise<Inserted> {
  const uids = rows.map((r) => r.uid!);
  const missing = uids.filter((u) => !stored.has(u));
  if (missing.length > 0) {
    const found = (await db(DEPLOYMENTS_TABLE).select('*').whereIn('uid', [...new Set(missing)])) as DeploymentRow[];
    for (const row of found) stored.set(row.uid!, { ...row, id: Number(row.id) });
  }
  const seen = new Set<string>();
  const out: Inserted = { rows: [], inserted: [] };
  for (const row of rows) {
    const hit = stored.get(row.uid!);
    if (!hit) throw new Error(`The record with uid ${row.uid} was neither inserted nor found; it is not stored.`);
    out.rows.push(hit);
    // The same uid twice in one batch: the first is the insert, the second is a duplicate.
    out.inserted.push(fresh.has(row.uid!) && !seen.has(row.uid!));
    seen.add(row.uid!);
  }
  return out;
}
