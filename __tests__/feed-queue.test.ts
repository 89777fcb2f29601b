/**
 * The recording queue under the feed middleware: a store that is down during downloads (every download
 * still succeeds, the losses are counted), a store that recovers (retries), batches, a bounded queue,
 * close() flushing, and the write path on every database of the test matrix.
 */
import { EventEmitter } from 'node:events';
import { knex as createKnex } from 'knex';
import request from 'supertest';
import {
  apiKeyAuth,
  createKnexStore,
  feedDeployments,
  type DeploymentStore,
  type FeedDeploymentsOptions,
  type FeedDeploymentsMiddleware,
  type KnexDeploymentStore,
  type NewDeployment,
} from '../lib';
import { createTestDatabase, databaseIds, type TestDatabase } from './helpers/databases';
import { FIXTURES, feedApp } from './helpers/feed-app';
import { download, watchOutcomes } from './helpers/feed-outcomes';
import { memoryLogger } from './helpers/fixtures';

const auth = apiKeyAuth({ keys: [{ name: 'buildmaster', key: 'abc12345' }] });
const URL_ = '/nuget/DefaultNuGet/package/Inedo.Demo/1.2.3';
const headers = (target: string) => ({
  'X-ProGet-Deployment-Application': 'BuildMaster',
  'X-ProGet-Deployment-Description': '',
  'X-ProGet-Deployment-Target': target,
  Authorization: 'basic YXBpOmFiYzEyMzQ1',
});

const unavailable = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

/** Waits, turn by turn of the event loop, until `condition` holds (no timers). */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100_000 && !condition(); i++) await new Promise((resolve) => setImmediate(resolve));
  if (!condition()) throw new Error('condition never held');
}

/** A store whose writes wait for `open()`; records the size of every batch it is given. */
function gated(inner: DeploymentStore) {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => { open = resolve; });
  const calls: number[] = [];
  const store: DeploymentStore = {
    init: () => inner.init?.(),
    async record(deployments) {
      calls.push(deployments.length);
      await gate;
      return inner.record(deployments);
    },
    list: (q) => inner.list(q),
  };
  return { store, calls, open: () => open() };
}

let db: TestDatabase;
let store: KnexDeploymentStore;
const opened: FeedDeploymentsMiddleware[] = [];

beforeAll(async () => {
  db = await createTestDatabase('sqlite');
  store = createKnexStore({ knex: db.knex });
  await store.init();
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((m) => m.close()));
});
afterAll(async () => {
  await store.close();
  await db.destroy();
});

function setup(options: Partial<FeedDeploymentsOptions>) {
  const events = new EventEmitter();
  const logger = memoryLogger();
  const mw = feedDeployments({ store, auth, events, logger, ...options, batch: { retryDelayMs: 1, ...options.batch } });
  opened.push(mw);
  return { app: feedApp(mw), mw, logger, outcomes: watchOutcomes(events) };
}

let n = 0;
const uniqueTarget = () => `queue-${++n}-${Date.now()}`;

