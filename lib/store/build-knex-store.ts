/**
 * The knex store on a knex instance, in this thread: the host's knex (any database), an SQLite file whose
 * version schemes cannot be sent to a worker, and the embedded store inside its worker thread.
 */
import type { Knex } from 'knex';
import { once } from '../util/once';
import { isMysql, isPostgres, isSqlite } from '../knex/dialect';
import type { DeploymentRecord, DeploymentQuery, IdempotencyClaim, IdempotencyOutcome, KeyInterval, NewDeployment, PurgePolicy, VersionScheme } from '../types';
import { UNKEYED } from '../versions/keys';
import { createVersionKeyCache } from '../versions/key-cache';
import { schemeResolver, VERSION_SCHEMES } from '../versions/registry';
import { packageKey } from '../advisories/package-keys';
import { migrateDeploymentStore } from './migrations';
import { countRows, currentByPackageKey, listPage, streamRows, type PackageOfEcosystemQuery } from './queries';
import { fromRow, recordsOf, toRow, type DeploymentRow } from './rows';
import { knexIdempotency } from './idempotency';
import { insertOnce, retryDeadlocksOf, type Inserted } from './insert';
import { upsertCurrent } from './current-records';
import { ONE_STATEMENT_MAX_ROWS, recordInOneStatement } from './pg-one-statement';
import { deleteRecordById } from './delete-record';
import { purgeRecords } from './purge';
import { DEPLOYMENTS_TABLE } from './tables';
import { DEFAULT_STORE_TIMEOUTS, withDeadline } from './timeouts';
import { rebuildVersionKeys, type RebuildVersionKeysOptions } from './rebuild-keys';
import { createSqliteInserter, type SqliteInserter } from './worker/sqlite-insert';
import { createKnexOutbox } from '../webhooks/outbox-store';
import { webhookWants } from '../webhooks/outbox-intents';
import type { KnexDeploymentStore, KnexStoreOptions } from './knex-store';

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
  const cachedKey = createVersionKeyCache();
  const keyOf = (feed: string, version: string): string => {
    const scheme = schemeFor(feed);
    return builtIn(scheme) ? cachedKey(scheme.name, version) : UNKEYED;
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
  /** PostgreSQL writes a batch without webhook intent in one statement (pg-one-statement.ts). */
  const oneStatement = isPostgres(db);

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
      return recordsOf(deployments, inserter.insert(rows, intentOf));
    }
    // PostgreSQL, one statement's worth: the records, their targets' current records and the webhook
    // intent in one autocommit statement, atomic by itself. A larger batch takes the
    // transaction below, so that a record() call stays all or nothing.
    if (oneStatement && rows.length <= ONE_STATEMENT_MAX_ROWS) {
      // With webhook targets, the batch's intent is a third CTE of the same statement.
      const intent = targets.length === 0 ? undefined : { wants: webhookWants(rows, targets), createdAt: new Date().toISOString() };
      return recordsOf(deployments, await recordInOneStatement(db, rows, intent));
    }
    // Records, each target's current record (current-records.ts) and the webhook intent commit together:
    // one transaction per batch, one multi-row upsert of the current table per chunk.
    // MySQL/MariaDB: READ COMMITTED, so that reading back the rows another writer committed while this
    // INSERT waited for it (insert.ts) sees them; under REPEATABLE READ the read would use the snapshot of
    // the transaction's first read, without them.
    return retryDeadlocksOf(() => db.transaction(async (trx) => {
      const written = await insertChunked(trx, rows);
      const inserted = written.rows.filter((_, i) => written.inserted[i]);
      await upsertCurrent(trx, inserted);
      const intent = intentOf?.(inserted);
      if (intent) await insertIntent(trx, intent);
      return recordsOf(deployments, written);
    }, isMysql(db) ? { isolationLevel: 'read committed' } : undefined));
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
      await deadline(init(), 'the migrations');
      if (!/^\d{1,18}$/.test(id)) return undefined;
      return deadline(deleteRecordById(db, Number(id)), 'a delete');
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
    rebuildVersionKeys: (rebuild: RebuildVersionKeysOptions = {}) => init().then(() => rebuildVersionKeys(db, rebuild, keyOf, packageKeyOf)),

    async close(): Promise<void> {
      inserter?.close();
      inserter = undefined;
      if (owned) await db.destroy();
    },
  };
}
