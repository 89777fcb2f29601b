/**
 * The databases the storage suite runs over: SQLite always; PostgreSQL and MariaDB/MySQL when their
 * URLs are set (PD_TEST_POSTGRES_URL, PD_TEST_MYSQL_URL). Each call of `create()` makes a fresh schema
 * (PostgreSQL) or database (MySQL) or file (SQLite), so test files never share state.
 * With CI=true an unset URL or an unreachable server fails the run instead of skipping.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { knex as createKnex, type Knex } from 'knex';
import { createKnexStore, createSqliteKnex, type KnexDeploymentStore, type KnexStoreOptions } from '../../lib/store/knex-store';

export type DatabaseId = 'sqlite' | 'postgres' | 'mysql';

export interface TestDatabase {
  id: DatabaseId;
  knex: Knex;
  /** A connection config for another process to reach the same schema/database. */
  connection: { client: string; connection: unknown; searchPath?: string[] };
  destroy(): Promise<void>;
}

const ENV: Record<Exclude<DatabaseId, 'sqlite'>, string> = {
  postgres: 'PD_TEST_POSTGRES_URL',
  mysql: 'PD_TEST_MYSQL_URL',
};

const isCi = () => /^(1|true|yes)$/i.test(process.env.CI ?? '');
const announced = new Set<string>();

/** The ids of the databases to run over. */
export function databaseIds(): DatabaseId[] {
  const ids: DatabaseId[] = ['sqlite'];
  for (const [id, variable] of Object.entries(ENV) as [Exclude<DatabaseId, 'sqlite'>, string][]) {
    if (process.env[variable]) ids.push(id);
    else if (isCi()) {
      throw new Error(`CI=true but ${variable} is not set: the ${id} suite would be skipped. Set it (see README, "Testing").`);
    } else if (!announced.has(id)) {
      announced.add(id);
      // Said once per test file, so that a run on SQLite alone says so.
      process.stdout.write(`[package-deployments tests] ${id} not tested: set ${variable} to run the suite on it too.\n`);
    }
  }
  return ids;
}

const uniqueName = () => `pd_test_${process.pid}_${randomBytes(4).toString('hex')}`;

async function reachable(knex: Knex, id: DatabaseId, url: string): Promise<void> {
  try {
    await knex.raw('select 1');
  } catch (err) {
    await knex.destroy();
    throw new Error(`The ${id} server at ${url} is unreachable (${(err as Error).message}). Start it (README, "Testing") or unset ${ENV[id as 'postgres']}.`);
  }
}

/**
 * A knex store on a fresh database of kind `id` for the enclosing `describe`: made and initialised in
 * beforeAll (then handed to `opened`), closed and dropped in afterAll.
 */
export function withStoreOn(id: DatabaseId, opened: (db: TestDatabase, store: KnexDeploymentStore) => void): void {
  let db: TestDatabase | undefined;
  let store: KnexDeploymentStore | undefined;
  beforeAll(async () => {
    db = await createTestDatabase(id);
    store = createKnexStore({ knex: db.knex });
    await store.init();
    opened(db, store);
  });
  afterAll(async () => {
    await store?.close();
    await db?.destroy();
  });
}

/** The embedded SQLite store (`createKnexStore({ filename })`, its worker thread), as a store kind. */
export const EMBEDDED_SQLITE = 'sqlite (embedded, worker thread)';
/** Where a store suite runs: a knex store on each database, and the embedded SQLite store. */
export type StoreKind = DatabaseId | typeof EMBEDDED_SQLITE;

/** Every store kind this run covers: the databases of {@link databaseIds}, then the embedded store. */
export function storeKinds(): StoreKind[] {
  return [...databaseIds(), EMBEDDED_SQLITE];
}

/**
 * A fresh database for `kind` and an initialised store on it: `createKnexStore({ knex })`, or for the
 * embedded kind `createKnexStore({ filename })` on a fresh SQLite file. `db.knex` reaches the same tables.
 */
export async function openStore(kind: StoreKind, options: Omit<KnexStoreOptions, 'knex' | 'filename'> = {}): Promise<{ db: TestDatabase; store: KnexDeploymentStore }> {
  const db = await createTestDatabase(kind === EMBEDDED_SQLITE ? 'sqlite' : kind);
  const filename = (db.connection.connection as { filename?: string }).filename;
  const store = kind === EMBEDDED_SQLITE ? createKnexStore({ ...options, filename: filename! }) : createKnexStore({ ...options, knex: db.knex });
  await store.init();
  return { db, store };
}

/** A fresh, empty database of kind `id`. */
export async function createTestDatabase(id: DatabaseId): Promise<TestDatabase> {
  if (id === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'pd-test-'));
    const filename = join(dir, 'deployments.sqlite');
    const knex = createSqliteKnex(filename);
    return {
      id,
      knex,
      connection: { client: 'better-sqlite3', connection: { filename } },
      async destroy() {
        await knex.destroy();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const url = process.env[ENV[id]]!;
  const name = uniqueName();
  if (id === 'postgres') {
    const admin = createKnex({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
    await reachable(admin, id, url);
    await admin.raw('create schema ??', [name]);
    await admin.destroy();
    const knex = createKnex({ client: 'pg', connection: url, searchPath: [name], pool: { min: 0, max: 10 } });
    return {
      id,
      knex,
      connection: { client: 'pg', connection: url, searchPath: [name] },
      async destroy() {
        await knex.destroy();
        const cleanup = createKnex({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
        await cleanup.raw('drop schema if exists ?? cascade', [name]);
        await cleanup.destroy();
      },
    };
  }
  const admin = createKnex({ client: 'mysql2', connection: url, pool: { min: 0, max: 1 } });
  await reachable(admin, id, url);
  await admin.raw('create database ?? character set utf8mb4 collate utf8mb4_bin', [name]);
  await admin.destroy();
  const parsed = new URL(url);
  const connection = {
    host: parsed.hostname,
    port: Number(parsed.port || 3306),
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    database: name,
    charset: 'utf8mb4',
  };
  const knex = createKnex({ client: 'mysql2', connection, pool: { min: 0, max: 10 } });
  return {
    id,
    knex,
    connection: { client: 'mysql2', connection },
    async destroy() {
      await knex.destroy();
      const cleanup = createKnex({ client: 'mysql2', connection: url, pool: { min: 0, max: 1 } });
      await cleanup.raw('drop database if exists ??', [name]);
      await cleanup.destroy();
    },
  };
}

/**
 * `describe.each` over the network databases (PostgreSQL, MariaDB/MySQL) that are configured. With none
 * (a fresh machine, SQLite only) the suite is reported skipped, its title saying what to set; with
 * CI=true `databaseIds()` has already failed the run.
 */
export function describeEachNetworkDatabase() {
  const ids = databaseIds().filter((id) => id !== 'sqlite');
  return ids.length > 0
    ? describe.each<DatabaseId>(ids)
    : describe.skip.each<DatabaseId>(['(no network database: set PD_TEST_POSTGRES_URL or PD_TEST_MYSQL_URL to run)' as DatabaseId]);
}
