/**
 * The default store: any database knex speaks, through the host's knex instance or an embedded SQLite
 * file (better-sqlite3, WAL mode) when given none.
 */
import { knex as createKnex, type Knex } from 'knex';
import { once } from '../util/once';
import { isSqlite } from '../knex/dialect';
import type { DeploymentPage, DeploymentQuery, DeploymentRecord, DeploymentStore, IdempotencyClaim, IdempotencyOutcome, IdempotencyState, NewDeployment, PackageRef, PurgePolicy, PurgeResult } from '../types';
import { migrateDeploymentStore } from './migrations';
import { countRows, listPage, streamRows } from './queries';
import { knexIdempotency } from './idempotency';
import { insertOnce, retryDeadlocksOf } from './insert';
import { purgeRecords } from './purge';
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
  current(query: DeploymentQuery & PackageRef): Promise<DeploymentPage>;
  stream(query: DeploymentQuery): AsyncGenerator<DeploymentRecord>;
  count(query: DeploymentQuery): Promise<number>;
  claimIdempotencyKey(claim: IdempotencyClaim): Promise<IdempotencyState>;
  settleIdempotencyKey(id: string, claim: string, outcome: IdempotencyOutcome | null): Promise<void>;
  purge(policy: PurgePolicy): Promise<PurgeResult>;
  getRecord(id: string): Promise<DeploymentRecord | undefined>;
  deleteRecord(id: string): Promise<DeploymentRecord | undefined>;
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

  async function prepare(): Promise<void> {
    if (options.migrate !== false) await migrateDeploymentStore(db);
  }

  // On failure (database down at start) the attempt is forgotten, so the next call tries again.
  const init = once(prepare);
  const keys = knexIdempotency(db);

  /** Rows per INSERT: SQLite's compound SELECT stops at 500 terms; 13 values a row stay under every parameter limit. */
  const chunkSize = isSqlite(db) ? 500 : 1000;

  return {
    knex: db,
    init,

    async record(deployments: readonly NewDeployment[]): Promise<DeploymentRecord[]> {
      if (deployments.length === 0) return [];
      await init();
      const rows = deployments.map(toRow);
      // One multi-row INSERT is atomic on its own: it commits all its rows or none. Sending it without
      // BEGIN/COMMIT saves two round trips per batch (group commit's throughput on PostgreSQL is bounded
      // by them). It skips rows whose uid is already stored (see insert.ts), so writing the same batch
      // again after a failure whose outcome is unknown stores nothing twice. More rows than one INSERT
      // takes: several statements, so one transaction around them.
      if (rows.length <= chunkSize) return (await insertOnce(db, rows)).map(fromRow);
      const stored = await retryDeadlocksOf(() => db.transaction(async (trx) => {
        const all: DeploymentRow[] = [];
        for (let i = 0; i < rows.length; i += chunkSize) all.push(...(await insertOnce(trx, rows.slice(i, i + chunkSize), { retry: false })));
        return all;
      }));
      return stored.map(fromRow);
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

    async claimIdempotencyKey(claim: IdempotencyClaim): Promise<IdempotencyState> {
      await init();
      return keys.claim(claim);
    },

    async settleIdempotencyKey(id: string, claim: string, outcome: IdempotencyOutcome | null): Promise<void> {
      await init();
      return keys.settle(id, claim, outcome);
    },

    async purge(policy: PurgePolicy): Promise<PurgeResult> {
      await init();
      return purgeRecords(db, policy);
    },

    async getRecord(id: string): Promise<DeploymentRecord | undefined> {
      await init();
      if (!/^\d{1,18}$/.test(id)) return undefined;
      const row = (await db(DEPLOYMENTS_TABLE).where('id', Number(id)).first()) as DeploymentRow | undefined;
      return row ? fromRow(row) : undefined;
    },

    async deleteRecord(id: string): Promise<DeploymentRecord | undefined> {
      await init();
      if (!/^\d{1,18}$/.test(id)) return undefined;
      const row = (await db(DEPLOYMENTS_TABLE).where('id', Number(id)).first()) as DeploymentRow | undefined;
      if (!row) return undefined;
      const n = Number(await db(DEPLOYMENTS_TABLE).where('id', Number(id)).delete());
      return n > 0 ? fromRow(row) : undefined;
    },

    async close(): Promise<void> {
      if (owned) await db.destroy();
    },
  };
}
