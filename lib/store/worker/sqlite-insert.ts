/**
 * Inserts on the embedded SQLite file through ONE prepared statement, reused for every row of every batch
 * (a CPU profile of the record endpoint showed knex building and preparing a new multi-row INSERT for each
 * batch), inside one transaction per batch: any batch size, all rows or none. Its own better-sqlite3
 * connection, with the store's durability setting (WAL, `synchronous = FULL`: a 200 survives a power cut).
 */
import { DEPLOYMENTS_TABLE } from '../tables';
import type { DeploymentRow } from '../rows';

const COLUMNS = ['feed_name', 'group_name', 'package_name', 'version', 'application', 'description', 'target', 'user_name', 'url', 'deployed_at', 'received_at', 'version_key', 'package_key'] as const;

interface Statement { run(params: unknown): { lastInsertRowid: number | bigint } }
interface Connection {
  pragma(sql: string): unknown;
  prepare(sql: string): Statement;
  transaction<T extends (...args: never[]) => unknown>(fn: T): T;
  close(): void;
}

export interface SqliteInserter {
  insert(rows: DeploymentRow[]): number[];
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
  const insertAll = conn.transaction((rows: DeploymentRow[]) => rows.map((row) => Number(statement.run(row).lastInsertRowid)));
  return {
    insert: (rows) => insertAll(rows),
    close: () => conn.close(),
  };
}
