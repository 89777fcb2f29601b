/** The store's read queries (history, running now, ranges, stream, count), over every database. */
import {
  migrateDeploymentStore,
  parseVersionRange,
  pendingMigrations,
  rollbackDeploymentStore,
  validateDeployment,
  type DeploymentQuery,
  type DeploymentRecord,
  type KnexDeploymentStore,
  type NewDeployment,
  MIGRATIONS_TABLE,
} from '../lib';
import { MIGRATIONS, migrationSource } from '../lib/store/migrations';
import { databaseIds, withStoreOn, type TestDatabase } from './helpers/databases';

function deployment(overrides: Record<string, string> = {}): NewDeployment {
  const result = validateDeployment({
    Application: 'Octopus', Description: '', Target: 'web-01', FeedName: 'DefaultNuGet', PackageName: 'Newtonsoft.Json', Version: '12.0.3',
    ...overrides,
  }, { receivedAt: new Date('2024-06-01T00:00:00.000Z') });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.deployment;
}

const day = (n: number) => `2024-01-${String(n).padStart(2, '0')}T00:00:00Z`;

describe.each(databaseIds())('read queries on %s', (id) => {
  let db: TestDatabase;
  let store: KnexDeploymentStore;

  withStoreOn(id, (d, s) => {
    db = d;
    store = s;
  });

  async function all(query: DeploymentQuery, limit = 3): Promise<DeploymentRecord[]> {
    const seen: DeploymentRecord[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.list({ ...query, limit, cursor });
      expect(page.records.length).toBeLessThanOrEqual(limit);
      seen.push(...page.records);
      cursor = page.nextCursor;
    } while (cursor);
    return seen;
  }

  describe('running now', () => {
    const feed = 'RunningFeed';
    beforeAll(async () => {
      await store.record([
        // web-01: upgraded, then rolled back: running 12.0.3 now, although 13.0.1 is higher.
        deployment({ FeedName: feed, Target: 'web-01', Version: '12.0.3', Date: day(1) }),
        deployment({ FeedName: feed, Target: 'web-01', Version: '13.0.1', Date: day(2) }),
        deployment({ FeedName: feed, Target: 'web-01', Version: '12.0.3', Date: day(3) }),
        // web-02: an old vulnerable version, then upgraded: not matching <13.0.1 now.
        deployment({ FeedName: feed, Target: 'web-02', Version: '11.0.1', Date: day(1) }),
        deployment({ FeedName: feed, Target: 'web-02', Version: '13.0.3', Date: day(4) }),
        // web-03: two records at the same instant: the later id wins.
        deployment({ FeedName: feed, Target: 'web-03', Version: '13.0.3', Date: day(5) }),
        deployment({ FeedName: feed, Target: 'web-03', Version: '12.0.1', Date: day(5) }),
        // Another package and a grouped namesake on the same target do not interfere.
        deployment({ FeedName: feed, Target: 'web-02', PackageName: 'Other', Version: '1.0.0', Date: day(9) }),
        deployment({ FeedName: feed, Target: 'web-02', GroupName: 'acme', Version: '1.0.0', Date: day(9) }),
      ]);
    });

    it('is the latest record per target by date, then id, never the highest version', async () => {
      const page = await store.current({ feedName: feed, groupName: '', packageName: 'Newtonsoft.Json' });
      expect(page.records.map((r) => [r.target, r.version])).toEqual([['web-03', '12.0.1'], ['web-02', '13.0.3'], ['web-01', '12.0.3']]);
    });

    it('with a range, tests each target\'s current version only: an older matching record does not count', async () => {
      const versionRange = parseVersionRange('nuget', '(,13.0.1)');
      const page = await store.current({ feedName: feed, groupName: '', packageName: 'Newtonsoft.Json', versionRange });
      expect(page.records.map((r) => r.target)).toEqual(['web-03', 'web-01']);
      expect(await store.count({ feedName: feed, groupName: '', packageName: 'Newtonsoft.Json', versionRange, current: true })).toBe(2);
    });

    it('filters other than the range also apply to the current record', async () => {
      const page = await store.current({ feedName: feed, groupName: '', packageName: 'Newtonsoft.Json', version: '13.0.1' });
      expect(page.records).toEqual([]);
      const byPrefix = await store.current({ feedName: feed, groupName: '', packageName: 'Newtonsoft.Json', targetPrefix: 'web-0', since: new Date(day(4)) });
      expect(byPrefix.records.map((r) => r.target)).toEqual(['web-03', 'web-02']);
    });

    it('without a group, covers every group, each on its own', async () => {
      const page = await store.current({ feedName: feed, packageName: 'Newtonsoft.Json', target: 'web-02' });
      expect(page.records.map((r) => [r.groupName ?? '', r.version])).toEqual([['acme', '1.0.0'], ['', '13.0.3']]);
    });

    it('pages with a cursor', async () => {
      const seen = await all({ feedName: feed, groupName: '', packageName: 'Newtonsoft.Json', current: true }, 1);
      expect(seen.map((r) => r.target)).toEqual(['web-03', 'web-02', 'web-01']);
    });

    it('needs a package: a 400 naming the parameter', async () => {
      await expect(store.list({ feedName: feed, current: true })).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/^package: required/) });
      await expect(store.list({ packageName: 'x', versionRange: parseVersionRange('semver', '<1') })).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/^feed: required/) });
    });
  });

  describe('history with a version range', () => {
    const feed = 'RangeFeed';
    const matching: string[] = [];
    beforeAll(async () => {
      // 2,400 records, newest first: a matching one every 700, so pages need several database round trips.
      const batch: NewDeployment[] = [];
      for (let i = 0; i < 2400; i++) {
        const match = i % 700 === 0;
        const target = `t-${i}`;
        const date = new Date(Date.UTC(2023, 0, 1) + i * 60_000).toISOString();
        batch.push(deployment({ FeedName: feed, Target: target, Version: match ? '1.5.0' : '2.0.0', Date: date }));
        if (match) matching.unshift(target);
      }
      for (let i = 0; i < batch.length; i += 400) await store.record(batch.slice(i, i + 400));
    }, 120_000);

    it('keeps fetching until the page is full, with a stable cursor', async () => {
      const versionRange = parseVersionRange('semver', '<2.0.0');
      const seen = await all({ feedName: feed, packageName: 'Newtonsoft.Json', versionRange }, 1);
      expect(seen.map((r) => r.target)).toEqual(matching);
      expect(seen.every((r) => r.version === '1.5.0')).toBe(true);
    });

    it('answers the last page without a cursor, and an empty range with no records', async () => {
      const page = await store.list({ feedName: feed, packageName: 'Newtonsoft.Json', versionRange: parseVersionRange('semver', '<2.0.0'), limit: 10 });
      expect(page.records).toHaveLength(matching.length);
      expect(page.nextCursor).toBeUndefined();
      const none = await store.list({ feedName: feed, packageName: 'Newtonsoft.Json', versionRange: parseVersionRange('semver', '>5') });
      expect(none).toEqual({ records: [], nextCursor: undefined });
    });

    it('streams every record a batch at a time, and counts them', async () => {
      const streamed: string[] = [];
      for await (const r of store.stream({ feedName: feed })) streamed.push(r.target);
      expect(streamed).toHaveLength(2400);
      expect(streamed[0]).toBe('t-2399');
      expect(streamed[2399]).toBe('t-0');
      expect(await store.count({ feedName: feed })).toBe(2400);
      const inRange: string[] = [];
      for await (const r of store.stream({ feedName: feed, packageName: 'Newtonsoft.Json', versionRange: parseVersionRange('semver', '1.x') })) inRange.push(r.target);
      expect(inRange).toEqual(matching);
      expect(await store.count({ feedName: feed, packageName: 'Newtonsoft.Json', versionRange: parseVersionRange('semver', '1.x') })).toBe(matching.length);
    });

    it('a stream resumes from a cursor', async () => {
      const first = await store.list({ feedName: feed, limit: 5 });
      const rest: string[] = [];
      for await (const r of store.stream({ feedName: feed, cursor: first.nextCursor })) rest.push(r.target);
      expect(rest).toHaveLength(2395);
      expect(rest[0]).toBe('t-2394');
    });

    it('filters by any of several feeds', async () => {
      expect(await store.count({ feedNames: [feed, 'RunningFeed'] })).toBe(2400 + 9);
      expect(await store.count({ feedNames: ['nothing-here'] })).toBe(0);
    });
  });

  it('migration 002 adds the read indexes and its down() removes them', async () => {
    expect(await pendingMigrations(db.knex)).toEqual([]);
    // All migrations ran in one batch: undo them one at a time, last first, down to 002 (the later ones
    // belong to other features and have their own tests).
    while (!(await pendingMigrations(db.knex)).includes('002_read_indexes')) await db.knex.migrate.down({ migrationSource, tableName: MIGRATIONS_TABLE });
    expect(await pendingMigrations(db.knex)).toEqual(MIGRATIONS.slice(1).map((m) => m.name));
    // The records survive: only indexes were dropped.
    expect(await store.count({ feedName: 'RangeFeed' })).toBe(2400);
    await migrateDeploymentStore(db.knex);
    expect(await pendingMigrations(db.knex)).toEqual([]);
    expect(await store.count({ feedName: 'RangeFeed' })).toBe(2400);
    await rollbackDeploymentStore(db.knex, { all: true });
    expect(await pendingMigrations(db.knex)).toEqual(MIGRATIONS.map((m) => m.name));
    await migrateDeploymentStore(db.knex);
  });
});
