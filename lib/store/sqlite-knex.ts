/** The SQLite knex the library creates (embedded store, API-key store, CLI): WAL, full sync, busy timeout, knex's messages to a logger. */
import { knex as createKnex, type Knex } from 'knex';
import { knexLog } from '../knex/log';
import type { Logger } from '../types';
import { DEFAULT_STORE_TIMEOUTS } from './timeouts';

/** Throws, saying what to install, when the embedded SQLite store's driver is missing. */
export function requireBetterSqlite3(): void {
  try {
    require.resolve('better-sqlite3');
  } catch {
    throw new Error('createKnexStore(): the embedded SQLite store needs the better-sqlite3 package. Run `npm install better-sqlite3`, or pass `{ knex }` for another database.');
  }
}

export const DEFAULT_SQLITE_FILE = 'package-deployments.sqlite';

/** A knex instance on an SQLite file with the settings the store wants (WAL, full sync, busy timeout). */
export function createSqliteKnex(filename: string = DEFAULT_SQLITE_FILE, settings: { busyTimeoutMs?: number; logger?: Logger } = {}): Knex {
  const busyTimeoutMs = Math.max(0, Math.floor(settings.busyTimeoutMs ?? DEFAULT_STORE_TIMEOUTS.acquireMs));
  requireBetterSqlite3();
  return createKnex({
    client: 'better-sqlite3',
    connection: { filename },
    // knex's own messages ("Acquire connection error"...) go to the logger option, not to the console.
    ...(settings.logger ? { log: knexLog(settings.logger) } : {}),
    useNullAsDefault: true,
    acquireConnectionTimeout: busyTimeoutMs + DEFAULT_STORE_TIMEOUTS.statementMs,
    pool: {
      min: 1,
      max: 1,
      afterCreate(conn: { pragma(sql: string): unknown }, done: (err: Error | null, conn: unknown) => void) {
        try {
          // First: the switch to WAL below needs the write lock, which another process (migrating the
          // same file, say) may hold for a moment; wait for it instead of failing "database is locked".
          conn.pragma(`busy_timeout = ${busyTimeoutMs}`);
          conn.pragma('journal_mode = WAL');
          // FULL: a 200 means the record survives a power cut, not just a process crash.
          conn.pragma('synchronous = FULL');
          done(null, conn);
        } catch (err) {
          done(err as Error, conn);
        }
      },
    },
  });
}
