/**
 * Inserts on the embedded SQLite file through ONE prepared statement, reused for every row of every batch
 * (a CPU profile of the record endpoint showed knex building and preparing a new multi-row INSERT for each
 * batch), with one prepared upsert of the target's current record per row, inside one transaction per
 * batch: any batch size, all rows or none. Its own better-sqlite3
 * connection, with the store's durability setting (WAL, `synchronous = FULL`: a 200 survives a power cut).
 */
import { CURRENT_TABLE, DEPLOYMENTS_TABLE, WEBHOOK_INTENTS_TABLE } from '../tables';
import { ROW_COLUMNS, type DeploymentRow } from '../rows';
import type { Inserted } from '../insert';
import { CURRENT_COLUMNS, latestPerTarget, upsertCurrentSql } from '../current-records';


interface Statement { run(params: unknown): { changes: number; lastInsertRowid: number | bigint }; get(params: unknown): unknown }
interface Connection {
  pragma(sql: string): unknown;
  prepare(sql: string): Statement;
  transaction<T extends (...args: never[]) => unknown>(fn: T): T;
  close(): void;
}

/** A webhook intent row (lib/webhooks/outbox-rows.ts), written in the rows' transaction. */
export interface IntentRow { pairs: string; min_record_id: number; max_record_id: number; created_at: string }

export interface SqliteInserter {
  /**
   * Every row as stored, in order, and whether this call inserted it: inserted ones with their new id,
   * ones whose uid was stored already as they are. `intentOf` (webhooks) gets the rows this call
   * inserted; its intent is written in the same transaction.
   */
  insert(rows: DeploymentRow[], intentOf?: (inserted: DeploymentRow[]) => IntentRow | undefined): Inserted;
  close(): void;
}

export function createSqliteInserter(filename: string, busyTimeoutMs: number): SqliteInserter {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Database = require('better-sqlite3') as new (file: string) => Connection;
  const conn = new Database(filename);
  conn.pragma('journal_mode = WAL');
  conn.pragma('synchronous = FULL');
  conn.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
  // A row whose uid is already stored (a retried batch) is skipped and read back: stored once (insert.ts).
  // Positional parameters: binding an array is cheaper than looking up 15 names in an object per row.
  const statement = conn.prepare(`INSERT INTO "${DEPLOYMENTS_TABLE}" (${ROW_COLUMNS.map((c) => `"${c}"`).join(', ')}) VALUES (${ROW_COLUMNS.map(() => '?').join(', ')}) ON CONFLICT ("uid") DO NOTHING`);
  // The latest inserted row of each target upserts its current record, in the same transaction; the upsert
  // keeps the stored one when it is later (current-records.ts). One upsert per target, not per row.
  const upsertCurrent = conn.prepare(upsertCurrentSql(false, 1, `"${CURRENT_TABLE}"`));
  const byUid = conn.prepare(`SELECT * FROM "${DEPLOYMENTS_TABLE}" WHERE "uid" = ?`);
  let intentStatement: Statement | undefined;
  const insertAll = conn.transaction((rows: DeploymentRow[], intentOf?: (inserted: DeploymentRow[]) => IntentRow | undefined) => {
    const inserted: DeploymentRow[] = [];
    const stored: DeploymentRow[] = new Array<DeploymentRow>(rows.length);
    const isFresh: boolean[] = new Array<boolean>(rows.length);
    const values: unknown[] = new Array<unknown>(ROW_COLUMNS.length);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      for (let c = 0; c < ROW_COLUMNS.length; c++) {
        const column = ROW_COLUMNS[c]!;
        values[c] = column === 'removed' ? (row.removed ? 1 : 0) : (row[column] ?? null);
      }
      const result = statement.run(values);
      if (result.changes === 1) {
        const fresh = { ...row, id: Number(result.lastInsertRowid) };
        inserted.push(fresh);
        stored[i] = fresh;
        isFresh[i] = true;
        continue;
      }
      const existing = byUid.get(row.uid) as DeploymentRow | undefined;
      if (!existing) throw new Error(`The record with uid ${row.uid} was neither inserted nor found; it is not stored.`);
      stored[i] = { ...existing, id: Number(existing.id) };
      isFresh[i] = false;
    }
    for (const current of latestPerTarget(inserted)) {
      upsertCurrent.run(CURRENT_COLUMNS.map((c) => (c === 'removed' ? (current.removed ? 1 : 0) : current[c])));
    }
    const intent = inserted.length > 0 ? intentOf?.(inserted) : undefined;
    if (intent) {
      intentStatement ??= conn.prepare(`INSERT INTO "${WEBHOOK_INTENTS_TABLE}" ("pairs", "min_record_id", "max_record_id", "created_at") VALUES (@pairs, @min_record_id, @max_record_id, @created_at)`);
      intentStatement.run(intent);
    }
    return { rows: stored, inserted: isFresh };
  });
  return {
    insert: (rows, intentOf) => insertAll(rows, intentOf),
    close: () => conn.close(),
  };
}