describe('a store that is down during downloads', () => {
  it('lets every download succeed, byte for byte, and counts every record lost', async () => {
    const attempts: number[] = [];
    const down: DeploymentStore = { record: async (d) => { attempts.push(d.length); throw unavailable(); }, list: (q) => store.list(q) };
    const { app, mw, logger, outcomes } = setup({ store: down, batch: { retries: 2, maxSize: 10 } });
    const target = uniqueTarget();
    const results = await Promise.all(Array.from({ length: 25 }, () => download(app, URL_, headers(target))));
    for (const res of results) {
      expect(res.status).toBe(200);
      expect(res.body.equals(FIXTURES.nuget.bytes)).toBe(true);
    }
    await outcomes.settled(25);
    await mw.flush();
    expect(mw.stats()).toEqual({ queued: 0, recorded: 0, lost: 25, skipped: 0, warnings: 0 });
    expect(outcomes.lost.every((l) => l.reason === 'store_failed' && (l.error as { code: string }).code === 'ECONNREFUSED')).toBe(true);
    // Each batch was tried 1 + retries times, never more.
    expect(attempts.reduce((a, b) => a + b, 0)).toBe(25 * 3);
    expect(logger.lines.some((l) => l.startsWith('error: package-deployments:') && l.includes('lost: the store failed: connect ECONNREFUSED'))).toBe(true);
  });

  it('on a real knex store whose database cannot be reached', async () => {
    const unreachable = createKnex({ client: 'pg', connection: 'postgres://postgres@127.0.0.1:1/none', pool: { min: 0, max: 1 }, acquireConnectionTimeout: 5000,
      log: { warn: () => undefined, error: () => undefined, debug: () => undefined, deprecate: () => undefined } });
    const deadStore = createKnexStore({ knex: unreachable });
    try {
      const { app, mw, outcomes } = setup({ store: deadStore, batch: { retries: 1 } });
      const results = await Promise.all(Array.from({ length: 5 }, () => download(app, URL_, headers(uniqueTarget()))));
      expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
      await outcomes.settled(5);
      expect(mw.stats()).toMatchObject({ recorded: 0, lost: 5, queued: 0 });
    } finally {
      await unreachable.destroy();
    }
  });

  it('records everything once the store comes back within the retries', async () => {
    let failures = 2;
    const flaky: DeploymentStore = {
      record: async (d) => {
        if (failures-- > 0) throw unavailable();
        return store.record(d);
      },
      list: (q) => store.list(q),
    };
    const { app, mw, outcomes } = setup({ store: flaky, batch: { retries: 3 } });
    const target = uniqueTarget();
    await Promise.all(Array.from({ length: 10 }, () => download(app, URL_, headers(target))));
    await outcomes.settled(10);
    expect(mw.stats()).toMatchObject({ recorded: 10, lost: 0 });
    expect((await store.list({ target })).records).toHaveLength(10);
  });

  it('loses only the record the store refuses for its data, not the rest of its batch', async () => {
    const { store: gate, open } = gated(store);
    const picky: DeploymentStore = {
      record: async (d: readonly NewDeployment[]) => {
        if (d.some((x) => x.target.endsWith('-bad'))) throw new Error('CHECK constraint failed: target');
        return gate.record(d);
      },
      list: (q) => store.list(q),
    };
    const { app, mw, outcomes } = setup({ store: picky, batch: { retries: 1 } });
    const target = uniqueTarget();
    await Promise.all([
      download(app, URL_, headers(target)),
      download(app, URL_, headers(`${target}-bad`)),
      download(app, URL_, headers(target)),
    ]);
    open();
    await outcomes.settled(3);
    expect(mw.stats()).toMatchObject({ recorded: 2, lost: 1 });
    expect(outcomes.lost[0]!.deployments.map((d) => d.target)).toEqual([`${target}-bad`]);
  });
});

describe('batches and bounds', () => {
  it('writes queued records in batches of at most maxSize', async () => {
    const { store: slow, calls, open } = gated(store);
    const { app, mw, outcomes } = setup({ store: slow, batch: { maxSize: 10 } });
    const target = uniqueTarget();
    await Promise.all(Array.from({ length: 30 }, () => download(app, URL_, headers(target))));
    await until(() => mw.stats().queued === 30);
    open();
    await outcomes.settled(30);
    expect(calls.reduce((a, b) => a + b, 0)).toBe(30);
    expect(Math.max(...calls)).toBeLessThanOrEqual(10);
    expect(calls.length).toBeLessThanOrEqual(4);
    expect((await store.list({ target })).records).toHaveLength(30);
  });

  it('loses (and reports) records beyond maxPending instead of growing', async () => {
    const { store: slow, open } = gated(store);
    const { app, mw, outcomes } = setup({ store: slow, batch: { maxPending: 3 } });
    await Promise.all(Array.from({ length: 6 }, () => download(app, URL_, headers(uniqueTarget()))));
    await until(() => mw.stats().queued + mw.stats().lost === 6);
    expect(mw.stats()).toMatchObject({ queued: 3, lost: 3 });
    expect(outcomes.lost.map((l) => l.reason)).toEqual(['queue_full', 'queue_full', 'queue_full']);
    open();
    await outcomes.settled(6);
    expect(mw.stats()).toMatchObject({ queued: 0, recorded: 3, lost: 3 });
  });
});

