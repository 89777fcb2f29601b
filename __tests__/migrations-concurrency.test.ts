/**
 * Several processes migrating the same fresh database at the same moment: every one of them succeeds, the
 * schema is created once, each migration is recorded once, and each process can record right away.
 *
 * Real processes, not several knex instances in this one: better-sqlite3 is synchronous, so two SQLite
 * connections in one process that wait on each other's lock block the whole event loop until the busy
 * timeout; that would test the test, not the library.
 */
import { DEPLOYMENTS_TABLE, MIGRATIONS_TABLE, migrateDeploymentStore, pendingMigrations } from '../lib';
import { MIGRATIONS, migrationSource } from '../lib/store/migrations';
import { createTestDatabase, databaseIds } from './helpers/databases';
import { CHILD_DB_ENV, spawnHelper, type Child } from './helpers/processes';

const PROCESSES = 3;
const ROUNDS = 2;

describe.each(databaseIds())('migrations on %s', (id) => {
  it('recovers from the two lock rows that knex leaves when two processes create its lock table at once', async () => {
    // knex checks "no lock row yet" and then inserts one, so two processes can insert one each; then its
    // `update ... set is_locked = 1 where is_locked = 0` changes two rows, which knex reads as "already
    // locked" for ever. migrateDeploymentStore inserts the row with a fixed key, and repairs this state.
    const db = await createTestDatabase(id);
    const lockTable = `${MIGRATIONS_TABLE}_lock`;
    try {
      await db.knex.schema.createTable(lockTable, (t) => {
        t.increments('index').primary();
        t.integer('is_locked');
      });
      await db.knex(lockTable).insert([{ is_locked: 0 }, { is_locked: 0 }]);
      await expect(db.knex.migrate.latest({ migrationSource, tableName: MIGRATIONS_TABLE })).rejects.toThrow(/already locked/);

      await migrateDeploymentStore(db.knex, { lockTimeoutMs: 5_000 });
      expect(await pendingMigrations(db.knex)).toEqual([]);
      expect(await db.knex.schema.hasTable(DEPLOYMENTS_TABLE)).toBe(true);
      expect(await db.knex(lockTable).select('is_locked')).toEqual([{ is_locked: 0 }]);
    } finally {
      await db.destroy();
    }
  });

  for (let round = 1; round <= ROUNDS; round++) {
    it(`${PROCESSES} processes migrating a fresh database at once all succeed (round ${round})`, async () => {
      const db = await createTestDatabase(id);
      const children: Child[] = [];
      try {
        for (let i = 0; i < PROCESSES; i++) children.push(spawnHelper('migrate-child.ts', { [CHILD_DB_ENV]: JSON.stringify(db.connection) }));
        // Every process is connected before any starts, so the migrations really run together.
        expect(await Promise.all(children.map((c) => c.next()))).toEqual(children.map(() => ({ ready: true })));
        for (const c of children) c.send('go');
        const reports = await Promise.all(children.map((c) => c.next<{ ok: boolean; error?: string }>()));
        expect(reports.filter((r) => !r.ok)).toEqual([]);

        expect(await db.knex.schema.hasTable(DEPLOYMENTS_TABLE)).toBe(true);
        const applied = (await db.knex(MIGRATIONS_TABLE).select('name')) as Array<{ name: string }>;
        expect(applied.map((m) => m.name)).toEqual(MIGRATIONS.map((m) => m.name));
        expect(await pendingMigrations(db.knex)).toEqual([]);
        const targets = (await db.knex(DEPLOYMENTS_TABLE).select('target').orderBy('target')) as Array<{ target: string }>;
        expect(targets.map((t) => t.target)).toEqual(children.map((c) => `pid-${c.pid}`).sort());
        expect(await Promise.all(children.map((c) => c.exited()))).toEqual(children.map(() => 0));
      } finally {
        await Promise.all(children.map((c) => c.stop()));
        await db.destroy();
      }
    });
  }
});
