/** The read API over HTTP: filters, 400s naming the parameter, auth, paging, running now, formats. */
import express from 'express';
import request from 'supertest';
import {
  apiKeyAuth,
  createDeploymentRouter,
  createKnexStore,
  validateDeployment,
  type DeploymentStore,
  type KnexDeploymentStore,
  type NewDeployment,
} from '../lib';
import { createTestDatabase, type TestDatabase } from './helpers/databases';
import { memoryLogger } from './helpers/fixtures';

const KEY = 'full-access-key-1';
const READER = 'read-only-key-01';
const WRITER = 'write-only-key-01';
const SCOPED = 'scoped-reader-key';

let db: TestDatabase;
let store: KnexDeploymentStore;
let app: express.Express;

function deployment(overrides: Record<string, string>): NewDeployment {
  const result = validateDeployment({ Application: 'Octopus', Description: '', Target: 'web-01', FeedName: 'DefaultNuGet', PackageName: 'Newtonsoft.Json', Version: '12.0.3', ...overrides });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.deployment;
}

const auth = () => apiKeyAuth({
  keys: [
    { name: 'ci', key: KEY },
    { name: 'auditor', key: READER, privileges: ['Feeds_ViewPackage'] },
    { name: 'recorder', key: WRITER, privileges: ['Feeds_DownloadPackage'] },
    { name: 'scoped', key: SCOPED, privileges: ['Feeds_ViewPackage'], feeds: ['maven-releases'] },
  ],
});

function makeApp(extra: Partial<Parameters<typeof createDeploymentRouter>[0]> = {}) {
  const router = createDeploymentRouter({
    store,
    auth: auth(),
    feeds: ['DefaultNuGet', 'maven-releases', 'npm-packages'],
    versionSchemes: { DefaultNuGet: 'nuget', 'maven-releases': 'maven', 'npm-packages': 'npm' },
    logger: memoryLogger(),
    ...extra,
  });
  const a = express();
  a.use(router);
  return a;
}

beforeAll(async () => {
  db = await createTestDatabase('sqlite');
  store = createKnexStore({ knex: db.knex });
  await store.record([
    deployment({ Target: 'web-01', Version: '12.0.1', Date: '2024-01-01T00:00:00Z', UserName: 'alice' }),
    deployment({ Target: 'web-01', Version: '13.0.1', Date: '2024-02-01T00:00:00Z', UserName: 'bob' }),
    deployment({ Target: 'web-02', Version: '11.0.2', Date: '2024-01-15T00:00:00Z', Application: 'BuildMaster' }),
    deployment({ Target: 'db-01', Version: '13.0.3', Date: '2024-01-20T00:00:00Z' }),
    deployment({ Target: 'db-01', Version: '9.0.1', Date: '2024-03-01T00:00:00Z', Description: '=HYPERLINK("http://evil.example","x")', Url: 'https://ci.example/run/1' }),
    deployment({ FeedName: 'maven-releases', GroupName: 'org.apache.logging.log4j', PackageName: 'log4j-core', Version: '2.14.1', Target: 'app-01', Date: '2024-01-01T00:00:00Z' }),
    deployment({ FeedName: 'maven-releases', GroupName: 'org.apache.logging.log4j', PackageName: 'log4j-core', Version: '2.17.1', Target: 'app-02', Date: '2024-01-02T00:00:00Z' }),
    deployment({ FeedName: 'npm-packages', GroupName: 'types', PackageName: 'node', Version: '20.1.0', Target: 'web-01', Date: '2024-01-03T00:00:00Z' }),
  ]);
  app = makeApp();
});
afterAll(async () => {
  await store.close();
  await db.destroy();
});

const get = (path: string, key = KEY) => request(app).get(path).set('X-ApiKey', key);
const targets = (body: { records: Array<{ Target: string }> }) => body.records.map((r) => r.Target);

