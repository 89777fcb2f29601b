/**
 * knex's console output: the migration lock contention the migrator handles is not printed, and the
 * SQLite knex the library creates sends knex's warnings and errors to the `logger` option, never to
 * the console, from the main thread and from the embedded store's worker thread alike.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS_TABLE, createKnexStore, createSqliteKnex, migrateDeploymentStore, pendingMigrations } from '../lib';
import { createTestDatabase } from './helpers/databases';
import { memoryLogger } from './helpers/fixtures';

let printed: string[];
let spies: jest.SpyInstance[];
beforeEach(() => {
  printed = [];
  spies = (['log', 'warn', 'error'] as const).map((name) => jest.spyOn(console, name).mockImplementation((...args: unknown[]) => { printed.push(args.map(String).join(' ')); }));
});
afterEach(() => spies.forEach((s) => s.mockRestore()));

it('waiting for another process\'s migration lock prints nothing', async () => {
  const db = await createTestDatabase('sqlite');
  try {
    // Another process holds knex's migration lock for a moment.
    const lockTable = `${MIGRATIONS_TABLE}_lock`;
    await db.knex.schema.createTable(lockTable, (t) => { t.increments('index').primary(); t.integer('is_locked'); });
    await db.knex(lockTable).insert({ index: 1, is_locked: 1 });
    const release = new Promise<void>((resolve) => setTimeout(() => { void db.knex(lockTable).update({ is_locked: 0 }).then(() => resolve()); }, 300));
    await migrateDeploymentStore(db.knex, { lockTimeoutMs: 10_000 });
    await release;
    expect(await pendingMigrations(db.knex)).toEqual([]);
    expect(printed.filter((line) => /lock/i.test(line))).toEqual([]);
    // knex's own logger is back as it was: the host's own migrations, locked, still print knex's warning.
    await db.knex.schema.createTable('host_migrations_lock', (t) => { t.increments('index').primary(); t.integer('is_locked'); });
    await db.knex('host_migrations_lock').insert({ index: 1, is_locked: 1 });
    const source = { getMigrations: async () => ['x'], getMigrationName: (m: string) => m, getMigration: async () => ({ up: async () => undefined }) };
    await expect(db.knex.migrate.latest({ tableName: 'host_migrations', migrationSource: source })).rejects.toThrow(/already locked/);
    expect(printed.some((line) => /Can't take lock to run migrations/.test(line))).toBe(true);
  } finally {
    await db.destroy();
  }
});

it('an SQLite knex made by the library sends knex\'s warnings to the logger', async () => {
  const logger = memoryLogger();
  // A directory that does not exist: knex warns "Acquire connection error" on every attempt.
  const knex = createSqliteKnex(join(tmpdir(), 'pd-no-such-dir', 'x', 'deployments.sqlite'), { busyTimeoutMs: 100, logger });
  try {
    await expect(knex.raw('select 1')).rejects.toThrow();
  } finally {
    await knex.destroy();
  }
  expect(printed).toEqual([]);
  expect(logger.lines.some((line) => /knex: Acquire connection error/.test(line))).toBe(true);
});

it('createKnexStore({ knex: undefined, filename, logger }) on the main thread passes the logger to its knex', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pd-knex-log-'));
  const logger = memoryLogger();
  const store = createKnexStore({ filename: join(dir, 'no-such-dir', 'deployments.sqlite'), logger, versionSchemes: (feed: string) => (feed ? 'semver' : undefined) });
  try {
    await expect(store.init()).rejects.toThrow();
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  expect(printed).toEqual([]);
  expect(logger.lines.some((line) => /knex: Acquire connection error/.test(line))).toBe(true);
});

it('createKnexStore({ filename, logger }) in its worker thread sends knex\'s warnings to the logger, not to a console', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pd-knex-log-'));
  const logger = memoryLogger();
  // The worker's console writes to this process's stdout and stderr: watch those too.
  const written: string[] = [];
  const streams = [process.stdout, process.stderr].map((stream) => jest.spyOn(stream, 'write').mockImplementation((chunk: unknown) => {
    written.push(String(chunk));
    return true;
  }));
  // Names only: the store runs in a worker thread (the test above keeps it on this one).
  const store = createKnexStore({ filename: join(dir, 'no-such-dir', 'deployments.sqlite'), logger, timeouts: { acquireMs: 100, statementMs: 5000 } });
  try {
    expect(() => store.knex).toThrow(/worker thread/);
    await expect(store.init()).rejects.toThrow();
  } finally {
    await store.close();
    // Anything the worker printed has had time to come through its stdio pipes.
    await new Promise((resolve) => setTimeout(resolve, 200));
    streams.forEach((s) => s.mockRestore());
    rmSync(dir, { recursive: true, force: true });
  }
  expect(printed).toEqual([]);
  expect(written.filter((text) => /knex|Acquire connection/i.test(text))).toEqual([]);
  expect(logger.lines.some((line) => /^warn: package-deployments: knex: Acquire connection error/.test(line))).toBe(true);
});
