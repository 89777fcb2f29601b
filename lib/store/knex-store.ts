/**
 * The default store: any database knex speaks, through the host's knex instance or an embedded SQLite
 * file (better-sqlite3, WAL mode) when given none.
 */
import { knex as createKnex, type Knex } from 'knex';
import { DeploymentError } from '../errors';
import { once } from '../once';
import { isMysql } from './dialect';
import type { DeploymentPage, DeploymentQuery, DeploymentRecord, DeploymentStore, NewDeployment } from '../types';
import { decodeCursor, encodeCursor } from './cursor';
import { migrateDeploymentStore } from './migrations';
import { fromRow, toRow, type DeploymentRow } from './rows';
import { DEPLOYMENTS_TABLE } from './tables';

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

/** The knex store: a {@link DeploymentStore} plus the knex instance it uses. */
export interface KnexDeploymentStore extends DeploymentStore {
  readonly knex: Knex;
  init(): Promise<void>;
  close(): Promise<void>;
}

export const DEFAULT_SQLITE_FILE = 'package-deployments.sqlite';
export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

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
          conn.pragma('journal_mode = WAL');
          // FULL: a 200 means the record survives a power cut, not just a process crash.
          conn.pragma('synchronous = FULL');
          conn.pragma('busy_timeout = 5000');
          done(null, conn);
        } catch (err) {
          done(err as Error, conn);
        }
      },
    },
  });
}

/** Validates the paging and filter values a store is given (the router checks them first too). */
function pageSize(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new DeploymentError(400, 'bad_query', `limit: must be a whole number from 1 to ${MAX_PAGE_SIZE}.`);
  }
  return limit;
}

/** Applies a {@link DeploymentQuery}'s filters (not paging) to a query on the deployments table. */
export function applyFilters(q: Knex.QueryBuilder, query: DeploymentQuery): Knex.QueryBuilder {
  if (query.feedName !== undefined) q.where('feed_name', query.feedName);
  if (query.groupName !== undefined) q.where('group_name', query.groupName);
  if (query.packageName !== undefined) q.where('package_name', query.packageName);
  if (query.version !== undefined) q.where('version', query.version);
  if (query.target !== undefined) q.where('target', query.target);
  if (query.targetPrefix !== undefined && query.targetPrefix !== '') {
    // substr, not LIKE: case-sensitive and free of wildcard escaping on all three databases.
    q.whereRaw('substr(??, 1, ?) = ?', ['target', query.targetPrefix.length, query.targetPrefix]);
  }
  if (query.application !== undefined) q.where('application', query.application);
  if (query.userName !== undefined) q.where('user_name', query.userName);
  if (query.since !== undefined) q.where('deployed_at', '>=', query.since.toISOString());
  if (query.until !== undefined) q.where('deployed_at', '<', query.until.toISOString());
  return q;
}

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

  return {
    knex: db,
    init,

    async record(deployments: readonly NewDeployment[]): Promise<DeploymentRecord[]> {
      if (deployments.length === 0) return [];
      await init();
      const rows = deployments.map(toRow);
      // One multi-row INSERT is atomic on its own: it commits all its rows or none. Sending it without
      // BEGIN/COMMIT saves two round trips per batch (group commit's throughput on PostgreSQL is bounded
      // by them). Only MySQL's "interleaved" id mode needs several statements, so a transaction.
      const ids = mysql && !mysqlConsecutiveIds ? await db.transaction((trx) => insertRows(trx, rows)) : await insertRows(db, rows);
      return rows.map((row, i) => fromRow({ ...row, id: ids[i]! }));
    },

    async list(query: DeploymentQuery): Promise<DeploymentPage> {
      const limit = pageSize(query.limit);
      const cursor = query.cursor !== undefined ? decodeCursor(query.cursor) : undefined;
      await init();
      const q = applyFilters(db(DEPLOYMENTS_TABLE).select('*'), query);
      if (cursor) {
        q.where((w) =>
          w.where('deployed_at', '<', cursor.date).orWhere((x) => x.where('deployed_at', cursor.date).andWhere('id', '<', cursor.id)),
        );
      }
      const rows = (await q.orderBy([{ column: 'deployed_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(limit + 1)) as DeploymentRow[];
      const records = rows.slice(0, limit).map(fromRow);
      const last = rows.length > limit ? rows[limit - 1] : undefined;
      return {
        records,
        nextCursor: last ? encodeCursor({ date: last.deployed_at, id: Number(last.id) }) : undefined,
      };
    },

    async close(): Promise<void> {
      if (owned) await db.destroy();
    },
  };
}
