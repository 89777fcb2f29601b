/**
 * Inserts on the embedded SQLite file through ONE prepared statement, reused for every row of every batch
 * (a CPU profile of the record endpoint showed knex building and preparing a new multi-row INSERT for each
 * batch), inside one transaction per batch: any batch size, all rows or none. Its own better-sqlite3
 * connection, with the store's durability setting (WAL, `synchronous = FULL`: a 200 survives a power cut).
 */
import { DEPLOYMENTS_TABLE, WEBHOOK_INTENTS_TABLE } from '../tables';
import type { DeploymentRow } from '../rows';

const COLUMNS = ['feed_name', 'group_name', 'package_name', 'version', 'application', 'description', 'target', 'user_name', 'url', 'deployed_at', 'received_at', 'version_key'] as const;

interface Statement { run(params: unknown): { lastInsertRowid: number | bigint } }
interface Connection {
  pragma(sql: string): unknown;
  prepare(sql: string): Statement;
  transaction<T extends (...args: never[]) => unknown>(fn: T): T;
  close(): void;
}

/** A webhook intent row (lib/webhooks/outbox-store.ts), written in the rows' transaction. */
export interface IntentRow { pairs: string; min_record_id: number; max_record_id: number; created_at: string }

export interface SqliteInserter {
  /** Inserts the rows, and the intent `intentOf(ids)` answers (if any), in one transaction. */
  insert(rows: DeploymentRow[], intentOf?: (ids: number[]) => IntentRow | undefined): number[];
  close(): void;
}

export function createSqliteInserter(filename: string, busyTimeoutMs: number): SqliteInserter {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Database = require('better-sqlite3') as new (file: string) => Connection;
  const conn = new Database(filename);
  conn.pragma('journal_mode = WAL');
  conn.pragma('synchronous = FULL');
  conn.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
  const statement = conn.prepare(`INSERT INTO "${DEPLOYMENTS_TABLE}" (${COLUMNS.map((c) => `"${c}"`).join(', ')}) VALUES (${COLUMNS.map((c) => `@${c}`).join(', ')})`);
  let intentStatement: Statement | undefined;
  const insertAll = conn.transaction((rows: DeploymentRow[], intentOf?: (ids: number[]) => IntentRow | undefined) => {
    const ids = rows.map((row) => Number(statement.run(row).lastInsertRowid));
    const intent = intentOf?.(ids);
    if (intent) {
      intentStatement ??= conn.prepare(`INSERT INTO "${WEBHOOK_INTENTS_TABLE}" ("pairs", "min_record_id", "max_record_id", "created_at") VALUES (@pairs, @min_record_id, @max_record_id, @created_at)`);
      intentStatement.run(intent);
    }
    return ids;
  });
  return {
    insert: (rows, intentOf) => insertAll(rows, intentOf),
    close: () => conn.close(),
  };
}
