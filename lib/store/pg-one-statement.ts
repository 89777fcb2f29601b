/**
 * A batch of records on PostgreSQL in ONE statement: the records' idempotent INSERT, the upsert of each
 * target's current record (current-records.ts) and, when webhook targets want the batch, its webhook intent,
 * as writable CTEs over the rows sent as one JSON parameter. The transaction path (BEGIN, INSERT, upsert,
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
import { ROW_COLUMNS, type DeploymentRow } from './rows';
import { firstByUid, inInputOrder, retryDeadlocksOf, type Inserted } from './insert';
import { CURRENT_COLUMNS, CURRENT_KEY, LATER_EXCLUDED } from './current-records';
import { CURRENT_TABLE, DEPLOYMENTS_TABLE, WEBHOOK_INTENTS_TABLE } from './tables';

/** Rows per statement: the JSON parameter of 1000 rows is some 400 kB. A larger batch takes the transaction path. */
export const ONE_STATEMENT_MAX_ROWS = 1000;

/**
 * Each of the records' columns (`ROW_COLUMNS`) as `json_to_recordset` reads it: text, checked against the
 * column's width by the INSERT's assignment (a value too long fails the statement, as a bound parameter
 * does), and given the column's collation (version_key's "C") by the column itself.
 */
const typeOf = (c: string) => (c === 'removed' ? 'boolean' : 'text');
// The optional fields of a row, as the table's defaults have them (JSON.stringify leaves undefined out).
const valueOf = (c: string) => ({ removed: 'coalesce(x.removed, false)', version_key: `coalesce(x.version_key, '~')`, package_key: `coalesce(x.package_key, '')` })[c] ?? `x.${c}`;

const byKeyC = CURRENT_KEY.map((c) => `${c} collate "C"`).join(', ');
const SET = CURRENT_COLUMNS.slice(CURRENT_KEY.length).map((c) => `${c} = excluded.${c}`).join(', ');

/** The two writable CTEs of every variant: the records' INSERT (`ins`) and the current-records upsert. */
const RECORDS_AND_CURRENT =
  `with ins as (` +
  `insert into ?? (${ROW_COLUMNS.join(', ')}) ` +
  `select ${ROW_COLUMNS.map(valueOf).join(', ')} ` +
  `from rows from (json_to_recordset(?::json) as (${ROW_COLUMNS.map((c) => `${c} ${typeOf(c)}`).join(', ')})) with ordinality as x ` +
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
  `)`;

/**
 * The statement, with three knex bindings: the records table (`??`), the JSON rows (`?`, sent as the
 * query's one parameter, never pasted into the text, so a `?` in a value stays a value), the current table.
 */
export const ONE_STATEMENT_SQL = `${RECORDS_AND_CURRENT} select id, uid from ins`;

/**
 * The same with the batch's webhook intent (lib/webhooks/outbox-intents.ts) as a third CTE, so that the
 * promise of deliveries commits with the records, as in the transaction path. Its pairs are the inserted
 * records joined with `wants` (which target wants which feed's deployments or removals, decided in
 * JavaScript by `targetWants` before the statement, since only the ids are unknown until the INSERT), in
 * the order `intentFor` gives them: by record id, then by target. No pair (every row already stored, or no
 * target wants them): no intent. Five more bindings: the JSON wants, the intents table, the created_at.
 */
export const ONE_STATEMENT_WITH_INTENT_SQL =
  `${RECORDS_AND_CURRENT}, wants as (` +
  `select * from json_to_recordset(?::json) as w(feed_name text, removed boolean, target text, ord int)` +
  `), intent as (` +
  `insert into ?? (pairs, min_record_id, max_record_id, created_at) ` +
  `select json_agg(json_build_array(ins.id::text, w.target) order by ins.id, w.ord)::text, (select min(id) from ins), (select max(id) from ins), ? ` +
  `from ins join wants w on w.feed_name = ins.feed_name and w.removed = ins.removed ` +
  `having count(*) > 0` +
  `) select id, uid from ins`;

/** Which target wants the records of which feed, as deployments (`removed: false`) or removals; `ord` keeps the targets' order. */
export interface WebhookWant {
  feed_name: string;
  removed: boolean;
  target: string;
  ord: number;
}

/** The webhook intent to write with the records: the wants, and the intents table's created_at. */
export interface OneStatementIntent {
  wants: readonly WebhookWant[];
  createdAt: string;
}

/**
 * Writes `rows` (at most {@link ONE_STATEMENT_MAX_ROWS}, each with a uid) and their targets' current
 * records in one autocommit statement on `db` (a PostgreSQL knex, not a transaction). Answers as
 * `insertOnce` does: every row as stored, in order, and whether this write inserted it (the rows given
 * are the caller's own, made for this write: those inserted get their `id` in place). A deadlock (two
 * writers inserting the same uids in different orders) rolls the statement back whole: it is run again.
 */
export async function recordInOneStatement(db: Knex, rows: readonly DeploymentRow[], intent?: OneStatementIntent): Promise<Inserted> {
  if (rows.length === 0) return { rows: [], inserted: [] };
  if (rows.length > ONE_STATEMENT_MAX_ROWS) throw new RangeError(`recordInOneStatement: at most ${ONE_STATEMENT_MAX_ROWS} rows a statement (got ${rows.length}).`);
  // A string, not the array: pg would send an array as a PostgreSQL array literal.
  const json = JSON.stringify(rows);
  const query = intent === undefined || intent.wants.length === 0
    ? () => db.raw(ONE_STATEMENT_SQL, [DEPLOYMENTS_TABLE, json, CURRENT_TABLE])
    : () => db.raw(ONE_STATEMENT_WITH_INTENT_SQL, [DEPLOYMENTS_TABLE, json, CURRENT_TABLE, JSON.stringify(intent.wants), WEBHOOK_INTENTS_TABLE, intent.createdAt]);
  const result = (await retryDeadlocksOf(query)) as { rows: Array<{ id: string | number; uid: string }> };
  // Usually every row was inserted, and RETURNING gave them in the batch's order: no lookups needed.
  // The rows are the caller's own (made for this write by toRow): each gets its id in place.
  const answered = result.rows;
  let inOrder = answered.length === rows.length;
  for (let i = 0; inOrder && i < rows.length; i++) inOrder = answered[i]!.uid === rows[i]!.uid;
  if (inOrder) {
    const inserted = new Array<boolean>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      (rows[i] as DeploymentRow).id = Number(answered[i]!.id);
      inserted[i] = true;
    }
    return { rows: rows as DeploymentRow[], inserted };
  }
  const first = firstByUid(rows);
  const stored = new Map<string, DeploymentRow>();
  const fresh = new Set<string>();
  for (const r of result.rows) {
    stored.set(r.uid, { ...first.get(r.uid)!, id: Number(r.id) });
    fresh.add(r.uid);
  }
  return inInputOrder(db, rows, stored, fresh);
}
