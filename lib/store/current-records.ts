/**
 * The current-records table (migration 004): each target's latest record per (feed, group, package,
 * target), by `deployed_at` then id, removals included. It changes only in the transaction that changes the
 * records: a write upserts the latest of its new rows per target (replacing the stored one only when the new
 * record is later), and a delete that takes a target's current record away puts the previous one back.
 * Reads of "running now" (queries.ts) then scan about one row per target instead of the history.
 */
import type { Knex } from 'knex';
import { isMysql, isSqlite } from '../knex/dialect';
import type { DeploymentRow } from './rows';
import { CURRENT_TABLE, DEPLOYMENTS_TABLE } from './tables';

/** The table's key: a target of a package. */
export const CURRENT_KEY = ['feed_name', 'group_name', 'package_name', 'target'] as const;
/** Its columns, in the order the upserts bind them. */
export const CURRENT_COLUMNS = [...CURRENT_KEY, 'record_id', 'deployed_at', 'version_key', 'package_key', 'removed'] as const;

export interface CurrentRow {
  feed_name: string;
  group_name: string;
  package_name: string;
  target: string;
  record_id: number;
  deployed_at: string;
  version_key: string;
  package_key: string;
  removed: boolean;
}

type Keyed = Pick<DeploymentRow, 'feed_name' | 'group_name' | 'package_name' | 'target'>;
const keyOf = (r: Keyed) => `${r.feed_name}\u0000${r.group_name}\u0000${r.package_name}\u0000${r.target}`;
const isRemoval = (r: Pick<DeploymentRow, 'removed'>) => r.removed === true || Number(r.removed) === 1;

export function currentRowOf(row: DeploymentRow): CurrentRow {
  return {
    feed_name: row.feed_name,
    group_name: row.group_name,
    package_name: row.package_name,
    target: row.target,
    record_id: Number(row.id),
    deployed_at: row.deployed_at,
    version_key: row.version_key ?? '~',
    package_key: row.package_key ?? '',
    removed: isRemoval(row),
  };
}

/** (date, id) order: is `a` later than `b`? */
const later = (a: CurrentRow, b: CurrentRow) => a.deployed_at > b.deployed_at || (a.deployed_at === b.deployed_at && a.record_id > b.record_id);

/**
 * Code point order (UTF-8 byte order: PostgreSQL's `COLLATE "C"`, MySQL's utf8mb4_bin), where JavaScript's
 * default sort compares UTF-16 code units: the two differ when a character above U+FFFF (a surrogate pair)
 * meets one from U+E000 to U+FFFF. PostgreSQL's one-statement write (pg-one-statement.ts) sorts its keys in
 * SQL; this order takes the same locks in the same order.
 */
export function codePointOrder(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i === n) return a.length - b.length;
  // Surrogates (D800-DFFF) move above E000-FFFF: the units then compare as their code points do.
  const up = (c: number) => (c >= 0xd800 ? (c >= 0xe000 ? c - 0x800 : c + 0x2000) : c);
  return up(a.charCodeAt(i)) - up(b.charCodeAt(i));
}

/**
 * The latest of `rows` (stored rows, with ids) per target, sorted by key: one upsert row per key (PostgreSQL
 * refuses a statement that updates a row twice), and every writer takes the keys' locks in the same order
 * (code point order of feed, group, package, target: the NUL that joins them sorts below every character).
 */
export function latestPerTarget(rows: readonly DeploymentRow[]): CurrentRow[] {
  const latest = new Map<string, CurrentRow>();
  for (const row of rows) {
    const c = currentRowOf(row);
    const key = keyOf(c);
    const had = latest.get(key);
    if (!had || later(c, had)) latest.set(key, c);
  }
  return [...latest.keys()].sort(codePointOrder).map((k) => latest.get(k)!);
}

// "The new row is later than the stored one", in each dialect's upsert.
export const LATER_EXCLUDED = 'excluded.deployed_at > c.deployed_at or (excluded.deployed_at = c.deployed_at and excluded.record_id > c.record_id)';
const LATER_MYSQL = '(values(deployed_at) > deployed_at or (values(deployed_at) = deployed_at and values(record_id) > record_id))';

/**
 * The upsert of `n` rows. PostgreSQL and SQLite: `ON CONFLICT ... DO UPDATE ... WHERE <later>`.
 * MySQL/MariaDB: `ON DUPLICATE KEY UPDATE` with `IF(<later>, new, old)` per column; its assignments run left
 * to right, each seeing the columns assigned before it, so `record_id` and `deployed_at` come last: the
 * other columns test the old (date, id); `record_id` tests the old date and old id; `deployed_at` may see
 * the new id, but then either its date is later (still true) or equal (nothing to change).
 */
export function upsertCurrentSql(mysql: boolean, n: number, table: string): string {
  const tuple = `(${CURRENT_COLUMNS.map(() => '?').join(', ')})`;
  const values = Array.from({ length: n }, () => tuple).join(', ');
  const columns = CURRENT_COLUMNS.join(', ');
  if (mysql) {
    const set = ['version_key', 'package_key', 'removed', 'record_id', 'deployed_at'].map((c) => `${c} = if(${LATER_MYSQL}, values(${c}), ${c})`).join(', ');
    return `insert into ${table} (${columns}) values ${values} on duplicate key update ${set}`;
  }
  const set = CURRENT_COLUMNS.slice(CURRENT_KEY.length).map((c) => `${c} = excluded.${c}`).join(', ');
  return `insert into ${table} as c (${columns}) values ${values} on conflict (${CURRENT_KEY.join(', ')}) do update set ${set} where ${LATER_EXCLUDED}`;
}

