/** The one storage suite, run over every database the machine has (see helpers/databases.ts). */
import {
  createKnexStore,
  migrateDeploymentStore,
  pendingMigrations,
  rollbackDeploymentStore,
  validateDeployment,
  DEPLOYMENTS_TABLE,
  MIGRATIONS_TABLE,
  type KnexDeploymentStore,
  type NewDeployment,
} from '../lib';
import { createTestDatabase, databaseIds, type TestDatabase } from './helpers/databases';

function deployment(overrides: Record<string, string> = {}): NewDeployment {
  const result = validateDeployment({
    Application: 'BuildMaster', Description: 'Deployed by Get-Package', Target: 'web-01', FeedName: 'Products',
    PackageName: 'ProGet', Version: '5.3.38', ...overrides,
  }, { receivedAt: new Date('2024-06-01T00:00:00.000Z') });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.deployment;
}

describe.each(databaseIds())('knex store on %s', (id) => {
  let db: TestDatabase;
  let store: KnexDeploymentStore;

  beforeAll(async () => {
    db = await createTestDatabase(id);
    store = createKnexStore({ knex: db.knex });
  });
  afterAll(async () => {
    await store.close();
    await db.destroy();
  });

  it('migrates on first use, into its own migrations table', async () => {
    expect(await db.knex.schema.hasTable(DEPLOYMENTS_TABLE)).toBe(false);
    await store.init();
    expect(await db.knex.schema.hasTable(DEPLOYMENTS_TABLE)).toBe(true);
    expect(await db.knex.schema.hasTable(MIGRATIONS_TABLE)).toBe(true);
    expect(await db.knex.schema.hasTable('knex_migrations')).toBe(false);
    expect(await pendingMigrations(db.knex)).toEqual([]);
  });

  it('running the migrations again is harmless', async () => {
    await migrateDeploymentStore(db.knex);
    await migrateDeploymentStore(db.knex);
    expect(await pendingMigrations(db.knex)).toEqual([]);
  });

  it('records every contract field, an id and the received time, and reads them back', async () => {
    const input = deployment({ GroupName: 'InedoReleases/sub', UserName: 'alice', Url: 'https://bm.example/builds/7', Date: '2024-05-01T12:00:00+02:00' });
    const [stored] = await store.record([input]);
    expect(stored).toEqual({ ...input, id: expect.stringMatching(/^\d+$/), uid: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const page = await store.list({ feedName: 'Products', groupName: 'InedoReleases/sub', packageName: 'ProGet' });
    expect(page.records).toEqual([stored]);
    expect(page.records[0]!.date.toISOString()).toBe('2024-05-01T10:00:00.000Z');
    expect(page.records[0]!.receivedAt.toISOString()).toBe('2024-06-01T00:00:00.000Z');
  });

  it('records a batch in one call, with distinct ids in order', async () => {
    const batch = [1, 2, 3].map((n) => deployment({ Target: `batch-${n}`, Date: `2024-01-0${n}T00:00:00Z` }));
    const stored = await store.record(batch);
    expect(stored.map((r) => r.target)).toEqual(['batch-1', 'batch-2', 'batch-3']);
    const ids = stored.map((r) => Number(r.id));
    expect(new Set(ids).size).toBe(3);
    for (const r of stored) {
      const page = await store.list({ target: r.target });
      expect(page.records.map((x) => x.id)).toEqual([r.id]);
    }
  });

  it('a failing batch stores none of its records', async () => {
    const before = (await store.list({ limit: 1000 })).records.length;
    // NOT NULL is enforced by every database (SQLite does not enforce varchar widths; the validator does).
    const bad = { ...deployment({ Target: 'atomic-1' }), application: null as unknown as string };
    let rejected = false;
    try {
      await store.record([deployment({ Target: 'atomic-0' }), bad]);
    } catch {
      rejected = true;
    }
    expect(rejected).toBe(true);
    expect((await store.list({ limit: 1000 })).records.length).toBe(before);
  });

  it('lists newest first (deployment date, then id) with a stable cursor', async () => {
    const feed = 'PagingFeed';
    const same = '2024-02-02T00:00:00Z';
    await store.record([
      deployment({ FeedName: feed, Target: 'a', Date: '2024-02-01T00:00:00Z' }),
      deployment({ FeedName: feed, Target: 'b', Date: same }),
      deployment({ FeedName: feed, Target: 'c', Date: same }),
      deployment({ FeedName: feed, Target: 'd', Date: '2024-02-03T00:00:00Z' }),
    ]);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.list({ feedName: feed, limit: 3, cursor });
      seen.push(...page.records.map((r) => r.target));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['d', 'c', 'b', 'a']);
  });

  it('filters by target prefix (case-sensitively), application, user and time window', async () => {
    await store.record([
      deployment({ FeedName: 'FilterFeed', Target: 'web-01', Application: 'Octopus', UserName: 'bob', Date: '2024-03-01T00:00:00Z' }),
      deployment({ FeedName: 'FilterFeed', Target: 'WEB-02', Application: 'Octopus', Date: '2024-03-02T00:00:00Z' }),
      deployment({ FeedName: 'FilterFeed', Target: 'web_03', Application: 'BuildMaster', Date: '2024-03-03T00:00:00Z' }),
    ]);
    const targets = async (q: Record<string, unknown>) => (await store.list({ feedName: 'FilterFeed', ...q })).records.map((r) => r.target);
    expect(await targets({ targetPrefix: 'web' })).toEqual(['web_03', 'web-01']);
    expect(await targets({ targetPrefix: 'web_' })).toEqual(['web_03']);
    expect(await targets({ application: 'Octopus' })).toEqual(['WEB-02', 'web-01']);
    expect(await targets({ userName: 'bob' })).toEqual(['web-01']);
    expect(await targets({ since: new Date('2024-03-02T00:00:00Z'), until: new Date('2024-03-03T00:00:00Z') })).toEqual(['WEB-02']);
  });

  it('round-trips long strings and Unicode', async () => {
    const description = 'Déploiement 🚀 — 部署 '.repeat(150).trim();
    expect(description.length).toBeLessThanOrEqual(4000);
    const [stored] = await store.record([deployment({ FeedName: 'Unicode', Description: description, Target: 'サーバー-01', PackageName: 'Ünïcödé.Package' })]);
    const [read] = (await store.list({ feedName: 'Unicode' })).records;
    expect(read).toEqual(stored);
    expect(read!.description).toBe(description);
  });

  it('exact matches are case-sensitive on every database', async () => {
    await store.record([deployment({ FeedName: 'CaseFeed', PackageName: 'Newtonsoft.Json' })]);
    expect((await store.list({ feedName: 'CaseFeed', packageName: 'newtonsoft.json' })).records).toHaveLength(0);
    expect((await store.list({ feedName: 'CaseFeed', packageName: 'Newtonsoft.Json' })).records).toHaveLength(1);
  });

  it('rejects a bad cursor and a bad limit with a 400-style error', async () => {
    await expect(store.list({ cursor: 'garbage' })).rejects.toMatchObject({ status: 400, code: 'bad_query' });
    await expect(store.list({ limit: 5000 })).rejects.toMatchObject({ status: 400 });
  });

  it('rolls every migration back down, and up again', async () => {
    await rollbackDeploymentStore(db.knex, { all: true });
    expect(await db.knex.schema.hasTable(DEPLOYMENTS_TABLE)).toBe(false);
    expect(await pendingMigrations(db.knex)).toEqual(expect.arrayContaining(['001_create_package_deployments']));
    await migrateDeploymentStore(db.knex);
    expect(await db.knex.schema.hasTable(DEPLOYMENTS_TABLE)).toBe(true);
  });
});
