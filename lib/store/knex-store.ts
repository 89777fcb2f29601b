/**
 * The default store: any database knex speaks, through the host's knex instance or an embedded SQLite
 * file (better-sqlite3, WAL mode) when given none.
 */
import { knex as createKnex, type Knex } from 'knex';
import { once } from '../util/once';
import { isMysql, isSqlite } from '../knex/dialect';
import type { DeploymentPage, DeploymentQuery, DeploymentRecord, DeploymentStore, KeyInterval, NewDeployment, PackageRef, VersionScheme, VersionSchemeSetting } from '../types';
import { UNKEYED, versionKey } from '../versions/keys';
import { schemeResolver, VERSION_SCHEMES } from '../versions/registry';
import { packageKey } from '../advisories/package-keys';
import { migrateDeploymentStore } from './migrations';
import { countRows, currentByPackageKey, listPage, streamRows, type PackageOfEcosystemQuery } from './queries';
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
  /**
   * The version scheme of each feed, as the router's option of the same name: the store keys each record's
   * version in it when writing (`version_key`), so that ranges are index range scans. Give the store the
   * same setting as the router (the router's default store gets the router's). After changing a feed's
   * scheme, run `store.rebuildVersionKeys({ feedName })`. Defaults to every feed using
   * `defaultVersionScheme`.
   */
  versionSchemes?: Readonly<Record<string, VersionSchemeSetting>> | ((feed: string) => VersionSchemeSetting | undefined);
  /** The scheme of feeds `versionSchemes` does not name. Defaults to `"semver"`. */
  defaultVersionScheme?: VersionSchemeSetting;
}

/** What {@link KnexDeploymentStore.rebuildVersionKeys} is given. */
export interface RebuildVersionKeysOptions {
  /** Only this feed's records (exact name). Defaults to every feed. */
  feedName?: string;
  /** Rows read and updated per transaction. Defaults to 1000. */
  batchSize?: number;
}

/** The knex store: a {@link DeploymentStore} plus the knex instance it uses, and its webhook outbox. */
export interface KnexDeploymentStore extends DeploymentStore, WebhookOutboxStore {
  readonly knex: Knex;
  current(query: DeploymentQuery & PackageRef): Promise<DeploymentPage>;
  stream(query: DeploymentQuery): AsyncGenerator<DeploymentRecord>;
  count(query: DeploymentQuery): Promise<number>;
  /**
   * Recomputes the stored version keys and package keys with the store's current `versionSchemes` (after a
   * feed's scheme changed, or once after upgrading from a version without keys). Resolves to how many rows
   * changed.
   * Safe to run while the store is in use: records written meanwhile are keyed when written.
   */
  rebuildVersionKeys(options?: RebuildVersionKeysOptions): Promise<number>;
  /**
   * Advisory matching: the current record of each target running the package in `feedName` (names
   * compared as the feed's ecosystem compares them: its package key), among versions whose key is in
   * `keys` (or unkeyed). Plain data in and out.
   */
  currentOfPackage(query: PackageOfEcosystemQuery): Promise<DeploymentRecord[]>;
  /** The name of the version scheme the store keys `feedName`'s versions with. */
  versionSchemeOf(feedName: string): string;
  /** The package key the store gives a package of `feedName` (see "Version keys" in the README). */
  packageKeyOf(feedName: string, groupName: string, packageName: string): string;
  /** The version key the store gives `version` in `feedName` ("~" when its scheme cannot key it). */
  versionKeyOf(feedName: string, version: string): string;
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

export { applyFilters, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type PackageOfEcosystemQuery } from './queries';

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