/** Rows per upsert statement (9 parameters a row: under every database's limit). */
const chunkOf = (knex: Knex) => (isSqlite(knex) ? 500 : 1000);

/**
 * Makes the current table reflect newly inserted `rows` (only rows this write inserted: a retried batch
 * whose rows were already stored changes nothing). Run it in the transaction that inserted them.
 */
export async function upsertCurrent(trx: Knex | Knex.Transaction, inserted: readonly DeploymentRow[]): Promise<void> {
  const rows = latestPerTarget(inserted);
  const size = chunkOf(trx as Knex);
  for (let i = 0; i < rows.length; i += size) {
    const part = rows.slice(i, i + size);
    const bindings = part.flatMap((r) => CURRENT_COLUMNS.map((c) => r[c]));
    await trx.raw(upsertCurrentSql(isMysql(trx as Knex), part.length, '??'), [CURRENT_TABLE, ...bindings]);
  }
}

/** A deleted record: its id and its target. */
export type DeletedRow = Keyed & { id: number | string };

/**
 * After `deleted` records were deleted (in this transaction): a target whose current record was among
 * them gets its latest remaining record as current, or no row when none remains. (Purge never deletes a
 * current record; a delete by id can.) The updates name the record they replace, so a writer that made a
 * later record current meanwhile wins.
 */
export async function repairCurrent(trx: Knex.Transaction, deleted: readonly DeletedRow[]): Promise<void> {
  if (deleted.length === 0) return;
  const ids = new Set(deleted.map((r) => Number(r.id)));
  const keys = new Map(deleted.map((r) => [keyOf(r), r] as const));
  const hits: CurrentRow[] = [];
  const list = [...keys.values()];
  // A few keys per statement: PK lookups, without row values (SQLite takes them only from a subquery).
  for (let i = 0; i < list.length; i += 50) {
    const q = trx(CURRENT_TABLE).select(...CURRENT_COLUMNS).where((w) => {
      for (const k of list.slice(i, i + 50)) w.orWhere({ feed_name: k.feed_name, group_name: k.group_name, package_name: k.package_name, target: k.target });
    });
    for (const c of (await q) as CurrentRow[]) if (ids.has(Number(c.record_id))) hits.push(c);
  }
  for (const c of hits) {
    const key = { feed_name: c.feed_name, group_name: c.group_name, package_name: c.package_name, target: c.target };
    const latest = (await trx(DEPLOYMENTS_TABLE)
      .select('id', ...CURRENT_KEY, 'deployed_at', 'version_key', 'package_key', 'removed')
      .where(key)
      .orderBy([{ column: 'deployed_at', order: 'desc' }, { column: 'id', order: 'desc' }])
      .first()) as DeploymentRow | undefined;
    const mine = trx(CURRENT_TABLE).where(key).where('record_id', c.record_id);
    if (latest) {
      const { record_id, deployed_at, version_key, package_key, removed } = currentRowOf(latest);
      await mine.update({ record_id, deployed_at, version_key, package_key, removed });
    } else {
      await mine.delete();
    }
  }
}

/**
 * Locks a target's current row for the rest of the transaction (PostgreSQL, MySQL/MariaDB; SQLite has one
 * writer): a writer's upsert on that target waits, so a delete computes the previous record with every
 * record committed before it in view.
 */
export async function lockCurrent(trx: Knex.Transaction, key: Keyed): Promise<void> {
  if (isSqlite(trx as unknown as Knex)) return;
  await trx(CURRENT_TABLE).select('record_id').where({ feed_name: key.feed_name, group_name: key.group_name, package_name: key.package_name, target: key.target }).forUpdate();
}

/**
 * Fills the current table from the records table: for each target, its record with no later record on
 * the same target (the definition "running now" always had). Migration 004 runs it; so does
 * {@link rebuildCurrentRecords}.
 */
export async function fillCurrentRecords(knex: Knex | Knex.Transaction): Promise<void> {
  const same = CURRENT_KEY.map((c) => `n.${c} = d.${c}`).join(' and ');
  await knex.raw(
    `insert into ?? (${CURRENT_COLUMNS.join(', ')}) ` +
      `select d.feed_name, d.group_name, d.package_name, d.target, d.id, d.deployed_at, d.version_key, d.package_key, d.removed from ?? d ` +
      `where not exists (select 1 from ?? n where ${same} and (n.deployed_at > d.deployed_at or (n.deployed_at = d.deployed_at and n.id > d.id)))`,
    [CURRENT_TABLE, DEPLOYMENTS_TABLE, DEPLOYMENTS_TABLE],
  );
}

/**
 * Rebuilds the current table from the records table, in one transaction. Needed only after writing to the
 * records table other than through the store (a bulk load, a hand-made fix): the store keeps it itself.
 */
export async function rebuildCurrentRecords(knex: Knex): Promise<void> {
  await knex.transaction(async (trx) => {
    await trx(CURRENT_TABLE).delete();
    await fillCurrentRecords(trx);
  });
}
