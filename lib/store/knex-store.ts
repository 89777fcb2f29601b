/**
 * The default store: any database knex speaks, through the host's knex instance or an embedded SQLite
 * file (better-sqlite3, WAL mode) when given none.
 */
import { knex as createKnex, type Knex } from 'knex';
import { once } from '../util/once';
import { isMysql, isSqlite } from '../knex/dialect';
import type { DeploymentPage, DeploymentQuery, DeploymentRecord, DeploymentStore, NewDeployment, PackageRef } from '../types';
import { migrateDeploymentStore } from './migrations';
import { countRows, listPage, streamRows } from './queries';
import { fromRow, toRow, type DeploymentRow } from './rows';
import { DEPLOYMENTS_TABLE } from './tables';
import { createKnexOutbox } from '../webhooks/outbox-store';
import type { WebhookOutboxStore } from '../webhooks/types';

export interface KnexStoreOptions {
  /**
   * A knex instance the host already has (PostgreSQL, MySQL/MariaDB, SQLite). The store never destroys
   * it. Defaults to a new SQLite database in `filename`.
   */
  knex?: Knex;
  /**
   * The SQLite file used when no `knex` is given (`":memory:"` for a throw-away one). Needs the
   * `better-sqlite3` package. Defaults to `"package-deployments.sqlite"` in the working directory.
   */
  filename?: string;
  /** Run the shipped migrations on first use. Defaults to `true`. */
  migrate?: boolean;
}

/** The knex store: a {@link DeploymentStore} plus the knex instance it uses, and its webhook outbox. */
export interface KnexDeploymentStore extends DeploymentStore, WebhookOutboxStore {
  readonly knex: Knex;
  current(query: DeploymentQuery & PackageRef): Promise<DeploymentPage>;
  stream(query: DeploymentQuery): AsyncGenerator<DeploymentRecord>;
  count(query: DeploymentQuery): Promise<number>;
  init(): Promise<void>;
  close(): Promise<void>;
}

export const DEFAULT_SQLITE_FILE = 'package-deployments.sqlite';

