/**
 * The default store: any database knex speaks, through the host's knex instance or an embedded SQLite
 * file (better-sqlite3, WAL mode) when given none.
 */
import { knex as createKnex, type Knex } from 'knex';
import { once } from '../util/once';
import { knexLog } from '../knex/log';
import { isSqlite } from '../knex/dialect';
import type { Logger, DeploymentPage, DeploymentQuery, DeploymentRecord, DeploymentStore, IdempotencyClaim, IdempotencyOutcome, IdempotencyState, KeyInterval, NewDeployment, PackageRef, PurgePolicy, PurgeResult, VersionScheme, VersionSchemeSetting } from '../types';
import { UNKEYED, versionKey } from '../versions/keys';
import { schemeResolver, VERSION_SCHEMES } from '../versions/registry';
import { packageKey } from '../advisories/package-keys';
import { migrateDeploymentStore } from './migrations';
import { readKnexStoreOptions } from './store-options';
import { countRows, currentByPackageKey, listPage, streamRows, type PackageOfEcosystemQuery } from './queries';
import { fromRow, toRow, type DeploymentRow } from './rows';
import { knexIdempotency } from './idempotency';
import { insertOnce, retryDeadlocksOf, type Inserted } from './insert';
import { purgeRecords } from './purge';
import { DEPLOYMENTS_TABLE } from './tables';
import { checkOptionKeys } from '../options';
import { createWorkerStore, type WorkerStoreConfig } from './worker/proxy';
import { createSqliteInserter, type SqliteInserter } from './worker/sqlite-insert';
import { createKnexOutbox } from '../webhooks/outbox-store';
import type { WebhookOutboxStore } from '../webhooks/types';

export interface KnexStoreOptions {
  /**
   * Where knex's own warnings and errors go ("Acquire connection error"...) for the knex instance the
   * store creates, on the main thread or in the embedded store's worker thread (whose lines are sent to
   * this thread and given to this logger). A `knex` you pass keeps its own `log` config. Defaults to
   * `console`.
   */
  logger?: Logger;
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
  /**
   * Deadlines, so that a database that stops answering (paused, not refused) fails requests with 503 +
   * `Retry-After` instead of hanging them. `acquireMs`: waiting for a connection (SQLite: for the write
   * lock, its busy timeout); `statementMs`: the statement itself. A store operation that takes longer than
   * both together fails as unavailable. Defaults to `{ acquireMs: 5000, statementMs: 10000 }`.
   */
  timeouts?: StoreTimeouts;
}

/** The deadlines of {@link KnexStoreOptions.timeouts}. */
export interface StoreTimeouts {
  /** Milliseconds to wait for a connection (SQLite: for the write lock). Defaults to 5000. */
  acquireMs?: number;
  /** Milliseconds a statement may run. Defaults to 10000. */
  statementMs?: number;
}

/** The defaults of {@link StoreTimeouts}. */
export const DEFAULT_STORE_TIMEOUTS: Readonly<Required<StoreTimeouts>> = Object.freeze({ acquireMs: 5000, statementMs: 10_000 });


function resolveTimeouts(timeouts: StoreTimeouts | undefined): Required<StoreTimeouts> {
  if (timeouts === undefined) return { ...DEFAULT_STORE_TIMEOUTS };
  if (!timeouts || typeof timeouts !== 'object') throw new TypeError('createKnexStore: timeouts must be an object such as { acquireMs: 5000, statementMs: 10000 }.');
  checkOptionKeys('createKnexStore: timeouts', timeouts, Object.keys(DEFAULT_STORE_TIMEOUTS));
  const resolved = { ...DEFAULT_STORE_TIMEOUTS, ...Object.fromEntries(Object.entries(timeouts).filter(([, v]) => v !== undefined)) };
  for (const [name, value] of Object.entries(resolved)) {
    if (!Number.isInteger(value) || value < 1 || value > 3_600_000) throw new TypeError(`createKnexStore: timeouts.${name} must be a whole number of milliseconds from 1 to 3600000 (got ${String(value)}).`);
  }
  return resolved;
}

