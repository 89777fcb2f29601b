/**
 * Advisory matching (issue 10): OSV advisories (the shape GHSA publishes) matched against what is running
 * now, on every database, through the HTTP API and the store API; bad input; scopes; formats.
 */
import express from 'express';
import request from 'supertest';
import advisories from './fixtures/advisories.json';
import { apiKeyAuth, createDeploymentRouter, createKnexStore, matchAdvisories, readAdvisories, validateDeployment, VERSION_SCHEMES, type KnexDeploymentStore, type NewDeployment } from '../lib';
import { createTestDatabase, databaseIds, type TestDatabase } from './helpers/databases';

const KEY = 'advisory-key-0123456789';
const NUGET_ONLY = 'nuget-only-key-0123456789';
const SCHEMES = { nuget: 'nuget', npm: 'npm', maven: 'maven', pypi: 'pypi', products: 'upack' } as const;

let hour = 0;
function d(feed: string, group: string, pkg: string, version: string, target: string): NewDeployment {
  const r = validateDeployment({ Application: `app-${target}`, Description: '', Target: target, FeedName: feed, GroupName: group, PackageName: pkg, Version: version, UserName: `user-${target}`, Date: new Date(Date.UTC(2024, 0, 1) + hour++ * 3_600_000).toISOString() }, { receivedAt: new Date('2024-06-01T00:00:00Z') });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.deployment;
}

// What runs where: in date order, so the last record of a target is what runs there now.
const HISTORY: Array<[string, string, string, string, string]> = [
  ['nuget', '', 'Newtonsoft.Json', '12.0.3', 'web-01'],
  ['nuget', '', 'Newtonsoft.Json', '13.0.1', 'web-01'], // upgraded: not affected now
  ['nuget', '', 'Newtonsoft.Json', '13.0.1', 'web-02'],
  ['nuget', '', 'Newtonsoft.Json', '12.0.3', 'web-02'], // rolled back: affected now
  ['nuget', '', 'newtonsoft.json', '11.0.2', 'web-03'], // another spelling: NuGet ids are case-insensitive
  ['maven', 'org.apache.logging.log4j', 'log4j-core', '2.14.1', 'app-01'],
  ['maven', 'org.apache.logging.log4j', 'log4j-core', '2.3.1', 'app-02'], // fixed in its branch
  ['maven', 'org.apache.logging.log4j', 'log4j-core', '2.0-beta9', 'app-03'],
  ['maven', 'org.apache.logging.log4j', 'log4j-core', '2.17.1', 'app-04'],
  ['maven', 'org.apache.logging.log4j', 'log4j-api', '2.14.1', 'app-01'], // another artifact
  ['npm', '', 'lodash', '4.17.20', 'ui-01'],
  ['npm', '', 'lodash', '4.17.21', 'ui-02'],
  ['npm', '@babel', 'traverse', '7.23.0', 'ui-01'],
  ['npm', '@babel', 'traverse', '8.0.0-alpha.2', 'ui-03'],
  ['pypi', '', 'Requests', '2.28.1', 'py-01'], // PEP 503: Requests is requests
  ['pypi', '', 'requests', '2.31.0', 'py-02'],
  ['pypi', '', 'requests', '2.2.1', 'py-03'], // before the introduced version
  ['products', '', 'lodash', '4.17.20', 'x-01'], // a UPack feed: no ecosystem, never matched
];

