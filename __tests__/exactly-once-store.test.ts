/**
 * Exactly once, at the store: a record's `uid` makes every write idempotent. Writing the same batch again
 * (as a writer does after a connection broke while its INSERT committed) stores nothing new and answers
 * the stored records, on every database, from one store or from two instances racing.
 */
import { randomUUID } from 'node:crypto';
import { knex as createKnex } from 'knex';
import { EventEmitter } from 'node:events';
import { FIXTURES, feedApp } from './helpers/feed-app';
import { download } from './helpers/feed-outcomes';
import { createKnexStore, feedDeployments, validateDeployment, DEPLOYMENTS_TABLE, type KnexDeploymentStore, type NewDeployment } from '../lib';
import { databaseIds, withStoreOn, type TestDatabase } from './helpers/databases';

function deployment(target: string, uid?: string): NewDeployment {
  const result = validateDeployment({ Application: 'BuildMaster', Description: '', Target: target, FeedName: 'Products', PackageName: 'ProGet', Version: '1.0.0' });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return { ...result.deployment, uid: uid ?? randomUUID() };
}

async function countByTarget(db: TestDatabase): Promise<Map<string, number>> {
  const rows = (await db.knex(DEPLOYMENTS_TABLE).select('target').count({ n: '*' }).groupBy('target')) as Array<{ target: string; n: number | string }>;
  return new Map(rows.map((r) => [r.target, Number(r.n)]));
}

describe.each(databaseIds())('record identity on %s', (id) => {
  let db: TestDatabase;
  let store: KnexDeploymentStore;

  withStoreOn(id, (d, s) => {
    db = d;
    store = s;
  });

  it('a batch written twice is stored once, and both writes answer the same records and ids', async () => {
    const batch = Array.from({ length: 25 }, (_, i) => deployment(`twice-${i}`));
    const first = await store.record(batch);
    const second = await store.record(batch);
    expect(second).toEqual(first);
    expect(first.map((r) => r.uid)).toEqual(batch.map((d) => d.uid));
    const counts = await countByTarget(db);
    for (let i = 0; i < 25; i++) expect(counts.get(`twice-${i}`)).toBe(1);
  });

  it('a batch mixing stored and new records stores only the new ones, answering all in order', async () => {
    const old = [deployment('mix-a'), deployment('mix-b')];
    const [a, b] = await store.record(old);
    const fresh = deployment('mix-c');
    const answer = await store.record([old[1]!, fresh, old[0]!]);
    expect(answer.map((r) => r.target)).toEqual(['mix-b', 'mix-c', 'mix-a']);
    expect(answer[0]!.id).toBe(b!.id);
    expect(answer[2]!.id).toBe(a!.id);
    expect(Number(answer[1]!.id)).toBeGreaterThan(0);
    const counts = await countByTarget(db);
    expect([counts.get('mix-a'), counts.get('mix-b'), counts.get('mix-c')]).toEqual([1, 1, 1]);
  });

  it('two store instances racing to write the same batches store each record once', async () => {
    // The same database through a second knex instance (SQLite: the same file's one connection).
    const second = db.id === 'sqlite' ? db.knex : createKnex({ ...(db.connection as object), pool: { min: 0, max: 4 } } as never);
    const storeB = createKnexStore({ knex: second });
    try {
      const batches = Array.from({ length: 10 }, (_, b) => Array.from({ length: 20 }, (_, i) => deployment(`race-${b}-${i}`)));
      await Promise.all(batches.flatMap((batch) => [store.record(batch), storeB.record(batch), store.record(batch)]));
      const counts = await countByTarget(db);
      for (const batch of batches) for (const d of batch) expect([d.target, counts.get(d.target)]).toEqual([d.target, 1]);
    } finally {
      await storeB.close();
      if (second !== db.knex) await second.destroy();
    }
  });

  it('the feed middleware: a write whose answer is lost is written again once the store answers, and stored once', async () => {
    // The first write reaches the database, then the connection breaks before the answer comes back.
    let breaks = 1;
    const flaky = { ...store, record: async (ds: readonly NewDeployment[]) => {
      const stored = await store.record(ds);
      if (breaks-- > 0) throw Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
      return stored;
    } };
    const events = new EventEmitter();
    const deployed: string[] = [];
    const lost: Array<{ maybeStored?: boolean; n: number }> = [];
    events.on('deployed', (r: { target: string }) => deployed.push(r.target));
    events.on('deployment-lost', (l: { maybeStored?: boolean; deployments: unknown[] }) => lost.push({ maybeStored: l.maybeStored, n: l.deployments.length }));
    const mw = feedDeployments({ store: flaky, events, logger: { warn() {}, error() {} }, batch: { retries: 0, retryDelayMs: 1 } });
    const app = feedApp(mw);
    const url = `/upack/Flaky/download/${FIXTURES.upack.group}/${FIXTURES.upack.name}/${FIXTURES.upack.version}`;
    const headers = (t: string) => ({ 'X-ProGet-Deployment-Application': 'A', 'X-ProGet-Deployment-Description': '', 'X-ProGet-Deployment-Target': t });
    await download(app, url, headers('parked-1'));
    await new Promise((r) => setTimeout(r, 20));
    await download(app, url, headers('parked-2'));
    await mw.close();
    expect(lost).toEqual([]);
    expect(deployed.sort()).toEqual(['parked-1', 'parked-2']);
    const counts = await countByTarget(db);
    expect([counts.get('parked-1'), counts.get('parked-2')]).toEqual([1, 1]);
    expect(mw.stats()).toMatchObject({ queued: 0, recorded: 2, lost: 0 });
  });

  it('the feed middleware: records whose fate stays unknown are reported lost with maybeStored, and stored once at most', async () => {
    const broken = { ...store, record: async (ds: readonly NewDeployment[]) => {
      await store.record(ds);
      throw Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
    } };
    const events = new EventEmitter();
    const lost: Array<{ maybeStored?: boolean; targets: string[] }> = [];
    events.on('deployment-lost', (l: { maybeStored?: boolean; deployments: NewDeployment[] }) => lost.push({ maybeStored: l.maybeStored, targets: l.deployments.map((d) => d.target) }));
    const mw = feedDeployments({ store: broken, events, logger: { warn() {}, error() {} }, batch: { retries: 1, retryDelayMs: 1 } });
    const url = `/upack/Flaky/download/${FIXTURES.upack.group}/${FIXTURES.upack.name}/${FIXTURES.upack.version}`;
    await download(feedApp(mw), url, { 'X-ProGet-Deployment-Application': 'A', 'X-ProGet-Deployment-Description': '', 'X-ProGet-Deployment-Target': 'unknown-fate' });
    await mw.close();
    expect(lost).toEqual([{ maybeStored: true, targets: ['unknown-fate'] }]);
    expect((await countByTarget(db)).get('unknown-fate')).toBe(1);
  });

  it('a record without a uid gets a random one', async () => {
    const { uid: _uid, ...plain } = deployment('no-uid');
    const [stored] = await store.record([plain]);
    expect(stored!.uid).toMatch(/^[0-9a-f-]{36}$/);
  });

  // SQLite does not enforce column widths; the others refuse a value too long. The idempotent INSERT
  // must not turn that error into a warning (as MySQL's INSERT IGNORE would).
  (id === 'sqlite' ? it.skip : it)('a value the database refuses is still an error, not silently skipped', async () => {
    const bad = { ...deployment('too-long'), version: 'v'.repeat(500) };
    await expect(store.record([bad])).rejects.toThrow();
    expect((await countByTarget(db)).get('too-long')).toBeUndefined();
  });
});