describe('GET /api/package-deployment', () => {
  it('lists a package\'s history newest first, as PascalCase records', async () => {
    const res = await get('/api/package-deployment?feed=DefaultNuGet&package=Newtonsoft.Json').expect(200).expect('Content-Type', /application\/json/);
    expect(targets(res.body)).toEqual(['db-01', 'web-01', 'db-01', 'web-02', 'web-01']);
    expect(res.body.nextCursor).toBeNull();
    expect(res.body.records[0]).toEqual({
      Id: expect.stringMatching(/^\d+$/), Date: '2024-03-01T00:00:00.000Z', FeedName: 'DefaultNuGet', GroupName: null, PackageName: 'Newtonsoft.Json',
      Version: '9.0.1', Target: 'db-01', Application: 'Octopus', UserName: 'Anonymous', Description: '=HYPERLINK("http://evil.example","x")',
      Url: 'https://ci.example/run/1', ReceivedAt: expect.stringMatching(/Z$/), Removed: false,
    });
  });

  it('filters by version, range, target, target prefix, application, user, group and time window', async () => {
    const q = (s: string) => get(`/api/package-deployment?feed=DefaultNuGet&package=Newtonsoft.Json&${s}`).expect(200).then((r) => targets(r.body));
    expect(await q('version=13.0.1')).toEqual(['web-01']);
    expect(await q('range=(,13.0.1)')).toEqual(['db-01', 'web-02', 'web-01']);
    expect(await q(`range=${encodeURIComponent('<13.0.1')}`)).toEqual(['db-01', 'web-02', 'web-01']);
    expect(await q('target=web-01')).toEqual(['web-01', 'web-01']);
    expect(await q('targetPrefix=web-')).toEqual(['web-01', 'web-02', 'web-01']);
    expect(await q('application=BuildMaster')).toEqual(['web-02']);
    expect(await q('user=alice')).toEqual(['web-01']);
    expect(await q('group=')).toHaveLength(5);
    expect(await q('since=2024-01-15&until=2024-02-01T00:00:00Z')).toEqual(['db-01', 'web-02']);
    expect(await q('user=bob&targetPrefix=web')).toEqual(['web-01']);
  });

  it('matches parameter names case-insensitively and feed names through the catalogue', async () => {
    const res = await get('/api/package-deployment?FEED=defaultnuget&Package=Newtonsoft.Json&Version=13.0.1').expect(200);
    expect(res.body.records.map((r: { FeedName: string }) => r.FeedName)).toEqual(['DefaultNuGet']);
  });

  it('pages with an opaque cursor and a limit, and gives a total only on request', async () => {
    const seen: string[] = [];
    let url = '/api/package-deployment?feed=DefaultNuGet&package=Newtonsoft.Json&range=(,13.0.1)&limit=1&total=true';
    for (;;) {
      const res = await get(url).expect(200);
      expect(res.body.total).toBe(3);
      seen.push(...targets(res.body));
      if (!res.body.nextCursor) break;
      url = `/api/package-deployment?feed=DefaultNuGet&package=Newtonsoft.Json&range=(,13.0.1)&limit=1&total=true&cursor=${res.body.nextCursor}`;
    }
    expect(seen).toEqual(['db-01', 'web-02', 'web-01']);
    const plain = await get('/api/package-deployment?feed=DefaultNuGet&limit=2').expect(200);
    expect(plain.body).not.toHaveProperty('total');
    expect(plain.body.records).toHaveLength(2);
  });

  it('uses each feed\'s version scheme: Maven ranges on the Maven feed', async () => {
    const res = await get('/api/package-deployment?feed=maven-releases&group=org.apache.logging.log4j&package=log4j-core&range=[2.0,2.17.1)').expect(200);
    expect(targets(res.body)).toEqual(['app-01']);
    await get('/api/package-deployment?feed=npm-packages&group=types&package=node&range=^20').expect(200).then((r) => expect(targets(r.body)).toEqual(['web-01']));
  });

  describe('400 names the parameter', () => {
    const bad = async (query: string, pattern: RegExp) => {
      const res = await get(`/api/package-deployment${query}`).expect(400).expect('Content-Type', /text\/plain/);
      expect(res.text).toMatch(pattern);
    };
    it('unknown, repeated and empty parameters', async () => {
      await bad('?feed=DefaultNuGet&color=red', /^color: unknown parameter; known ones: feed, group, package/);
      await bad('?feed=DefaultNuGet&feed=Other', /^feed: given more than once/);
      await bad('?feed=DefaultNuGet&package=', /^package: is empty/);
    });
    it('limit, dates, total, format, cursor', async () => {
      await bad('?feed=DefaultNuGet&limit=0', /^limit: must be a whole number from 1 to 1000/);
      await bad('?feed=DefaultNuGet&limit=1001', /^limit:/);
      await bad('?feed=DefaultNuGet&since=yesterday', /^since: "yesterday" is not an ISO 8601 date/);
      await bad('?feed=DefaultNuGet&until=2024-13-01', /^until:/);
      await bad('?feed=DefaultNuGet&total=maybe', /^total: must be true or false/);
      await bad('?feed=DefaultNuGet&format=xml', /^format: must be json, csv or ndjson/);
      await bad('?feed=DefaultNuGet&cursor=abc', /^cursor: not a cursor this server issued/);
      await bad('?feed=DefaultNuGet&format=csv&total=true', /^total: is only given in JSON answers/);
    });
    it('every problem at once, one a line', async () => {
      const res = await get('/api/package-deployment?feed=DefaultNuGet&limit=x&since=y').expect(400);
      expect(res.text.trim().split('\n').map((l) => l.split(':')[0])).toEqual(['since', 'limit']);
    });
    it('a range needs a package, and must be one the feed\'s scheme reads', async () => {
      await bad('?feed=DefaultNuGet&range=<13', /^package: required for a version range/);
      await bad('?package=Newtonsoft.Json&range=<13', /^feed: required for a version range/);
      await bad('?feed=DefaultNuGet&package=Newtonsoft.Json&range=^13.0', /^range: "\^13\.0" is not a nuget version range \(for example \[1\.0,2\.0\)/);
      await bad('?feed=npm-packages&group=types&package=node&range=[1.0,2.0)', /^range: .* is not a semver version range/);
    });
  });

  it('reads need Feeds_ViewPackage on the feed: 403 otherwise, nothing listed', async () => {
    await request(app).get('/api/package-deployment?feed=DefaultNuGet').expect(403);
    await get('/api/package-deployment?feed=DefaultNuGet', 'wrong-key-000000').expect(403);
    await get('/api/package-deployment?feed=DefaultNuGet', WRITER).expect(403);
    await get('/api/package-deployment?feed=DefaultNuGet', SCOPED).expect(403);
    await get('/api/package-deployment?feed=DefaultNuGet', READER).expect(200);
    await get('/api/package-deployment?feed=maven-releases', SCOPED).expect(200);
    await request(app).get(`/api/package-deployment?feed=DefaultNuGet&key=${READER}`).expect(200);
    await request(app).get('/api/package-deployment?feed=DefaultNuGet').auth('api', READER).expect(200);
  });

  it('a read naming no feed covers the catalogue\'s feeds the caller may view', async () => {
    const scoped = await get('/api/package-deployment?targetPrefix=app-', SCOPED).expect(200);
    expect(targets(scoped.body)).toEqual(['app-02', 'app-01']);
    const everything = await get('/api/package-deployment?target=web-01&total=true').expect(200);
    expect(everything.body.total).toBe(3);
    await get('/api/package-deployment', WRITER).expect(403);
  });

  it('a read naming no feed needs one when the server has no feed list', async () => {
    const open = makeApp({ feeds: undefined });
    const res = await request(open).get('/api/package-deployment').set('X-ApiKey', KEY).expect(400);
    expect(res.text).toMatch(/^feed: required/);
    await request(open).get('/api/package-deployment?feed=DefaultNuGet').set('X-ApiKey', KEY).expect(200);
  });

  it('404 for a feed the catalogue does not have', async () => {
    const res = await get('/api/package-deployment?feed=NoSuchFeed').expect(404);
    expect(res.text).toBe('Feed "NoSuchFeed" was not found.\n');
  });

  it('503 with Retry-After when the store is unreachable', async () => {
    const down: DeploymentStore = {
      record: async () => [],
      list: async () => { throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }); },
    };
    const res = await request(makeApp({ store: down, retryAfterSeconds: 7 })).get('/api/package-deployment?feed=DefaultNuGet').set('X-ApiKey', KEY).expect(503);
    expect(res.headers['retry-after']).toBe('7');
    expect(res.text).not.toMatch(/\bat\b.*\.ts/);
    await request(makeApp({ store: down })).get('/api/package-deployment?feed=DefaultNuGet&format=csv').set('X-ApiKey', KEY).expect(503);
  });
});

