/**
 * Crash safety: the server is killed with SIGKILL in the middle of a load, then restarted on the same
 * database. Every request that was answered 200 is stored, exactly once; nothing is stored twice.
 * Each request carries a unique Target to count it by.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { migrateDeploymentStore } from '../lib';
import { SAMPLE } from './helpers/fixtures';
import { createTestDatabase, databaseIds, type TestDatabase } from './helpers/databases';
import { rawRequest } from './helpers/http';

const SERVER = join(__dirname, 'helpers', 'crash-server.js');

interface Child { child: ChildProcess; url: string; exited: Promise<unknown> }

function startServer(db: TestDatabase): Promise<Child> {
  const child = spawn(process.execPath, [SERVER], {
    env: { ...process.env, PD_CRASH_DB: JSON.stringify(db.connection) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = once(child, 'exit');
  return new Promise((resolve, reject) => {
    const onData = (c: Buffer) => {
      out += c.toString();
      const match = /listening (\d+)/.exec(out);
      if (match) resolve({ child, url: `http://127.0.0.1:${match[1]}/api/package-deployment/`, exited });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => { out += c.toString(); });
    child.on('exit', (code) => reject(new Error(`crash server exited (${code}) before listening:\n${out}`)));
  });
}

describe.each(databaseIds())('SIGKILL in the middle of a load on %s', (id) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(id);
    await migrateDeploymentStore(db.knex);
  });
  afterAll(() => db.destroy());

  it('every request answered 200 is stored exactly once after a restart', async () => {
    const server = await startServer(db);
    const answered = new Map<string, number | 'lost'>();
    let ok = 0;
    let killed = false;
    let next = 0;
    let reachedTarget!: () => void;
    const target = new Promise<void>((r) => { reachedTarget = r; });

    const worker = async () => {
      while (!killed) {
        const marker = `crash-${id}-${next++}`;
        try {
          const res = await rawRequest(server.url, { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ ...SAMPLE, Target: marker }) });
          answered.set(marker, res.status);
          if (res.status === 200 && ++ok === 150) reachedTarget();
        } catch {
          answered.set(marker, 'lost'); // the connection died with the server: the client never heard
        }
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    await target;
    killed = true;
    server.child.kill('SIGKILL');
    await server.exited;
    await Promise.all(workers);

    // Restarted on the same database, it records again.
    const again = await startServer(db);
    const after = await rawRequest(again.url, { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ ...SAMPLE, Target: `crash-${id}-after` }) });
    expect(after.status).toBe(200);
    again.child.kill('SIGKILL');
    await again.exited;

    const rows = (await db.knex('package_deployments').select('target').count({ n: '*' }).groupBy('target')) as Array<{ target: string; n: number | string }>;
    const stored = new Map(rows.map((r) => [r.target, Number(r.n)]));
    const statuses = [...answered.values()];
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(150);
    expect(statuses.every((s) => s === 200 || s === 'lost')).toBe(true);
    for (const [marker, status] of answered) {
      if (status === 200) expect([marker, stored.get(marker)]).toEqual([marker, 1]);
    }
    for (const [marker, n] of stored) expect([marker, n]).toEqual([marker, 1]);
    expect(stored.get(`crash-${id}-after`)).toBe(1);
    if (process.env.PD_CRASH_REPORT) process.stdout.write(`CRASH ${id}: ${statuses.filter((s) => s === 200).length} answered 200, ${statuses.filter((s) => s === "lost").length} lost in flight, of which stored: ${[...answered].filter(([m, s]) => s === "lost" && stored.has(m)).length}\n`);
  });
});