/** Fails an operation that has not settled within `ms` as unavailable (ETIMEDOUT: answered 503 + Retry-After). */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`The database did not answer ${what} within ${ms} ms (timeouts).`), { code: 'ETIMEDOUT' })), ms);
    timer.unref?.();
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
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
   * Recomputes the stored version keys and package keys with the store's current `versionSchemes` (after
   * a feed's scheme changed, or once after upgrading from a version without keys). Resolves to how many
   * rows changed. Safe to run while the store is in use: records written meanwhile are keyed when written.
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
export function createSqliteKnex(filename: string = DEFAULT_SQLITE_FILE, settings: { busyTimeoutMs?: number; logger?: Logger } = {}): Knex {
  const busyTimeoutMs = Math.max(0, Math.floor(settings.busyTimeoutMs ?? DEFAULT_STORE_TIMEOUTS.acquireMs));
  try {
    require.resolve('better-sqlite3');
  } catch {
    throw new Error('createKnexStore(): the embedded SQLite store needs the better-sqlite3 package. Run `npm install better-sqlite3`, or pass `{ knex }` for another database.');
  }
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

export { applyFilters, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type PackageOfEcosystemQuery } from './queries';

/**
 * Creates the knex store.
 *
 * Given no `knex`, the store is an SQLite file run in a worker thread: the main thread gets a proxy of the
 * store and never runs an SQLite statement, so a large export or range query does not stop other
 * requests. Given a `knex` instance (any database, SQLite included), the store runs on that instance in
 * this thread.
 *
 * @example
 * createKnexStore()                                  // SQLite file package-deployments.sqlite, in a worker thread
 * createKnexStore({ knex: knex({ client: 'pg', connection: process.env.DATABASE_URL }) })
 */
export function createKnexStore(given?: KnexStoreOptions): KnexDeploymentStore {
  const options = readKnexStoreOptions(given);
  const timeouts = resolveTimeouts(options.timeouts);
  const schemes = { versionSchemes: options.versionSchemes, defaultVersionScheme: options.defaultVersionScheme };
  if (options.knex === undefined && cloneableSchemes(schemes)) {
    try {
      require.resolve('better-sqlite3');
    } catch {
      throw new Error('createKnexStore(): the embedded SQLite store needs the better-sqlite3 package. Run `npm install better-sqlite3`, or pass `{ knex }` for another database.');
    }
    return createWorkerStore({
      filename: options.filename ?? DEFAULT_SQLITE_FILE,
      migrate: options.migrate !== false,
      busyTimeoutMs: timeouts.acquireMs,
      timeoutMs: timeouts.acquireMs + timeouts.statementMs,
      ...schemes,
    } as WorkerStoreConfig, options.logger ?? console) as unknown as KnexDeploymentStore;
  }
  // A knex instance of the caller's stays in this thread. So does an SQLite file whose version schemes are
  // functions or objects of the host (they cannot be sent to a worker).
  const owned = options.knex === undefined;
  const db = options.knex ?? createSqliteKnex(options.filename, { busyTimeoutMs: timeouts.acquireMs, logger: options.logger ?? console });
  return buildKnexStore(db, { migrate: options.migrate !== false, owned, timeoutMs: timeouts.acquireMs + timeouts.statementMs, ...schemes });
}

/** True when the version-scheme settings are names only, which a worker thread can be given. */
function cloneableSchemes(s: { versionSchemes?: unknown; defaultVersionScheme?: unknown }): boolean {
  if (s.defaultVersionScheme !== undefined && typeof s.defaultVersionScheme !== 'string') return false;
  if (s.versionSchemes === undefined) return true;
  if (typeof s.versionSchemes !== 'object' || s.versionSchemes === null) return false;
  return Object.values(s.versionSchemes).every((v) => typeof v === 'string');
}

/** How {@link buildKnexStore} runs. */
export interface BuildOptions {
  migrate: boolean;
  /** Destroy the knex instance on close(). */
  owned: boolean;
  /** Deadline of each operation (none in the worker: the proxy keeps it). */
  timeoutMs?: number;
  /** The SQLite file, in the worker: inserts then go through one prepared statement of its own connection. */
  sqliteFile?: string;
  busyTimeoutMs?: number;
  versionSchemes?: KnexStoreOptions['versionSchemes'];
  defaultVersionScheme?: KnexStoreOptions['defaultVersionScheme'];
}

/** The knex store on a knex instance, in this thread (the worker builds the embedded one with it). */
export function buildKnexStore(db: Knex, options: BuildOptions): KnexDeploymentStore {
  const owned = options.owned;
  const deadline = <T>(promise: Promise<T>, what: string): Promise<T> => (options.timeoutMs === undefined ? promise : withDeadline(promise, options.timeoutMs, what));
  let inserter: SqliteInserter | undefined;

  async function prepare(): Promise<void> {
    if (options.migrate) await migrateDeploymentStore(db);
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

  /** Rows per INSERT: SQLite's compound SELECT stops at 500 terms; 15 values a row stay under every parameter limit. */
  const chunkSize = isSqlite(db) ? 500 : 1000;

  /** The idempotent INSERT (insert.ts) of any number of rows, in chunks, on `trx` (no deadlock retry: the caller retries the transaction). */
  async function insertChunked(trx: Knex | Knex.Transaction, rows: DeploymentRow[]): Promise<Inserted> {
    const all: Inserted = { rows: [], inserted: [] };
    for (let i = 0; i < rows.length; i += chunkSize) {
      const part = await insertOnce(trx, rows.slice(i, i + chunkSize), { retry: false });
      all.rows.push(...part.rows);
      all.inserted.push(...part.inserted);
    }
    return all;
  }

  // Webhooks: when a target wants a batch, one intent row is written in the records' transaction
  // (lib/webhooks/outbox-store.ts); the delivery worker expands it into deliveries later.
  const outbox = createKnexOutbox(db, init);
  const { intentFor, insertIntent, activeTargets, ...webhookMethods } = outbox;

  async function record(deployments: readonly NewDeployment[]): Promise<DeploymentRecord[]> {
    if (deployments.length === 0) return [];
    await init();
    const rows = deployments.map((d) => toRow(d, keyOf(d.feedName, d.version), packageKeyOf(d.feedName, d.groupName ?? '', d.packageName)));
    // Every write skips a record whose uid is already stored and answers the stored one (insert.ts), so a
    // batch written again after a failure whose outcome is unknown stores nothing twice.
    // Webhook targets, read before any transaction (on SQLite a transaction holds the only connection).
    // Only the records a write inserted get an intent: a retried batch sends no webhook twice.
    const targets = await activeTargets();
    const intentOf = targets.length === 0
      ? undefined
      : (inserted: DeploymentRow[]) => intentFor(inserted.map((r) => ({ id: String(r.id), feedName: r.feed_name })), targets, inserted.map((r) => r.removed === true || Number(r.removed) === 1));
    if (options.sqliteFile !== undefined) {
      // The embedded store, in its worker: one prepared INSERT reused for every row, one transaction per
      // batch (holding the webhook intent too).
      inserter ??= createSqliteInserter(options.sqliteFile, options.busyTimeoutMs ?? DEFAULT_STORE_TIMEOUTS.acquireMs);
      return inserter.insert(rows, intentOf).map(fromRow);
    }
    if (intentOf) {
      // Some webhook target may want these records: records and their intent commit together.
      return retryDeadlocksOf(() => db.transaction(async (trx) => {
        const written = await insertChunked(trx, rows);
        const intent = intentOf(written.rows.filter((_, i) => written.inserted[i]));
        if (intent) await insertIntent(trx, intent);
        return written.rows.map(fromRow);
      }));
    }
    // One multi-row INSERT is atomic on its own: it commits all its rows or none. Sending it without
    // BEGIN/COMMIT saves two round trips per batch (the batch writer's throughput on PostgreSQL is bounded
    // by them). Batches larger than one INSERT takes need several statements, so a transaction.
    if (rows.length <= chunkSize) return (await insertOnce(db, rows)).rows.map(fromRow);
    return (await retryDeadlocksOf(() => db.transaction((trx) => insertChunked(trx, rows)))).rows.map(fromRow);
  }

  const keys = knexIdempotency(db);

  async function recordById(id: string): Promise<DeploymentRecord | undefined> {
    if (!/^\d{1,18}$/.test(id)) return undefined;
    const row = (await db(DEPLOYMENTS_TABLE).where('id', Number(id)).first()) as DeploymentRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** A stream whose every batch (one query) has the deadline. */
  async function* streamWithDeadline(query: DeploymentQuery): AsyncGenerator<DeploymentRecord> {
    await deadline(init(), 'a stream');
    yield* streamRows(db, query, keysFor(query), (batch) => deadline(batch, 'a stream'));
  }

  return {
    knex: db,
    init: () => deadline(init(), 'the migrations'),
    ...webhookMethods,
    record: (deployments) => deadline(record(deployments), 'an insert'),
    list: (query) => deadline(init().then(() => listPage(db, query, keysFor(query))), 'a query'),
    current: (query) => deadline(init().then(() => listPage(db, { ...query, current: true }, keysFor(query))), 'a query'),
    stream: streamWithDeadline,
    count: (query) => deadline(init().then(() => countRows(db, query, keysFor(query))), 'a count'),
    claimIdempotencyKey: (claim: IdempotencyClaim) => deadline(init().then(() => keys.claim(claim)), 'an Idempotency-Key'),
    settleIdempotencyKey: (id: string, claim: string, outcome: IdempotencyOutcome | null) => deadline(init().then(() => keys.settle(id, claim, outcome)), 'an Idempotency-Key'),
    // A purge runs as long as it takes (bounded statements, each short): no deadline on the whole.
    purge: (policy: PurgePolicy) => init().then(() => purgeRecords(db, policy)),
    getRecord: (id: string) => deadline(init().then(() => recordById(id)), 'a query'),
    async deleteRecord(id: string): Promise<DeploymentRecord | undefined> {
      const record = await deadline(init().then(() => recordById(id)), 'a query');
      if (!record) return undefined;
      const n = Number(await deadline(Promise.resolve(db(DEPLOYMENTS_TABLE).where('id', Number(id)).delete()), 'a delete'));
      return n > 0 ? record : undefined;
    },
    versionKeyOf: keyOf,
    packageKeyOf,
    versionSchemeOf: (feed: string) => schemeFor(feed).name,
    currentOfPackage(query: PackageOfEcosystemQuery): Promise<DeploymentRecord[]> {
      const scheme = schemeFor(query.feedName);
      const keys = builtIn(scheme) && scheme.name === query.scheme ? query.keys : undefined;
      const run = init().then(() => currentByPackageKey(db, { feedName: query.feedName, packageKey: packageKeyOf(query.feedName, query.groupName, query.packageName), ...(keys ? { keys } : {}) }));
      return deadline(run, 'a query');
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
      inserter?.close();
      inserter = undefined;
      if (owned) await db.destroy();
    },
  };
}
