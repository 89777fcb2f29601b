/**
 * A process that migrates the database named by PD_TEST_CHILD_DB when told "go" on stdin, records one
 * deployment through a store of its own, and reports on stdout. Used by migrations-concurrency.test.ts.
 */
import { createInterface } from 'node:readline';
import { createKnexStore } from '../../lib/store/knex-store';
import { migrateDeploymentStore } from '../../lib/store/migrations';
import { validateDeployment } from '../../lib/record/validate';
import { CHILD_DB_ENV, knexFromConnection } from './processes';

const say = (message: object) => process.stdout.write(`${JSON.stringify(message)}\n`);

async function main(): Promise<void> {
  const knex = knexFromConnection(JSON.parse(process.env[CHILD_DB_ENV]!));
  try {
    await knex.raw('select 1'); // connected before the start signal, so that the migrations start together
    const lines = createInterface({ input: process.stdin });
    say({ ready: true });
    await new Promise<void>((resolve) => lines.once('line', () => resolve()));
    lines.close();
    process.stdin.destroy(); // nothing more to read: let the process exit when done
    const started = Date.now();
    try {
      await migrateDeploymentStore(knex, { lockTimeoutMs: 20_000 });
      const result = validateDeployment({
        Application: 'migrate-child', Description: '', Target: `pid-${process.pid}`, FeedName: 'Feed', PackageName: 'Pkg', Version: '1.0.0',
      });
      if (!result.ok) throw new Error(JSON.stringify(result.problems));
      await createKnexStore({ knex, migrate: false }).record([result.deployment]);
      say({ ok: true, ms: Date.now() - started });
    } catch (err) {
      say({ ok: false, error: (err as Error).message });
    }
  } finally {
    await knex.destroy();
  }
}

void main();