/** A knex instance on an SQLite file with the settings the store wants (WAL, full sync, busy timeout). */
export function createSqliteKnex(filename: string = DEFAULT_SQLITE_FILE): Knex {
  try {
    require.resolve('better-sqlite3');
  } catch {
    throw new Error('createKnexStore(): the embedded SQLite store needs the better-sqlite3 package. Run `npm install better-sqlite3`, or pass `{ knex }` for another database.');
  }
  return createKnex({
    client: 'better-sqlite3',
    connection: { filename },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate(conn: { pragma(sql: string): unknown }, done: (err: Error | null, conn: unknown) => void) {
        try {
          // First: the switch to WAL below needs the write lock, which another process (migrating the
          // same file, say) may hold for a moment; wait for it instead of failing "database is locked".
          conn.pragma('busy_timeout = 5000');
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

export { applyFilters, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './queries';

/**
 * Creates the knex store.
 *
 * @example
 * createKnexStore()                                  // SQLite file package-deployments.sqlite
 * createKnexStore({ knex: knex({ client: 'pg', connection: process.env.DATABASE_URL }) })
 */
export function createKnexStore(options: KnexStoreOptions = {}): KnexDeploymentStore {
  if (options.knex !== undefined && typeof (options.knex as unknown as { schema?: unknown }).schema !== 'object') {
    throw new TypeError('createKnexStore({ knex }): `knex` must be a knex instance, as returned by knex({ client, connection }).');
  }
  const owned = options.knex === undefined;
  const db = options.knex ?? createSqliteKnex(options.filename);
  const mysql = isMysql(db);
  // MySQL/MariaDB has no RETURNING; a multi-row INSERT's ids are consecutive from LAST_INSERT_ID()
  // unless innodb_autoinc_lock_mode is 2 ("interleaved"), where rows are inserted one at a time.
  let mysqlConsecutiveIds = false;

  async function prepare(): Promise<void> {
    if (options.migrate !== false) await migrateDeploymentStore(db);
    if (mysql) {
      const [rows] = (await db.raw('SELECT @@innodb_autoinc_lock_mode AS mode')) as [Array<{ mode: number | string }>];
      mysqlConsecutiveIds = Number(rows[0]?.mode) !== 2;
    }
  }

  // On failure (database down at start) the attempt is forgotten, so the next call tries again.
  const init = once(prepare);

  /** Rows per INSERT: SQLite's compound SELECT stops at 500 terms; 11 values a row stay under every parameter limit. */
  const chunkSize = isSqlite(db) ? 500 : 1000;

  async function insertChunked(trx: Knex | Knex.Transaction, rows: DeploymentRow[]): Promise<number[]> {
    const ids: number[] = [];
    for (let i = 0; i < rows.length; i += chunkSize) ids.push(...(await insertRows(trx, rows.slice(i, i + chunkSize))));
    return ids;
  }

  async function insertRows(trx: Knex | Knex.Transaction, rows: DeploymentRow[]): Promise<number[]> {
    if (!mysql) {
      const inserted = (await trx(DEPLOYMENTS_TABLE).insert(rows).returning('id')) as Array<{ id: number | string } | number>;
      return inserted.map((r) => Number(typeof r === 'object' ? r.id : r));
    }
    if (mysqlConsecutiveIds) {
      const [first] = (await trx(DEPLOYMENTS_TABLE).insert(rows)) as number[];
      return rows.map((_, i) => Number(first) + i);
    }
    const ids: number[] = [];
    for (const row of rows) {
      const [id] = (await trx(DEPLOYMENTS_TABLE).insert(row)) as number[];
      ids.push(Number(id));
    }
    return ids;
  }

  // Webhooks: deliveries are written in the records' transaction (lib/webhooks/outbox-store.ts).
  const outbox = createKnexOutbox(db, init);
  const { deliveriesFor, insertDeliveries, activeTargets, ...webhookMethods } = outbox;

  return {
    knex: db,
    init,
    ...webhookMethods,

    async record(deployments: readonly NewDeployment[]): Promise<DeploymentRecord[]> {
      if (deployments.length === 0) return [];
      await init();
      const rows = deployments.map(toRow);
      const targets = await activeTargets();
      if (targets.length > 0) {
        // Some webhook target may want these records: records and their deliveries commit together.
        return db.transaction(async (trx) => {
          const ids = await insertRows(trx, rows);
          const records = rows.map((row, i) => fromRow({ ...row, id: ids[i]! }));
          await insertDeliveries(trx, deliveriesFor(records, targets));
          return records;
        });
      }
      // One multi-row INSERT is atomic on its own: it commits all its rows or none. Sending it without
      // BEGIN/COMMIT saves two round trips per batch (group commit's throughput on PostgreSQL is bounded
      // by them). Only MySQL's "interleaved" id mode needs several statements, so a transaction.
      // More rows than one INSERT takes: several statements, so one transaction around them.
      const single = rows.length <= chunkSize && !(mysql && !mysqlConsecutiveIds);
      const ids = single ? await insertRows(db, rows) : await db.transaction((trx) => insertChunked(trx, rows));
      return rows.map((row, i) => fromRow({ ...row, id: ids[i]! }));
    },

    async list(query: DeploymentQuery): Promise<DeploymentPage> {
      await init();
      return listPage(db, query);
    },

    async current(query: DeploymentQuery & PackageRef): Promise<DeploymentPage> {
      await init();
      return listPage(db, { ...query, current: true });
    },

    async *stream(query: DeploymentQuery): AsyncGenerator<DeploymentRecord> {
      await init();
      yield* streamRows(db, query);
    },

    async count(query: DeploymentQuery): Promise<number> {
      await init();
      return countRows(db, query);
    },

    async close(): Promise<void> {
      if (owned) await db.destroy();
    },
  };
}
