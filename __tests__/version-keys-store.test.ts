/**
 * Version keys in the database: computed at write time in the feed's scheme, rebuilt by
 * rebuildVersionKeys(), and used by ranges as index range scans (the query plans say so) on every
 * database; the answers equal the range tested on every row in JavaScript.
 */
import type { Knex } from 'knex';
import { createKnexStore, parseVersionRange, rollbackDeploymentStore, validateDeployment, type DeploymentQuery, type KnexDeploymentStore, type NewDeployment, type VersionRange } from '../lib';
import { DEPLOYMENTS_TABLE } from '../lib/store/tables';
import { selectRows } from '../lib/store/queries';
import { createTestDatabase, databaseIds, type TestDatabase } from './helpers/databases';

const SCHEMES = { 'nuget-feed': 'nuget', 'npm-feed': 'npm', 'maven-feed': 'maven', 'pypi-feed': 'pypi' } as const;

function deployment(feed: string, pkg: string, version: string, target: string, day: number): NewDeployment {
  const r = validateDeployment({ Application: 'ci', Description: '', Target: target, FeedName: feed, PackageName: pkg, Version: version, Date: new Date(Date.UTC(2024, 0, 1) + day * 3_600_000).toISOString() }, { receivedAt: new Date('2024-06-01T00:00:00Z') });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.deployment;
}

const VERSIONS: Record<string, string[]> = {
  'nuget-feed': ['9.0.1', '10.0.3', '11.0.2', '12.0.3', '13.0.1', '13.0.2-beta1', '13.0.1.1', '1.0'],
  'npm-feed': ['4.17.15', '4.17.20', '4.17.21', '4.17.21-rc.1', '5.0.0-beta', '3.10.1', 'latest'],
  'maven-feed': ['2.14.1', '2.15.0', '2.16.0', '2.17.0', '2.17.1', '2.17.1-SNAPSHOT', '2.0-beta9', '2.3.1.Final', '1-0.alpha', '2.17.1-1'],
  'pypi-feed': ['2.25.1', '2.30.0', '2.31.0', '2.31.0rc1', '2.3', '1!1.0', '2.30.0+ubuntu1', '2.29.0.post1', 'not-pep440'],
};
const RANGES: Record<string, string[]> = {
  'nuget-feed': ['[12.0,13.0.1)', '(,13.0.1]', '13.0.1', '<12.0.3', 'vers:nuget/>=10.0|!=12.0.3|<13.0.2'],
  'npm-feed': ['<4.17.21', '>=4.17.20 <5 || 3.x', '^4.17.0', 'vers:npm/<4.17.21'],
  'maven-feed': ['[2.0-beta9,2.17.1)', '(,2.16.0],[2.17.1,)', '[2.17.1]', '<2.17.1', 'vers:maven/>=2.0|<2.17.1'],
  'pypi-feed': ['>=2.3,<2.31', '~=2.30', '==2.*', '!=2.31.0', '===not-pep440', '<=2.30.0', 'vers:pypi/2.3|>=2.29|<2.31'],
};