describe('GET /api/package-deployment/current: where is it running now', () => {
  it('lists each target\'s latest record, and with a range only targets whose current version is in it', async () => {
    const all = await get('/api/package-deployment/current?feed=DefaultNuGet&package=Newtonsoft.Json').expect(200);
    expect(all.body.records.map((r: { Target: string; Version: string }) => `${r.Target} ${r.Version}`)).toEqual(['db-01 9.0.1', 'web-01 13.0.1', 'web-02 11.0.2']);
    // web-01 ran 12.0.1 once, but runs 13.0.1 now: not a match.
    const vulnerable = await get(`/api/package-deployment/current?feed=DefaultNuGet&package=Newtonsoft.Json&range=${encodeURIComponent('<13.0.1')}&total=1`).expect(200);
    expect(targets(vulnerable.body)).toEqual(['db-01', 'web-02']);
    expect(vulnerable.body.total).toBe(2);
  });

  it('needs a package', async () => {
    const res = await get('/api/package-deployment/current?feed=DefaultNuGet').expect(400);
    expect(res.text).toMatch(/^package: required for where a package is running now/);
  });

  it('exports as CSV too', async () => {
    const res = await get('/api/package-deployment/current?feed=DefaultNuGet&package=Newtonsoft.Json&range=(,13.0.1)&format=csv').expect(200);
    expect(res.headers['content-disposition']).toBe('attachment; filename="Newtonsoft.Json-running-now.csv"');
    expect(res.text.trim().split('\r\n').map((l) => l.split(',')[6])).toEqual(['Target', 'db-01', 'web-02']);
  });
});