describe('close()', () => {
  it('flushes what is queued before it resolves; later downloads still succeed and are counted lost', async () => {
    const { store: slow, open } = gated(store);
    const events = new EventEmitter();
    const mw = feedDeployments({ store: slow, auth, events, logger: memoryLogger() });
    const outcomes = watchOutcomes(events);
    const app = feedApp(mw);
    const target = uniqueTarget();
    await Promise.all(Array.from({ length: 5 }, () => download(app, URL_, headers(target))));
    await until(() => mw.stats().queued === 5);
    let closed = false;
    const closing = mw.close().then(() => { closed = true; });
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toBe(false);
    open();
    await closing;
    expect(mw.stats()).toMatchObject({ queued: 0, recorded: 5, lost: 0 });
    expect((await store.list({ target })).records).toHaveLength(5);

    const after = await request(app).get(URL_).set(headers(target));
    expect(after.status).toBe(200);
    await outcomes.settled(6);
    expect(outcomes.lost).toEqual([expect.objectContaining({ reason: 'closed' })]);
    expect(mw.stats().lost).toBe(1);
  });

  it('closes the default store it created, and only that', async () => {
    const closes: string[] = [];
    const mine: DeploymentStore = { record: (d) => store.record(d), list: (q) => store.list(q), close: () => { closes.push('passed-in'); } };
    await feedDeployments({ store: mine }).close();
    expect(closes).toEqual([]);
    const own = feedDeployments({ store: undefined });
    await expect(own.store.list({ limit: 1 }).then((page) => Array.isArray(page.records))).resolves.toBe(true);
    await own.close();
    await expect(own.store.list({ limit: 1 })).rejects.toThrow(/The store is closed/);
  });
});

describe.each(databaseIds())('feed downloads recorded on %s', (id) => {
  let database: TestDatabase;
  let dbStore: KnexDeploymentStore;
  beforeAll(async () => {
    database = await createTestDatabase(id);
    dbStore = createKnexStore({ knex: database.knex });
  });
  afterAll(async () => {
    await dbStore.close();
    await database.destroy();
  });

  it('writes concurrent downloads in batches, every field read back as sent', async () => {
    const { app, mw, outcomes } = setup({ store: dbStore, batch: { maxSize: 7 } });
    const urls = [
      '/upack/Products/download/InedoReleases/sub/ProGet/5.3.38',
      '/npm/npm-packages/@demo/left-pad/-/left-pad-1.0.0.tgz',
      '/nuget/DefaultNuGet/v3/flatcontainer/inedo.demo/1.2.3/inedo.demo.1.2.3.nupkg',
    ];
    const results = await Promise.all(Array.from({ length: 21 }, (_, i) =>
      download(app, urls[i % 3]!, { ...headers(`db-${id}-${i}`), 'X-ProGet-Deployment-Date': '2024-05-01T12:00:00Z', 'X-ProGet-Deployment-Url': `https://ci.example/builds/${i}` })));
    expect(results.every((r) => r.status === 200)).toBe(true);
    await outcomes.settled(21);
    expect(mw.stats()).toMatchObject({ recorded: 21, lost: 0 });
    const { records } = await dbStore.list({ limit: 100 });
    expect(records).toHaveLength(21);
    const upack = records.find((r) => r.target === `db-${id}-0`)!;
    expect(upack).toMatchObject({ feedName: 'Products', groupName: 'InedoReleases/sub', packageName: 'ProGet', version: '5.3.38', userName: 'buildmaster', url: 'https://ci.example/builds/0', description: '' });
    expect(upack.date.toISOString()).toBe('2024-05-01T12:00:00.000Z');
    expect(records.find((r) => r.target === `db-${id}-1`)).toMatchObject({ groupName: '@demo', packageName: 'left-pad', version: '1.0.0' });
    expect(new Set(outcomes.deployed.map((d) => d.record.id)).size).toBe(21);
  });
});
