/**
 * The knex store's schema, as migrations shipped in the package with their own migrations table. The
 * store runs them on first use unless told not to; `migrateDeploymentStore` runs them on demand.
 */
import type { Knex } from 'knex';
import { isMysql } from './dialect';
import { DEPLOYMENTS_TABLE, MIGRATIONS_TABLE } from './tables';

interface Migration {
  name: string;
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/** Every migration, oldest first. Never edit a shipped one: add a new one. */
export const MIGRATIONS: readonly Migration[] = [
  {
    name: '001_create_package_deployments',
    async up(knex) {
      await knex.schema.createTable(DEPLOYMENTS_TABLE, (t) => {
        // MySQL/MariaDB: full Unicode and exact (case- and accent-sensitive) matching, as on the others.
        if (isMysql(knex)) {
          t.charset('utf8mb4');
          t.collate('utf8mb4_bin');
        }
        t.bigIncrements('id').primary();
        t.string('feed_name', 100).notNullable();
        // '' for "no group", so that (feed, group, package) lookups are plain equality on every database.
        t.string('group_name', 200).notNullable().defaultTo('');
        t.string('package_name', 200).notNullable();
        t.string('version', 100).notNullable();
        t.string('application', 200).notNullable();
        t.text('description').notNullable();
        t.string('target', 200).notNullable();
        t.string('user_name', 200).notNullable();
        t.text('url').nullable();
        // Fixed-width ISO 8601 UTC text ("2024-05-01T12:00:00.000Z"): sorts in time order, and reads
        // back the same on every database whatever its or the session's time zone.
        t.string('deployed_at', 24).notNullable();
        t.string('received_at', 24).notNullable();
        t.index(['feed_name', 'group_name', 'package_name', 'deployed_at', 'id'], 'package_deployments_package_idx');
        t.index(['feed_name', 'group_name', 'package_name', 'target', 'deployed_at', 'id'], 'package_deployments_target_idx');
        t.index(['deployed_at', 'id'], 'package_deployments_date_idx');
      });
    },
    async down(knex) {
      await knex.schema.dropTableIfExists(DEPLOYMENTS_TABLE);
    },
  },
  {
    // The read API's queries that name no group (a package's history across groups) and no package
    // (everything deployed to one target, newest first).
    name: '002_read_indexes',
    async up(knex) {
      await knex.schema.alterTable(DEPLOYMENTS_TABLE, (t) => {
        t.index(['feed_name', 'package_name', 'deployed_at', 'id'], 'package_deployments_name_idx');
        t.index(['target', 'deployed_at', 'id'], 'package_deployments_target_date_idx');
      });
    },
    async down(knex) {
      await knex.schema.alterTable(DEPLOYMENTS_TABLE, (t) => {
        t.dropIndex(['feed_name', 'package_name', 'deployed_at', 'id'], 'package_deployments_name_idx');
        t.dropIndex(['target', 'deployed_at', 'id'], 'package_deployments_target_date_idx');
      });
    },
  },
];

/** A knex migration source over {@link MIGRATIONS}. */
export const migrationSource: Knex.MigrationSource<Migration> = {
  getMigrations: async () => [...MIGRATIONS],
  getMigrationName: (m) => m.name,
  getMigration: async (m) => ({ up: m.up, down: m.down }),
};

export interface MigrateOptions {
  /** Give up waiting for another process's migration after this many milliseconds. Defaults to 60000. */
  lockTimeoutMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Errors that mean another process is migrating at the same moment: wait and try again. */
function isConcurrentMigration(err: unknown): boolean {
  // knex's LockError ("MigrationLocked"): another process holds the lock, or (SQLite) its transaction
  // holds the database write lock ("database is locked", SQLITE_BUSY) while it migrates.
  if (err instanceof Error && err.name === 'MigrationLocked') return true;
  const message = err instanceof Error ? err.message : String(err);
  return /already locked|already exists|duplicate|deadlock|unique constraint|could not serialize|database is locked|SQLITE_BUSY/i.test(message);
}

const config = { migrationSource, tableName: MIGRATIONS_TABLE };
/** knex's lock table for our migrations table (knex names it `<table>_lock`). */
const LOCK_TABLE = `${MIGRATIONS_TABLE}_lock`;

/**
 * Creates knex's migration lock table and its one row before knex does. knex checks "no row yet" and then
 * inserts one, so two processes starting together can each insert a row; with two rows knex's
 * `update ... where is_locked = 0` changes both, which knex reads as "already locked", forever. Here the
 * row has a fixed key, so the second insert fails on the primary key instead of adding a row.
 */
async function ensureLockRow(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasTable(LOCK_TABLE))) {
    try {
      // The same definition knex uses (knex/lib/migrations/migrate/table-creator.js).
      await knex.schema.createTable(LOCK_TABLE, (t) => {
        t.increments('index').primary();
        t.integer('is_locked');
      });
    } catch (err) {
      if (!(await knex.schema.hasTable(LOCK_TABLE))) throw err; // created by another process: fine
    }
  }
  const rows = (await knex(LOCK_TABLE).select('index', 'is_locked').orderBy('index')) as Array<{ index: number; is_locked: number }>;
  if (rows.length === 0) {
    try {
      await knex(LOCK_TABLE).insert({ index: 1, is_locked: 0 });
    } catch (err) {
      if ((await knex(LOCK_TABLE).where('index', 1).first()) === undefined) throw err; // inserted by another process
    }
  } else if (rows.length > 1) {
    // Left by that race (knex on its own, before this function existed): keep the first row, drop unlocked extras.
    await knex(LOCK_TABLE).where('index', '>', rows[0]!.index).andWhere('is_locked', 0).delete();
  }
}

/**
 * Brings the schema up to date. Safe to run twice and from several processes at once: a process that
 * finds another one migrating waits for it.
 */
export async function migrateDeploymentStore(knex: Knex, options: MigrateOptions = {}): Promise<void> {
  const deadline = Date.now() + (options.lockTimeoutMs ?? 60_000);
  for (let attempt = 0; ; attempt++) {
    try {
      await ensureLockRow(knex);
      // Up to date (every start but the first): return without taking knex's migration lock, so that
      // instances starting together do not queue for it (on SQLite, each wait costs a busy timeout).
      if ((await pendingMigrations(knex)).length === 0) return;
      await knex.migrate.latest(config);
      return;
    } catch (err) {
      if (!isConcurrentMigration(err) || Date.now() > deadline) throw err;
      await sleep(Math.min(50 * 2 ** attempt, 1000));
    }
  }
}

/**
 * Undoes migrations: the last batch, or all of them with `{ all: true }` (dropping the records table).
 */
export async function rollbackDeploymentStore(knex: Knex, options: { all?: boolean } = {}): Promise<void> {
  await knex.migrate.rollback(config, options.all ?? false);
}

/** Names of the migrations not yet applied. */
export async function pendingMigrations(knex: Knex): Promise<string[]> {
  const [, pending] = (await knex.migrate.list(config)) as [unknown[], Migration[]];
  return pending.map((m) => m.name);
}