describe('export', () => {
  it('CSV by Accept header: RFC 4180 quoting, and formula cells neutralised', async () => {
    const res = await get('/api/package-deployment?feed=DefaultNuGet&package=Newtonsoft.Json').set('Accept', 'text/csv').expect(200).expect('Content-Type', /^text\/csv; charset=utf-8/);
    const lines = res.text.split('\r\n');
    expect(lines[0]).toBe('Id,Date,FeedName,GroupName,PackageName,Version,Target,Application,UserName,Description,Url,ReceivedAt,Removed');
    expect(lines).toHaveLength(7);
    expect(lines[6]).toBe('');
    expect(lines[1]).toContain(`,"'=HYPERLINK(""http://evil.example"",""x"")",https://ci.example/run/1,`);
  });

  it('NDJSON by Accept header or format=, one record a line', async () => {
    for (const req of [get('/api/package-deployment?feed=DefaultNuGet').set('Accept', 'application/x-ndjson'), get('/api/package-deployment?feed=DefaultNuGet&format=ndjson')]) {
      const res = await req.expect(200).expect('Content-Type', /^application\/x-ndjson/);
      const lines = res.text.trimEnd().split('\n').map((l) => JSON.parse(l));
      expect(lines.map((r) => r.Target)).toEqual(['db-01', 'web-01', 'db-01', 'web-02', 'web-01']);
    }
  });

  it('exports every record from the cursor on, capped by limit when given', async () => {
    const first = await get('/api/package-deployment?feed=DefaultNuGet&limit=2').expect(200);
    const rest = await get(`/api/package-deployment?feed=DefaultNuGet&format=ndjson&cursor=${first.body.nextCursor}`).expect(200);
    expect(rest.text.trimEnd().split('\n')).toHaveLength(3);
    const capped = await get('/api/package-deployment?feed=DefaultNuGet&format=ndjson&limit=1').expect(200);
    expect(capped.text.trimEnd().split('\n')).toHaveLength(1);
  });

  it('HEAD answers the export\'s headers without a body', async () => {
    const res = await request(app).head('/api/package-deployment?feed=DefaultNuGet&format=csv').set('X-ApiKey', KEY).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.text ?? '').toBe('');
  });

  it('reads through list() when a store has no stream()', async () => {
    const listOnly: DeploymentStore = { record: (d) => store.record(d), list: (q) => store.list(q) };
    const res = await request(makeApp({ store: listOnly })).get('/api/package-deployment?feed=DefaultNuGet&format=ndjson&total=false').set('X-ApiKey', KEY).expect(200);
    expect(res.text.trimEnd().split('\n')).toHaveLength(5);
    const counted = await request(makeApp({ store: listOnly })).get('/api/package-deployment?feed=DefaultNuGet&total=true').set('X-ApiKey', KEY).expect(200);
    expect(counted.body.total).toBe(5);
  });
});

describe('construction', () => {
  it('an unknown version scheme throws, naming the feed', () => {
    expect(() => makeApp({ versionSchemes: { DefaultNuGet: 'cargo' } })).toThrow(/versionSchemes\["DefaultNuGet"\]: unknown version scheme "cargo"/);
  });
  it('a bad historyPath throws', () => {
    expect(() => makeApp({ historyPath: 'deployments' })).toThrow(/historyPath must be a path/);
  });
});
