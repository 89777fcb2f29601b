/**
 * A batch of records on PostgreSQL in ONE statement, when no webhook intent has to be written with it:
 * the records' idempotent INSERT and the upsert of each target's current record (current-records.ts) as
 * writable CTEs over the rows sent as one JSON parameter. The transaction path (BEGIN, INSERT, upsert,
 * COMMIT: four round trips through knex) cost about 1.2 ms of this thread's CPU per batch; one statement
 * in autocommit is atomic by itself and costs about 0.55 ms (and some 4.5 µs a record instead of 9).
 *
 * What it keeps of the transaction path, clause by clause:
 * - rows whose uid is already stored are skipped (`ON CONFLICT (uid) DO NOTHING`) and read back by uid
 *   afterwards (insert.ts), only when some are; the same uid twice in the batch stores the first;
 * - ids are given in the batch's order, as the multi-row VALUES gave them: rows are inserted in
 *   ordinality order (below);
 * - the current table gets, per target, the latest inserted row by (deployed_at, id) (`DISTINCT ON`,
 *   `latestPerTarget`), replacing the stored one only when later (the same `WHERE` as `upsertCurrentSql`),
 *   with the keys in code point order, the order `latestPerTarget` gives the other writers.
 *
 * Why the ORDER BYs hold: PostgreSQL runs a data-modifying statement without parallel workers (the manual,
 * "When Can Parallel Query Be Used?"), and its ModifyTable node pulls the rows of its SELECT one at a time,
 * inserting (and taking the row's locks) before pulling the next; so the rows are inserted in the order the
 * SELECT yields them, which its ORDER BY fixes (EXPLAIN shows a Sort or, for the ordinality, a function
 * scan the planner knows is already in that order). The SQL standard promises no such thing; the test
 * "inserts in the batch's order" (__tests__/pg-one-statement.test.ts) checks it on every run.
 */
import type { Knex } from 'knex';
import type { DeploymentRow } from './rows';
import { inInputOrder, retryDeadlocksOf, type Inserted } from './insert';
import { CURRENT_COLUMNS, CURRENT_KEY, LATER_EXCLUDED } from './current-records';
import { CURRENT_TABLE, DEPLOYMENTS_TABLE } from './tables';

/** Rows per statement: the JSON parameter of 1000 rows is some 400 kB. A larger batch takes the transaction path. */
export const ONE_STATEMENT_MAX_ROWS = 1000;

/**
 * The records' columns, each as `json_to_recordset` reads it: text, checked against the column's width by
 * the INSERT's assignment (a value too long fails the statement, as a bound parameter does), and given the
 * column's collation (version_key's "C") by the column itself.
 */
const RECORD_COLUMNS = ['feed_name', 'group_name', 'package_name', 'version', 'application', 'description', 'target', 'user_name', 'url', 'deployed_at', 'received_at', 'uid', 'removed', 'version_key', 'package_key'] as const;
const typeOf = (c: string) => (c === 'removed' ? 'boolean' : 'text');
// The optional fields of a row, as the table's defaults have them (JSON.stringify leaves undefined out).
const valueOf = (c: string) => ({ removed: 'coalesce(x.removed, false)', version_key: `coalesce(x.version_key, '~')`, package_key: `coalesce(x.package_key, '')` })[c] ?? `x.${c}`;

const byKeyC = CURRENT_KEY.map((c) => `${c} collate "C"`).join(', ');
const SET = CURRENT_COLUMNS.slice(CURRENT_KEY.length).map((c) => `${c} = excluded.${c}`).join(', ');

/**
 * The statement, with three knex bindings: the records table (`??`), the JSON rows (`?`, sent as the
 * query's one parameter, never pasted into the text, so a `?` in a value stays a value), the current table.
 */
export const ONE_STATEMENT_SQL =
  `with ins as (` +
  `insert into ?? (${RECORD_COLUMNS.join(', ')}) ` +
  `select ${RECORD_COLUMNS.map(valueOf).join(', ')} ` +
  `from rows from (json_to_recordset(?::json) as (${RECORD_COLUMNS.map((c) => `${c} ${typeOf(c)}`).join(', ')})) with ordinality as x ` +
  `order by x.ordinality ` +
  `on conflict (uid) do nothing ` +
  `returning id, uid, ${[...CURRENT_KEY, 'deployed_at', 'version_key', 'package_key', 'removed'].join(', ')}` +
  `), cur as (` +
  `insert into ?? as c (${CURRENT_COLUMNS.join(', ')}) ` +
  // One row per target: its latest by (deployed_at, id); deployed_at is fixed-width ASCII, so "C" order is
  // JavaScript's. Keys compared in "C" are equal exactly when their bytes are, as in the table's key.
  `select distinct on (${byKeyC}) ${CURRENT_COLUMNS.map((c) => (c === 'record_id' ? 'id' : c)).join(', ')} from ins ` +
  `order by ${byKeyC}, deployed_at collate "C" desc, id desc ` +
  `on conflict (${CURRENT_KEY.join(', ')}) do update set ${SET} where ${LATER_EXCLUDED}` +
  `) select id, uid from ins`;

/**
 * Writes `rows` (at most {@link ONE_STATEMENT_MAX_ROWS}, each with a uid) and their targets' current
 * records in one autocommit statement on `db` (a PostgreSQL knex, not a transaction). Answers as
 * `insertOnce` does: every row as stored, in order, and whether this write inserted it. A deadlock (two
 * writers inserting the same uids in different orders) rolls the statement back whole: it is run again.
 */
export async function recordInOneStatement(db: Knex, rows: readonly DeploymentRow[]): Promise<Inserted> {
  if (rows.length === 0) return { rows: [], inserted: [] };
  if (rows.length > ONE_STATEMENT_MAX_ROWS) throw new RangeError(`recordInOneStatement: at most ${ONE_STATEMENT_MAX_ROWS} rows a statement (got ${rows.length}).`);
  // A string, not the array: pg would send an array as a PostgreSQL array literal.
  const json = JSON.stringify(rows);
  const result = (await retryDeadlocksOf(() => db.raw(ONE_STATEMENT_SQL, [DEPLOYMENTS_TABLE, json, CURRENT_TABLE]))) as { rows: Array<{ id: string | number; uid: string }> };
  // The first row of each uid is the one inserted (a later one with the same uid conflicted with it).
  const first = new Map<string, DeploymentRow>();
  for (const r of rows) if (!first.has(r.uid!)) first.set(r.uid!, r);
  const stored = new Map<string, DeploymentRow>();
  const fresh = new Set<string>();
  for (const r of result.rows) {
    stored.set(r.uid, { ...first.get(r.uid)!, id: Number(r.id) });
    fresh.add(r.uid);
  }
  return inInputOrder(db, rows, stored, fresh);
}