describe.each(databaseIds())('version keys on %s', (id) => {
  let db: TestDatabase;
  let store: KnexDeploymentStore;

  beforeAll(async () => {
    db = await createTestDatabase(id);
    store = createKnexStore({ knex: db.knex, versionSchemes: SCHEMES });
    const rows: NewDeployment[] = [];
    let hour = 0;
    for (const [feed, versions] of Object.entries(VERSIONS)) {
      for (let t = 0; t < 6; t++) for (const v of versions) rows.push(deployment(feed, 'pkg', v, `srv-${t}`, hour++ + t * 7));
    }
    await store.record(rows);
  });
  afterAll(async () => {
    await store.close();
    await db.destroy();
  });

  /** The same range without key intervals: tested in JavaScript on every row of the package. */
  const jsOnly = (r: VersionRange): VersionRange => ({ scheme: r.scheme, text: r.text, test: r.test });
  const ids = (xs: Array<{ id: string }>) => xs.map((x) => x.id);
  async function listAll(query: DeploymentQuery) {
    const out: Array<{ id: string; version: string }> = [];
    let cursor: string | undefined;
    do {
      const page = await store.list({ ...query, limit: 4, cursor });
      out.push(...page.records);
      cursor = page.nextCursor;
    } while (cursor);
    return out;
  }

  it('stores each version\'s key in its feed\'s scheme', async () => {
    const rows = await db.knex(DEPLOYMENTS_TABLE).select('feed_name', 'version', 'version_key').where('package_name', 'pkg');
    for (const r of rows) expect(r.version_key).toBe(store.versionKeyOf(r.feed_name, r.version));
    const key = (feed: string, v: string) => rows.find((r) => r.feed_name === feed && r.version === v)!.version_key as string;
    expect(key('maven-feed', '2.17.1-SNAPSHOT') < key('maven-feed', '2.17.1')).toBe(true);
    expect(key('pypi-feed', '2.31.0rc1') < key('pypi-feed', '2.31.0')).toBe(true);
    expect(key('npm-feed', 'latest')).toBe('~');
    expect(key('pypi-feed', 'not-pep440')).toBe('~');
  });

  for (const [feed, ranges] of Object.entries(RANGES)) {
    for (const text of ranges) {
      it(`${feed} ${text}: same answers as testing every row, history and running now`, async () => {
        const range = parseVersionRange(SCHEMES[feed as keyof typeof SCHEMES], text);
        expect(range.keys).toBeDefined();
        const q = { feedName: feed, packageName: 'pkg', versionRange: range };
        const slow = { ...q, versionRange: jsOnly(range) };
        const history = await listAll(q);
        expect(ids(history)).toEqual(ids(await listAll(slow)));
        expect(history.every((r) => range.test(r.version))).toBe(true);
        expect(ids(await listAll({ ...q, current: true }))).toEqual(ids(await listAll({ ...slow, current: true })));
        expect(await store.count(q)).toBe(history.length);
        const streamed: string[] = [];
        for await (const r of store.stream(q)) streamed.push(r.id);
        expect(streamed).toEqual(ids(history));
      });
    }
  }

  it('ignores the keys when the range was read with another scheme than the store keys the feed with', async () => {
    const range = parseVersionRange('semver', '<13.0.1');
    const q = { feedName: 'nuget-feed', packageName: 'pkg', versionRange: range };
    expect(ids(await listAll(q))).toEqual(ids(await listAll({ ...q, versionRange: jsOnly(range) })));
  });

  it('rebuildVersionKeys() re-keys a feed after its scheme changed, and rows written before keys existed', async () => {
    await db.knex(DEPLOYMENTS_TABLE).where('feed_name', 'pypi-feed').update({ version_key: '~' });
    expect(await store.rebuildVersionKeys({ feedName: 'pypi-feed' })).toBe(6 * 8); // 9 versions, one of them unkeyable
    expect(await store.rebuildVersionKeys()).toBe(0);
    const asSemver = createKnexStore({ knex: db.knex, versionSchemes: { ...SCHEMES, 'pypi-feed': 'semver' }, migrate: false });
    const changed = await asSemver.rebuildVersionKeys({ feedName: 'pypi-feed', batchSize: 7 });
    expect(changed).toBeGreaterThan(0);
    const r = (await db.knex(DEPLOYMENTS_TABLE).where({ feed_name: 'pypi-feed', version: '1!1.0' }).first('version_key')) as { version_key: string };
    expect(r.version_key).toBe('~'); // not a semver version
    expect(await store.rebuildVersionKeys({ feedName: 'pypi-feed' })).toBe(changed);
    await asSemver.close();
  });

  it('a range on a big package is an index range scan on version_key (query plan)', async () => {
    // Enough rows for each planner to prefer the index: 3,000 versions of one package.
    const many: NewDeployment[] = [];
    for (let i = 0; i < 3000; i++) many.push(deployment('nuget-feed', 'Big.Package', `1.${Math.floor(i / 100)}.${i % 100}`, `srv-${i % 50}`, i));
    for (let i = 0; i < many.length; i += 500) await store.record(many.slice(i, i + 500));
    if (id === 'postgres') await db.knex.raw(`analyze ${DEPLOYMENTS_TABLE}`);
    if (id === 'mysql') await db.knex.raw(`analyze table ${DEPLOYMENTS_TABLE}`);
    if (id === 'sqlite') await db.knex.raw('analyze');
    const range = parseVersionRange('nuget', '[1.5.10,1.5.20)');
    const q = selectRows(db.knex, { feedName: 'nuget-feed', groupName: '', packageName: 'Big.Package' }, range.keys).toSQL().toNative();
    const plan = await explain(db, q.sql, q.bindings as readonly Knex.RawBinding[]);
    expect(plan).toMatch(/package_deployments_version_key_idx/);
    const page = await store.list({ feedName: 'nuget-feed', groupName: '', packageName: 'Big.Package', versionRange: range, limit: 100 });
    expect(page.records.map((r) => r.version).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `1.5.${10 + i}`).sort());
  });

  it('the migration\'s down() removes the column and index', async () => {
    const other = await createTestDatabase(id);
    try {
      const s = createKnexStore({ knex: other.knex });
      await s.init();
      await rollbackDeploymentStore(other.knex, { all: true });
      expect(await other.knex.schema.hasTable(DEPLOYMENTS_TABLE)).toBe(false);
      await s.close();
      const again = createKnexStore({ knex: other.knex });
      await again.init();
      expect(await other.knex.schema.hasColumn(DEPLOYMENTS_TABLE, 'version_key')).toBe(true);
      await again.close();
    } finally {
      await other.destroy();
    }
  });
});

/** The database's plan for a query, as text. */
async function explain(db: TestDatabase, sql: string, bindings: readonly Knex.RawBinding[]): Promise<string> {
  if (db.id === 'sqlite') {
    const rows = (await db.knex.raw(`explain query plan ${sql}`, bindings)) as Array<{ detail: string }>;
    return rows.map((r) => r.detail).join('\n');
  }
  if (db.id === 'postgres') {
    const res = (await db.knex.raw(`explain ${sql.replace(/\$(\d+)/g, '?')}`, bindings)) as { rows: Array<Record<string, string>> };
    return res.rows.map((r) => Object.values(r).join(' ')).join('\n');
  }
  const [rows] = (await db.knex.raw(`explain ${sql}`, bindings)) as [Array<Record<string, unknown>>];
  return JSON.stringify(rows);
}
