/**
 * The default store: any database knex speaks, through the host's knex instance or an embedded SQLite
 * file (better-sqlite3, WAL mode) when given none. Its options and interface, and where it runs: the
 * embedded file in a worker thread (./worker/), anything else in this thread (./build-knex-store.ts).
 */
import type { Knex } from 'knex';
import type { Logger, DeploymentPage, DeploymentQuery, DeploymentRecord, DeploymentStore, IdempotencyClaim, IdempotencyOutcome, IdempotencyState, PackageRef, PurgePolicy, PurgeResult, VersionSchemeSetting } from '../types';
import { readKnexStoreOptions } from './store-options';
import type { PackageOfEcosystemQuery } from './queries';
import { resolveTimeouts, type StoreTimeouts } from './timeouts';
import type { RebuildVersionKeysOptions } from './rebuild-keys';
import { createSqliteKnex, DEFAULT_SQLITE_FILE, requireBetterSqlite3 } from './sqlite-knex';
import { buildKnexStore } from './build-knex-store';
import { createWorkerStore, type WorkerStoreConfig } from './worker/proxy';
import type { WebhookOutboxStore } from '../webhooks/types';

export { DEFAULT_STORE_TIMEOUTS, type StoreTimeouts } from './timeouts';
export type { RebuildVersionKeysOptions } from './rebuild-keys';
export { createSqliteKnex, DEFAULT_SQLITE_FILE } from './sqlite-knex';

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
    requireBetterSqlite3();
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