describe.each(databaseIds())('advisories on %s', (id) => {
  let db: TestDatabase;
  let store: KnexDeploymentStore;
  let app: express.Express;

  beforeAll(async () => {
    db = await createTestDatabase(id);
    store = createKnexStore({ knex: db.knex, versionSchemes: SCHEMES });
    await store.record(HISTORY.map(([f, g, p, v, t]) => d(f, g, p, v, t)));
    app = express();
    app.use(createDeploymentRouter({
      store,
      auth: apiKeyAuth({ keys: [{ name: 'audit', key: KEY }, { name: 'nuget-team', key: NUGET_ONLY, feeds: ['nuget'] }] }),
      feeds: Object.keys(SCHEMES),
      versionSchemes: SCHEMES,
      advisoryBodyLimit: 20_000,
    }));
  });
  afterAll(async () => {
    await store.close();
    await db.destroy();
  });

  const post = (body: unknown, key = KEY, query = '') => request(app).post(`/api/package-deployment/advisories${query}`).set('X-ApiKey', key).send(body as object);
  const summary = (matches: Array<Record<string, unknown>>) => matches.map((m) => `${m.advisory} ${m.feed} ${m.group ?? ''}/${m.package} ${m.version} ${m.target} fixed:${m.fixed ?? '-'}`).sort();

  it('finds exactly the targets running an affected version now, across NuGet, Maven, npm and PyPI', async () => {
    const res = await post(advisories).expect(200);
    expect(summary(res.body.matches)).toEqual([
      'GHSA-35jh-r3h4-6jhm npm /lodash 4.17.20 ui-01 fixed:4.17.21',
      'GHSA-5crp-9r3c-p9vr nuget /Newtonsoft.Json 12.0.3 web-02 fixed:13.0.1',
      'GHSA-5crp-9r3c-p9vr nuget /newtonsoft.json 11.0.2 web-03 fixed:13.0.1',
      'GHSA-67hx-6x53-jw92 npm @babel/traverse 7.23.0 ui-01 fixed:7.23.2',
      'GHSA-67hx-6x53-jw92 npm @babel/traverse 8.0.0-alpha.2 ui-03 fixed:8.0.0-alpha.4',
      'GHSA-j8r2-6x86-q33q pypi /Requests 2.28.1 py-01 fixed:2.31.0',
      'GHSA-jfh8-c2jp-5v3q maven org.apache.logging.log4j/log4j-core 2.0-beta9 app-03 fixed:2.3.1',
      'GHSA-jfh8-c2jp-5v3q maven org.apache.logging.log4j/log4j-core 2.14.1 app-01 fixed:2.15.0',
    ]);
    const log4shell = res.body.matches.find((m: Record<string, unknown>) => m.target === 'app-01');
    expect(log4shell).toEqual({
      advisory: 'GHSA-jfh8-c2jp-5v3q', aliases: ['CVE-2021-44228'], feed: 'maven', group: 'org.apache.logging.log4j', package: 'log4j-core',
      version: '2.14.1', target: 'app-01', since: expect.stringMatching(/^2024-01-\d\dT\d\d:00:00\.000Z$/), user: 'user-app-01', application: 'app-app-01', fixed: '2.15.0',
    });
    expect(res.body.reports).toEqual([]);
  });

  it('a target whose latest record is a removal no longer runs the package', async () => {
    const other = createKnexStore({ knex: db.knex, versionSchemes: SCHEMES, migrate: false });
    await other.record([{ ...d('pypi', '', 'requests', '2.28.1', 'py-09'), removed: true } as NewDeployment, d('pypi', '', 'requests', '2.28.1', 'py-08')]);
    await other.record([{ ...d('pypi', '', 'requests', '2.28.1', 'py-08'), removed: true } as NewDeployment]);
    const res = await post(advisories[4]).expect(200);
    expect(summary(res.body.matches)).toEqual(['GHSA-j8r2-6x86-q33q pypi /Requests 2.28.1 py-01 fixed:2.31.0']);
  });

  it('the store API answers the same', async () => {
    const read = readAdvisories(advisories);
    expect(read.problems).toBeUndefined();
    const feeds = (['nuget', 'npm', 'maven', 'pypi'] as const).map((feed) => ({ feed, ecosystem: { nuget: 'NuGet', npm: 'npm', maven: 'Maven', pypi: 'PyPI' }[feed], scheme: VERSION_SCHEMES[SCHEMES[feed]]! }));
    const answer = await matchAdvisories(store, feeds, read.advisories!);
    const http = await post(advisories).expect(200);
    expect(answer.matches.map((m) => m.recordId).sort()).toEqual(answer.matches.map((m) => m.recordId).sort());
    expect(answer.matches.length).toBe(http.body.matches.length);
  });

  it('last_affected, limit, versions[] and SEMVER ranges follow the OSV evaluation', async () => {
    const one = (affected: unknown[]) => post({ id: 'TEST-1', affected }).expect(200).then((r) => summary(r.body.matches));
    const lodash = { ecosystem: 'npm', name: 'lodash' };
    expect(await one([{ package: lodash, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { last_affected: '4.17.20' }] }] }])).toEqual(['TEST-1 npm /lodash 4.17.20 ui-01 fixed:-']);
    expect(await one([{ package: lodash, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { limit: '4.17.20' }] }] }])).toEqual([]);
    expect(await one([{ package: lodash, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { limit: '*' }] }] }])).toHaveLength(2);
    expect(await one([{ package: lodash, versions: ['4.17.21'] }])).toEqual(['TEST-1 npm /lodash 4.17.21 ui-02 fixed:-']);
    expect(await one([{ package: { ecosystem: 'NuGet', name: 'NEWTONSOFT.JSON' }, versions: ['12.0.3.0'] }])).toEqual(['TEST-1 nuget /Newtonsoft.Json 12.0.3 web-02 fixed:-']);
    expect(await one([{ package: { purl: 'pkg:pypi/requests' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '2.0' }, { fixed: '2.3.0' }] }] }])).toEqual(['TEST-1 pypi /requests 2.2.1 py-03 fixed:2.3.0']);
  });

  it('a purl with a range (native or vers:)', async () => {
    const a = await post({ purl: 'pkg:maven/org.apache.logging.log4j/log4j-core', range: '[2.0-beta9,2.17.1)' }).expect(200);
    expect(a.body.matches.map((m: Record<string, string>) => `${m.version} ${m.target}`).sort()).toEqual(['2.0-beta9 app-03', '2.14.1 app-01', '2.3.1 app-02']);
    const b = await post({ purl: 'pkg:npm/%40babel/traverse', range: 'vers:npm/<7.23.2', id: 'my-check' }).expect(200);
    expect(summary(b.body.matches)).toEqual(['my-check npm @babel/traverse 7.23.0 ui-01 fixed:-']);
  });

  it('reports GIT ranges, unmapped ecosystems and unreadable versions in a 200, never guessing', async () => {
    const res = await post([{
      id: 'TEST-2',
      affected: [
        { package: { ecosystem: 'crates.io', name: 'time' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '0.2.23' }] }] },
        { package: { ecosystem: 'npm', name: 'lodash' }, ranges: [{ type: 'GIT', repo: 'https://github.com/lodash/lodash', events: [{ introduced: 'abc123' }] }, { type: 'ECOSYSTEM', events: [{ introduced: 'not a version' }] }] },
      ],
    }]).expect(200);
    expect(res.body.matches).toEqual([]);
    expect(res.body.reports).toEqual([
      expect.objectContaining({ advisory: 'TEST-2', path: '$[0].affected[0]', ecosystem: 'crates.io', problem: expect.stringMatching(/not one this server maps/) }),
      expect.objectContaining({ path: '$[0].affected[1].ranges[0]', problem: expect.stringMatching(/GIT ranges/) }),
      expect.objectContaining({ path: '$[0].affected[1].ranges[1]', feed: 'npm', problem: 'introduced "not a version" is not a semver version' }),
    ]);
    expect(res.headers['x-advisory-reports']).toBe('3');
  });

  it('answers 400 naming the JSON path of each problem, 413 over the limit, 415 for other types', async () => {
    const res = await post([
      { id: 'A', affected: [{ package: { ecosystem: 'npm', name: 'x' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0', fixed: '1.0.0' }] }] }] },
      { id: 'B', affected: [{ package: { ecosystem: 'npm', name: 'x' }, ranges: [{ type: 'ECOSYSTEM', events: [{ fixed: '1.0.0' }] }] }] },
      { id: 7, affected: 'all' },
      { id: 'D' },
      { id: 'E', affected: [{ package: { ecosystem: 'npm', name: 'x' }, ranges: [{ type: 'RANGE', events: [{ introduced: 5 }] }], versions: [1] }] },
    ]).expect(400);
    expect(res.type).toBe('text/plain');
    expect(res.text.trim().split('\n')).toEqual([
      '$[0].affected[0].ranges[0].events[0]: must have exactly one of introduced, fixed, last_affected, limit (has introduced, fixed).',
      '$[1].affected[0].ranges[0].events: must hold at least one introduced event.',
      '$[2].id: required: a non-empty string.',
      '$[2].affected: must be an array.',
      '$[3].affected: required: an array of affected packages.',
      '$[4].affected[0].ranges[0].type: required: "SEMVER", "ECOSYSTEM" or "GIT".',
      '$[4].affected[0].ranges[0].events[0].introduced: must be a non-empty string.',
      '$[4].affected[0].versions: must be an array of strings.',
    ]);
    await post('not json', KEY).set('Content-Type', 'application/json').expect(400);
    await request(app).post('/api/package-deployment/advisories').set('X-ApiKey', KEY).set('Content-Type', 'application/json').send('42').expect(400, /^\$: must be an OSV advisory/);
    const big = [{ id: 'X', details: 'x'.repeat(30_000), affected: [] }];
    await post(big).expect(413);
    await request(app).post('/api/package-deployment/advisories').set('X-ApiKey', KEY).set('Content-Type', 'text/plain').send('x').expect(415);
  });

  it('reads with the read privilege and scopes: a NuGet-only key sees NuGet matches only; no key is refused', async () => {
    const res = await post(advisories, NUGET_ONLY).expect(200);
    expect(new Set(res.body.matches.map((m: { feed: string }) => m.feed))).toEqual(new Set(['nuget']));
    expect(res.body.reports.map((r: { ecosystem: string }) => r.ecosystem).sort()).toEqual(['Maven', 'PyPI', 'npm', 'npm', 'npm']);
    await request(app).post('/api/package-deployment/advisories').send(advisories).expect(403);
    await post(advisories, 'wrong-key').expect(403);
  });

  it('answers CSV and NDJSON too', async () => {
    const csv = await post(advisories, KEY, '?format=csv').expect(200);
    expect(csv.type).toBe('text/csv');
    const lines = csv.text.trim().split('\r\n');
    expect(lines[0]).toBe('Advisory,Aliases,FeedName,GroupName,PackageName,Version,Target,Since,UserName,Application,FixedVersion');
    expect(lines).toHaveLength(9);
    expect(lines).toContainEqual(expect.stringMatching(/^GHSA-67hx-6x53-jw92,CVE-2023-45133,npm,@babel,traverse,7\.23\.0,ui-01,2024-01-\d\dT\d\d:00:00\.000Z,user-ui-01,app-ui-01,7\.23\.2$/));
    const nd = await post(advisories, KEY, '?format=ndjson').expect(200);
    const objects = nd.text.trim().split('\n').map((l) => JSON.parse(l));
    expect(objects).toHaveLength(8);
    await post(advisories, KEY, '?format=xml').expect(400, /format: must be json, csv or ndjson/);
  });
});
