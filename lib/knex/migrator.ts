/**
 * Runs a list of migrations shipped in the package, kept in their own migrations table: safe to run twice
 * and from several processes at once. The deployments store and the API-key store each have one.
 */
import type { Knex } from 'knex';

export interface Migration {
  name: string;
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

export interface MigrateOptions {
  /** Give up waiting for another process's migration after this many milliseconds. Defaults to 60000. */
  lockTimeoutMs?: number;
}

export interface Migrator {
  /** A knex migration source over the migrations. */
  readonly source: Knex.MigrationSource<Migration>;
  /** The migrations table (knex's lock table is `<tableName>_lock`). */
  readonly tableName: string;
  /** Brings the schema up to date; a process that finds another one migrating waits for it. */
  latest(knex: Knex, options?: MigrateOptions): Promise<void>;
  /** Undoes the last batch, or every migration with `{ all: true }`. */
  rollback(knex: Knex, options?: { all?: boolean }): Promise<void>;
  /** Names of the migrations not yet applied. */
  pending(knex: Knex): Promise<string[]>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What knex prints when another process holds the migration lock: the migrator waits and retries instead. */
const LOCK_NOISE = /^Can't take lock to run migrations|^If you are sure migrations are not running/;
const quieted = new WeakMap<object, { original: KnexLogger; depth: number }>();
interface KnexLogger { warn(message: unknown): void }

/**
 * Runs `run` with knex's lock warnings dropped: while this migrator migrates, another process holding
 * the lock is expected and handled (waited for, then retried, then a thrown error past the deadline), so
 * knex's "Can't take lock to run migrations" is not printed. Every other message goes to the knex
 * instance's own logger (its `log` config) as before; the logger is restored once the last run ends.
 */
async function withoutLockNoise<T>(knex: Knex, run: () => Promise<T>): Promise<T> {
  const client = knex.client as { logger?: KnexLogger };
  let entry = quieted.get(client);
  if (!entry && client.logger) {
    const original = client.logger;
    const filtered = Object.create(original) as KnexLogger;
    filtered.warn = (message: unknown) => {
      if (typeof message === 'string' && LOCK_NOISE.test(message)) return;
      original.warn(message);
    };
    client.logger = filtered;
    entry = { original, depth: 0 };
    quieted.set(client, entry);
  }
  if (entry) entry.depth++;
  try {
    return await run();
  } finally {
    if (entry && --entry.depth === 0) {
      client.logger = entry.original;
      quieted.delete(client);
    }
  }
}

/** Errors that mean another process is migrating at the same moment: wait and try again. */
function isConcurrentMigration(err: unknown): boolean {
  // knex's LockError ("MigrationLocked"): another process holds the lock, or (SQLite) its transaction
  // holds the database write lock ("database is locked", SQLITE_BUSY) while it migrates.
  if (err instanceof Error && err.name === 'MigrationLocked') return true;
  const message = err instanceof Error ? err.message : String(err);
  return /already locked|already exists|duplicate|deadlock|unique constraint|could not serialize|database is locked|SQLITE_BUSY/i.test(message);
}

/**
 * Creates knex's migration lock table and its one row before knex does. knex checks "no row yet" and then
 * inserts one, so two processes starting together can each insert a row; with two rows knex's
 * `update ... where is_locked = 0` changes both, which knex reads as "already locked", forever. Here the
 * row has a fixed key, so the second insert fails on the primary key instead of adding a row.
 */
async function ensureLockRow(knex: Knex, lockTable: string): Promise<void> {
  if (!(await knex.schema.hasTable(lockTable))) {
    try {
      // The same definition knex uses (knex/lib/migrations/migrate/table-creator.js).
      await knex.schema.createTable(lockTable, (t) => {
        t.increments('index').primary();
        t.integer('is_locked');
      });
    } catch (err) {
      if (!(await knex.schema.hasTable(lockTable))) throw err; // created by another process: fine
    }
  }
  const rows = (await knex(lockTable).select('index', 'is_locked').orderBy('index')) as Array<{ index: number; is_locked: number }>;
  if (rows.length === 0) {
    try {
      await knex(lockTable).insert({ index: 1, is_locked: 0 });
    } catch (err) {
      if ((await knex(lockTable).where('index', 1).first()) === undefined) throw err; // inserted by another process
    }
  } else if (rows.length > 1) {
    // Left by that race (knex on its own, before this function existed): keep the first row, drop unlocked extras.
    await knex(lockTable).where('index', '>', rows[0]!.index).andWhere('is_locked', 0).delete();
  }
}

export function createMigrator(migrations: readonly Migration[], tableName: string): Migrator {
  const source: Knex.MigrationSource<Migration> = {
    getMigrations: async () => [...migrations],
    getMigrationName: (m) => m.name,
    getMigration: async (m) => ({ up: m.up, down: m.down }),
  };
  const config = { migrationSource: source, tableName };
  const lockTable = `${tableName}_lock`;

  async function pending(knex: Knex): Promise<string[]> {
    const [, waiting] = (await knex.migrate.list(config)) as [unknown[], Migration[]];
    return waiting.map((m) => m.name);
  }

  return {
    source,
    tableName,
    pending,
    async latest(knex, options = {}) {
      const deadline = Date.now() + (options.lockTimeoutMs ?? 60_000);
      for (let attempt = 0; ; attempt++) {
        try {
          await ensureLockRow(knex, lockTable);
          // Up to date (every start but the first): return without taking knex's migration lock, so that
          // instances starting together do not queue for it (on SQLite, each wait costs a busy timeout).
          if ((await pending(knex)).length === 0) return;
          await withoutLockNoise(knex, () => knex.migrate.latest(config));
          return;
        } catch (err) {
          if (!isConcurrentMigration(err) || Date.now() > deadline) throw err;
          await sleep(Math.min(50 * 2 ** attempt, 1000));
        }
      }
    },
    async rollback(knex, options = {}) {
      await knex.migrate.rollback(config, options.all ?? false);
    },
  };
}