  const schemeFor = schemeResolver(options.versionSchemes, options.defaultVersionScheme);
  const builtIn = (scheme: VersionScheme) => VERSION_SCHEMES[scheme.name] === scheme;
  const keyOf = (feed: string, version: string): string => {
    const scheme = schemeFor(feed);
    return builtIn(scheme) ? versionKey(scheme.name, version) : UNKEYED;
  };
  const packageKeyOf = (feed: string, group: string, name: string): string => packageKey(schemeFor(feed).name, group, name);
  /** The range's key intervals, when the store keys the feed with the scheme that read the range. */
  const keysFor = (query: DeploymentQuery): readonly KeyInterval[] | undefined => {
    const range = query.versionRange;
    if (!range?.keys || query.feedName === undefined) return undefined;
    const scheme = schemeFor(query.feedName);
    return builtIn(scheme) && scheme.name === range.scheme ? range.keys : undefined;
  };

  /** Rows per INSERT: SQLite's compound SELECT stops at 500 terms; 13 values a row stay under every parameter limit. */
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
  const { deliveriesFor, insertDeliveries, hasTargets: _hasTargets, ...webhookMethods } = outbox;

  return {
    knex: db,
    init,
    ...webhookMethods,

    async record(deployments: readonly NewDeployment[]): Promise<DeploymentRecord[]> {
      if (deployments.length === 0) return [];
      await init();
      const rows = deployments.map((d) => toRow(d, keyOf(d.feedName, d.version), packageKeyOf(d.feedName, d.groupName ?? '', d.packageName)));
      if (await outbox.hasTargets()) {
        // Some webhook target may want these records: records and their deliveries commit together.
        return db.transaction(async (trx) => {
          const ids = await insertRows(trx, rows);
          const records = rows.map((row, i) => fromRow({ ...row, id: ids[i]! }));
          await insertDeliveries(trx, await deliveriesFor(records));
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
      return listPage(db, query, keysFor(query));
    },

    async current(query: DeploymentQuery & PackageRef): Promise<DeploymentPage> {
      await init();
      return listPage(db, { ...query, current: true }, keysFor(query));
    },

    async *stream(query: DeploymentQuery): AsyncGenerator<DeploymentRecord> {
      await init();
      yield* streamRows(db, query, keysFor(query));
    },

    async count(query: DeploymentQuery): Promise<number> {
      await init();
      return countRows(db, query, keysFor(query));
    },

    versionKeyOf: keyOf,
    packageKeyOf,

    versionSchemeOf: (feed: string) => schemeFor(feed).name,

    async currentOfPackage(query: PackageOfEcosystemQuery): Promise<DeploymentRecord[]> {
      await init();
      const scheme = schemeFor(query.feedName);
      const keys = builtIn(scheme) && scheme.name === query.scheme ? query.keys : undefined;
      return currentByPackageKey(db, { feedName: query.feedName, packageKey: packageKeyOf(query.feedName, query.groupName, query.packageName), ...(keys ? { keys } : {}) });
    },

    async rebuildVersionKeys(rebuild: RebuildVersionKeysOptions = {}): Promise<number> {
      await init();
      const size = rebuild.batchSize ?? 1000;
      let last = 0;
      let changed = 0;
      for (;;) {
        const q = db(DEPLOYMENTS_TABLE).select('id', 'feed_name', 'group_name', 'package_name', 'version', 'version_key', 'package_key').where('id', '>', last).orderBy('id').limit(size);
        if (rebuild.feedName !== undefined) q.where('feed_name', rebuild.feedName);
        const rows = (await q) as Array<{ id: number | string; feed_name: string; group_name: string; package_name: string; version: string; version_key: string; package_key: string }>;
        const updates = rows
          .map((r) => ({ id: r.id, key: keyOf(r.feed_name, r.version), pkg: packageKeyOf(r.feed_name, r.group_name, r.package_name), r }))
          .filter((u) => u.key !== u.r.version_key || u.pkg !== u.r.package_key);
        if (updates.length > 0) {
          await db.transaction(async (trx) => {
            for (const u of updates) await trx(DEPLOYMENTS_TABLE).where('id', u.id).update({ version_key: u.key, package_key: u.pkg });
          });
          changed += updates.length;
        }
        if (rows.length < size) return changed;
        last = Number(rows[rows.length - 1]!.id);
      }
    },

    async close(): Promise<void> {
      if (owned) await db.destroy();
    },
  };
}
