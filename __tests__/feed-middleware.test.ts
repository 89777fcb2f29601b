/**
 * The feed-download middleware end to end: a feed server written without it, the middleware mounted in
 * front, real package files downloaded through supertest. Downloads must be byte-for-byte and
 * status-for-status what they are without it; successful GETs with the headers are recorded.
 */
import { EventEmitter } from 'node:events';
import express, { type Request } from 'express';
import {
  apiKeyAuth,
  createKnexStore,
  customLayout,
  feedDeployments,
  nugetV2Layout,
  routeParamsLayout,
  WARNING_EVENT,
  type DeploymentStore,
  type FeedDeploymentsOptions,
  type FeedDeploymentsMiddleware,
  type KnexDeploymentStore,
} from '../lib';
import { createTestDatabase, type TestDatabase } from './helpers/databases';
import { CHART, FIXTURES, JAR, WHEEL, feedApp } from './helpers/feed-app';
import { DEPLOYMENT_HEADERS, hasDeploymentHeaders, readHeaders } from '../lib/downloads/headers';
import { download, watchOutcomes, type Outcomes } from './helpers/feed-outcomes';
import { memoryLogger } from './helpers/fixtures';

const KEY = 'abc12345';
/** The contract's example Authorization header, as the real client sends it: scheme in lower case, api:abc12345. */
const REAL_CLIENT_AUTH = 'basic YXBpOmFiYzEyMzQ1';
const auth = apiKeyAuth({ keys: [{ name: 'buildmaster', key: KEY }, { name: 'scoped', key: 'scoped-key-1', feeds: ['Other'] }] });

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

let targets = 0;
/** A target name no other test uses, so records can be found by it. */
const uniqueTarget = () => `web-${++targets}-${Date.now()}`;

function deploymentHeaders(target: string, extra: Record<string, string> = {}) {
  return {
    'X-ProGet-Deployment-Application': 'BuildMaster',
    'X-ProGet-Deployment-Description': 'Deployed by Get-Package operation, see URL for more info.',
    'X-ProGet-Deployment-Target': target,
    Authorization: REAL_CLIENT_AUTH,
    ...extra,
  };
}

function setup(options: Partial<FeedDeploymentsOptions> = {}, app?: (mw: FeedDeploymentsMiddleware) => express.Express) {
  const events = new EventEmitter();
  const logger = memoryLogger();
  const mw = feedDeployments({ store, auth, events, logger, batch: { retryDelayMs: 1 }, ...options });
  opened.push(mw);
  const outcomes: Outcomes = watchOutcomes(options.events ?? events);
  return { app: app ? app(mw) : feedApp(mw), mw, outcomes, logger };
}

const recordsFor = async (target: string) => (await store.list({ target })).records;
const plain = feedApp();

const LAYOUTS: Array<[string, string, Buffer, Record<string, string | undefined>]> = [
  ['upack', '/upack/Products/download/InedoReleases/sub/ProGet/5.3.38', FIXTURES.upack.bytes, { feedName: 'Products', groupName: 'InedoReleases/sub', packageName: 'ProGet', version: '5.3.38' }],
  ['upack', '/upack/Products/download/demo%2Ftools/deploy%20kit/5.3.38?contentOnly=zip', FIXTURES.upack.bytes, { feedName: 'Products', groupName: 'demo/tools', packageName: 'deploy kit', version: '5.3.38' }],
  ['packages-api', '/api/packages/Products/download?group=demo%2Ftools&name=deploy-kit&version=5.3.38', FIXTURES.upack.bytes, { feedName: 'Products', groupName: 'demo/tools', packageName: 'deploy-kit', version: '5.3.38' }],
  ['nuget', '/nuget/DefaultNuGet/package/Inedo.Demo/1.2.3', FIXTURES.nuget.bytes, { feedName: 'DefaultNuGet', groupName: undefined, packageName: 'Inedo.Demo', version: '1.2.3' }],
  ['nuget', '/nuget/DefaultNuGet/v3/flatcontainer/inedo.demo/1.2.3/inedo.demo.1.2.3.nupkg', FIXTURES.nuget.bytes, { feedName: 'DefaultNuGet', packageName: 'inedo.demo', version: '1.2.3' }],
  ['npm', '/npm/npm-packages/@demo/left-pad/-/left-pad-1.0.0.tgz', FIXTURES.npm.bytes, { feedName: 'npm-packages', groupName: '@demo', packageName: 'left-pad', version: '1.0.0' }],
  ['npm', '/npm/npm-packages/@demo%2fleft-pad/-/left-pad-1.0.0.tgz', FIXTURES.npm.bytes, { feedName: 'npm-packages', groupName: '@demo', packageName: 'left-pad', version: '1.0.0' }],
  ['npm', '/npm/npm-packages/left-pad/-/left-pad-1.0.0.tgz', FIXTURES.npm.bytes, { feedName: 'npm-packages', groupName: undefined, packageName: 'left-pad', version: '1.0.0' }],
  ['maven', '/maven2/maven-releases/org/apache/commons/commons-lang3/3.14.0/commons-lang3-3.14.0.jar', JAR, { feedName: 'maven-releases', groupName: 'org.apache.commons', packageName: 'commons-lang3', version: '3.14.0' }],
  ['pypi', '/pypi/pypi-packages/download/requests/2.31.0/requests-2.31.0-py3-none-any.whl', WHEEL, { feedName: 'pypi-packages', packageName: 'requests', version: '2.31.0' }],
  ['helm', '/helm/charts/my-web-app-1.2.3.tgz', CHART, { feedName: 'charts', packageName: 'my-web-app', version: '1.2.3' }],
];

describe('each download layout, end to end', () => {
  it.each(LAYOUTS)('%s: %s downloads the same bytes and is recorded', async (feedType, url, bytes, expected) => {
    const { app, outcomes, mw } = setup();
    const target = uniqueTarget();
    const without = await download(plain, url, deploymentHeaders(target));
    const withMw = await download(app, url, deploymentHeaders(target));
    expect(without.status).toBe(200);
    expect(without.body.equals(bytes)).toBe(true);
    expect(withMw).toEqual(without);

    await outcomes.settled(1);
    expect(outcomes.skipped).toEqual([]);
    expect(outcomes.deployed[0]!.context).toEqual({ source: 'feed', feedType, principal: expect.objectContaining({ name: 'buildmaster' }) });
    const [record, ...more] = await recordsFor(target);
    expect(more).toEqual([]);
    expect(record).toMatchObject({ application: 'BuildMaster', target, userName: 'buildmaster', feedName: expected.feedName, packageName: expected.packageName, version: expected.version });
    expect(record!.groupName).toBe(expected.groupName);
    expect(mw.stats()).toEqual({ queued: 0, recorded: 1, lost: 0, skipped: 0, warnings: 0 });
  });
});

describe('the real client', () => {
  it('records the contract example as BuildMaster sends it (lower-case "basic", api:key)', async () => {
    const { app, outcomes } = setup();
    const target = uniqueTarget();
    const url = 'https://buildmaster.example/applications/4/builds/build?releaseNumber=1.2&buildNumber=7';
    const res = await download(app, '/upack/Products/download/InedoReleases/sub/ProGet/5.3.38', {
      'X-ProGet-Deployment-Application': 'BuildMaster',
      'X-ProGet-Deployment-Description': 'Deployed by Get-Package operation, see URL for more info.',
      'X-ProGet-Deployment-Url': url,
      'X-ProGet-Deployment-Target': target,
      Authorization: 'basic YXBpOmFiYzEyMzQ1',
    });
    expect(res.status).toBe(200);
    await outcomes.settled(1);
    const [record] = await recordsFor(target);
    expect(record).toMatchObject({
      application: 'BuildMaster',
      description: 'Deployed by Get-Package operation, see URL for more info.',
      url,
      target,
      userName: 'buildmaster',
      feedName: 'Products',
      groupName: 'InedoReleases/sub',
      packageName: 'ProGet',
      version: '5.3.38',
    });
    expect(Math.abs(record!.date.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it('matches header names case-insensitively; an empty Url is absent; UserName and Date are taken', async () => {
    const { app, outcomes } = setup();
    const target = uniqueTarget();
    await download(app, '/nuget/DefaultNuGet/package/Inedo.Demo/1.2.3', {
      'x-proget-deployment-application': 'Octopus',
      'X-PROGET-DEPLOYMENT-DESCRIPTION': '',
      'X-Proget-Deployment-Target': target,
      'x-proget-deployment-url': '',
      'X-ProGet-Deployment-UserName': 'alice',
      'X-ProGet-Deployment-Date': '2024-05-01T08:00:00-04:00',
      Authorization: REAL_CLIENT_AUTH,
    });
    await outcomes.settled(1);
    const [record] = await recordsFor(target);
    expect(record).toMatchObject({ application: 'Octopus', description: '', userName: 'alice' });
    expect(record!.url).toBeUndefined();
    expect(record!.date.toISOString()).toBe('2024-05-01T12:00:00.000Z');
  });
});

describe('downloads that are not recorded, unchanged', () => {
  it('ignores requests without deployment headers entirely', async () => {
    const { app, outcomes, mw } = setup();
    const res = await download(app, '/nuget/DefaultNuGet/package/Inedo.Demo/1.2.3');
    expect(res).toEqual(await download(plain, '/nuget/DefaultNuGet/package/Inedo.Demo/1.2.3'));
    await mw.flush();
    expect(outcomes.deployed.length + outcomes.skipped.length).toBe(0);
    expect(mw.stats().skipped).toBe(0);
  });

  it.each([
    ['Description missing', { 'X-ProGet-Deployment-Description': undefined }, 'X-ProGet-Deployment-Description: is required.'],
    ['Target missing', { 'X-ProGet-Deployment-Target': undefined }, 'X-ProGet-Deployment-Target: is required.'],
    ['Application empty', { 'X-ProGet-Deployment-Application': '' }, 'X-ProGet-Deployment-Application: must not be empty.'],
    ['only Url', { 'X-ProGet-Deployment-Application': undefined, 'X-ProGet-Deployment-Description': undefined, 'X-ProGet-Deployment-Target': undefined, 'X-ProGet-Deployment-Url': 'https://ci.example/1' }, 'X-ProGet-Deployment-Application: is required.'],
  ])('partial headers (%s): same download, no record, a skip naming the header', async (_name, change, message) => {
    const { app, outcomes, logger } = setup();
    const target = uniqueTarget();
    const headers: Record<string, string> = { ...deploymentHeaders(target) };
    for (const [k, v] of Object.entries(change)) {
      if (v === undefined) delete headers[k];
      else headers[k] = v;
    }
    const url = '/npm/npm-packages/@demo/left-pad/-/left-pad-1.0.0.tgz';
    expect(await download(app, url, headers)).toEqual(await download(plain, url, headers));
    await outcomes.settled(1);
    expect(outcomes.skipped[0]).toMatchObject({ reason: 'partial_headers', status: 200, feedType: 'npm', feedName: 'npm-packages' });
    expect(outcomes.skipped[0]!.message).toContain(message);
    expect(logger.lines.join('\n')).toContain(message);
    expect(await recordsFor(target)).toEqual([]);
  });

  it('skips invalid header values (a relative Url, a value too long)', async () => {
    const { app, outcomes } = setup();
    const target = uniqueTarget();
    const url = '/nuget/DefaultNuGet/package/Inedo.Demo/1.2.3';
    await download(app, url, deploymentHeaders(target, { 'X-ProGet-Deployment-Url': '/builds/7' }));
    await download(app, url, deploymentHeaders(target, { 'X-ProGet-Deployment-Target': 'x'.repeat(201) }));
    await outcomes.settled(2);
    expect(outcomes.skipped.map((s) => s.reason)).toEqual(['invalid_headers', 'invalid_headers']);
    expect(outcomes.skipped[0]!.message).toContain('X-ProGet-Deployment-Url: must be an absolute http:// or https:// URL.');
    expect(outcomes.skipped[1]!.message).toContain('X-ProGet-Deployment-Target: must be at most 200 characters long');
    expect(await recordsFor(target)).toEqual([]);
  });

  it.each([
    ['404', '/nuget/DefaultNuGet/package/Inedo.Demo/1.2.3?fail=404', 404],
    ['500', '/nuget/DefaultNuGet/package/Inedo.Demo/1.2.3?fail=500', 500],
    ['401 challenge', '/nuget/DefaultNuGet/package/Inedo.Demo/1.2.3?auth=1', 401],
  ])('a failed download (%s) records nothing and is answered as without the middleware', async (_name, url, status) => {
    const { app, outcomes } = setup();
    const target = uniqueTarget();
    const headers = deploymentHeaders(target);
    if (status === 401) delete (headers as Record<string, string>).Authorization;
    const res = await download(app, url, headers);
    expect(res.status).toBe(status);
    expect(res).toEqual(await download(plain, url, headers));
    await outcomes.settled(1);
    expect(outcomes.skipped[0]).toMatchObject({ reason: 'download_failed', status });
    expect(await recordsFor(target)).toEqual([]);
  });

  it('records the retry of a 401 challenge round once, when it succeeds', async () => {
    const { app, outcomes } = setup();
    const target = uniqueTarget();
    const { Authorization, ...noAuth } = deploymentHeaders(target);
    expect((await download(app, '/nuget/DefaultNuGet/package/Inedo.Demo/1.2.3?auth=1', noAuth)).status).toBe(401);
    expect((await download(app, '/nuget/DefaultNuGet/package/Inedo.Demo/1.2.3?auth=1', { ...noAuth, Authorization })).status).toBe(200);
    await outcomes.settled(2);
    expect(await recordsFor(target)).toHaveLength(1);
  });

  it('a 304 (If-None-Match) records nothing', async () => {
    const { app, outcomes } = setup();
    const target = uniqueTarget();
    const url = '/npm/npm-packages/left-pad/-/left-pad-1.0.0.tgz';
    const { etag } = (await download(plain, url)).headers;
    const res = await download(app, url, deploymentHeaders(target, { 'If-None-Match': etag! }));
    expect(res.status).toBe(304);
    expect(res).toEqual(await download(plain, url, { 'If-None-Match': etag! }));
    await outcomes.settled(1);
    expect(outcomes.skipped[0]).toMatchObject({ reason: 'download_failed', status: 304 });
    expect(await recordsFor(target)).toEqual([]);
  });

  it('HEAD records nothing', async () => {
    const { app, outcomes } = setup();
    const target = uniqueTarget();
    const url = '/upack/Products/download/demo/tools/deploy-kit/5.3.38';
    const res = await download(app, url, deploymentHeaders(target), 'head');
    expect(res.status).toBe(200);
    expect(res).toEqual(await download(plain, url, deploymentHeaders(target), 'head'));
    await outcomes.settled(1);
    expect(outcomes.skipped[0]).toMatchObject({ reason: 'not_get', method: 'HEAD' });
    expect(await recordsFor(target)).toEqual([]);
  });

  it('skips URLs no layout knows (metadata requests of a client that sends the headers everywhere)', async () => {
    const app = express();
    const { mw, outcomes } = setup();
    app.use(mw);
    app.get('/npm/:feed/:name', (_req, res) => { res.json({ name: 'left-pad' }); });
    await download(app, '/npm/npm-packages/left-pad', deploymentHeaders(uniqueTarget()));
    await outcomes.settled(1);
    expect(outcomes.skipped[0]!.reason).toBe('not_a_download');
  });
});

describe('who deployed', () => {
  it('refuses to record (but never to download) for refused or out-of-scope keys', async () => {
    const { app, outcomes } = setup();
    const target = uniqueTarget();
    const url = '/nuget/DefaultNuGet/package/Inedo.Demo/1.2.3';
    const wrong = await download(app, url, deploymentHeaders(target, { Authorization: `Basic ${Buffer.from('api:wrong-key-123').toString('base64')}` }));
    const scoped = await download(app, url, deploymentHeaders(target, { Authorization: '', 'X-ApiKey': 'scoped-key-1' }));
    const anonymous = await download(app, url, deploymentHeaders(target, { Authorization: '' }));
    for (const res of [wrong, scoped, anonymous]) expect(res.status).toBe(200);
    await outcomes.settled(3);
    expect(outcomes.skipped.map((s) => s.reason)).toEqual(['unauthorized', 'unauthorized', 'unauthorized']);
    expect(outcomes.skipped[1]!.message).toContain('"scoped" may not record deployments on feed "DefaultNuGet"');
    expect(await recordsFor(target)).toEqual([]);
  });

  it('uses the principal the host set on req.user (even after the middleware ran), unasked', async () => {
    const { mw, outcomes } = setup();
    const app = express();
    app.use(mw);
    app.use((req, _res, next) => { (req as Request & { user?: unknown }).user = { username: 'carol', id: 7 }; next(); });
    app.use(feedApp());
    const target = uniqueTarget();
    await download(app, '/nuget/DefaultNuGet/package/Inedo.Demo/1.2.3', deploymentHeaders(target, { Authorization: '' }));
    await outcomes.settled(1);
    expect((await recordsFor(target))[0]!.userName).toBe('carol');
    expect(outcomes.deployed[0]!.context.principal).toMatchObject({ name: 'carol', kind: 'host' });
  });

  it('without an auth adapter, records every successful download, as Anonymous when no user is known', async () => {
    const { app, outcomes } = setup({ auth: undefined });
    const target = uniqueTarget();
    await download(app, '/nuget/DefaultNuGet/package/Inedo.Demo/1.2.3', deploymentHeaders(target, { Authorization: '' }));
    await outcomes.settled(1);
    expect((await recordsFor(target))[0]!.userName).toBe('Anonymous');
  });

  it('records an unparseable Date as the time received, and reports it', async () => {
    const { app, outcomes, mw, logger } = setup();
    const warnings: unknown[] = [];
    mw.events.on(WARNING_EVENT, (w) => warnings.push(w));
    const target = uniqueTarget();
    const before = Date.now();
    await download(app, '/nuget/DefaultNuGet/package/Inedo.Demo/1.2.3', deploymentHeaders(target, { 'X-ProGet-Deployment-Date': 'yesterday' }));
    await outcomes.settled(1);
    const [record] = await recordsFor(target);
    expect(record!.date.getTime()).toBe(record!.receivedAt.getTime());
    expect(record!.date.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(warnings).toEqual([expect.objectContaining({ code: 'date_unparseable' })]);
    expect(mw.stats().warnings).toBe(1);
    expect(logger.lines.join('\n')).toContain('"yesterday" is not an ISO 8601 date');
  });
});

describe('"latest" downloads', () => {
  it('records the version the route says it served in res.locals.servedPackage', async () => {
    const { app, outcomes } = setup();
    const target = uniqueTarget();
    await download(app, '/upack/Products/download/demo/tools/deploy-kit?latest', deploymentHeaders(target));
    await download(app, '/nuget/DefaultNuGet/package/Inedo.Demo', deploymentHeaders(target));
    await outcomes.settled(2);
    const records = await recordsFor(target);
    expect(records.map((r) => `${r.groupName ?? ''}|${r.packageName}@${r.version}`).sort()).toEqual(['demo/tools|deploy-kit@5.3.38', '|Inedo.Demo@1.2.3']);
  });

  it('takes the version from the servedPackage callback, and skips when nobody says', async () => {
    const layout = customLayout((req) => {
      const m = /^\/latest-without-telling\/([^/]+)\/([^/?]+)/.exec(req.originalUrl);
      return m ? { feedName: m[1]!, packageName: m[2]! } : undefined;
    });
    const told = setup({ layouts: layout, servedPackage: (req) => (req.query.v ? { version: String(req.query.v) } : undefined) });
    const target = uniqueTarget();
    await download(told.app, '/latest-without-telling/DefaultNuGet/Inedo.Demo?v=9.9.9', deploymentHeaders(target));
    await download(told.app, '/latest-without-telling/DefaultNuGet/Inedo.Demo', deploymentHeaders(target));
    await told.outcomes.settled(2);
    expect((await recordsFor(target)).map((r) => r.version)).toEqual(['9.9.9']);
    expect(told.outcomes.skipped).toEqual([expect.objectContaining({ reason: 'latest_unknown' })]);
    expect(told.outcomes.skipped[0]!.message).toContain('res.locals.servedPackage');
  });
});

describe('switches', () => {
  it('records only on the feeds it is enabled for (list or function)', async () => {
    for (const enabled of [['defaultnuget'], (feed: string) => feed === 'DefaultNuGet']) {
      const { app, outcomes } = setup({ enabled });
      const target = uniqueTarget();
      const on = await download(app, '/nuget/DefaultNuGet/package/Inedo.Demo/1.2.3', deploymentHeaders(target));
      const off = await download(app, '/upack/Products/download/demo/tools/deploy-kit/5.3.38', deploymentHeaders(target));
      expect([on.status, off.status]).toEqual([200, 200]);
      await outcomes.settled(2);
      expect((await recordsFor(target)).map((r) => r.feedName)).toEqual(['DefaultNuGet']);
      expect(outcomes.skipped).toEqual([expect.objectContaining({ reason: 'disabled', feedName: 'Products' })]);
    }
  });

  it('skips feeds the catalogue does not know, and records the catalogue spelling', async () => {
    const { app, outcomes } = setup({ feeds: ['DefaultNuGet'] });
    const target = uniqueTarget();
    await download(app, '/nuget/defaultnuget/package/Inedo.Demo/1.2.3', deploymentHeaders(target));
    await download(app, '/nuget/NoSuchFeed/package/Inedo.Demo/1.2.3', deploymentHeaders(target));
    await outcomes.settled(2);
    expect((await recordsFor(target)).map((r) => r.feedName)).toEqual(['DefaultNuGet']);
    expect(outcomes.skipped).toEqual([expect.objectContaining({ reason: 'unknown_feed', feedName: 'NoSuchFeed' })]);
  });

  describe('strict mode', () => {
    it('answers 400 naming the missing header, before the download route runs', async () => {
      let routeRan = 0;
      const { outcomes } = setup();
      const app = (mw: FeedDeploymentsMiddleware) => {
        const a = express();
        a.get('/nuget/:feed/package/:id/:version', mw, (_req, res) => { routeRan++; res.send(FIXTURES.nuget.bytes); });
        return a;
      };
      const strict = setup({ strict: true, layouts: nugetV2Layout() }, app);
      const target = uniqueTarget();
      const { 'X-ProGet-Deployment-Target': _t, ...partial } = deploymentHeaders(target);
      const res = await download(strict.app, '/nuget/DefaultNuGet/package/Inedo.Demo/1.2.3', partial);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(res.body.toString()).toBe('X-ProGet-Deployment-Target: is required.\n');
      expect(routeRan).toBe(0);
      await strict.outcomes.settled(1);
      expect(strict.outcomes.skipped[0]).toMatchObject({ reason: 'partial_headers', status: 400 });

      const ok = await download(strict.app, '/nuget/DefaultNuGet/package/Inedo.Demo/1.2.3', deploymentHeaders(target));
      const none = await download(strict.app, '/nuget/DefaultNuGet/package/Inedo.Demo/1.2.3');
      expect([ok.status, none.status, routeRan]).toEqual([200, 200, 2]);
      await strict.outcomes.settled(2);
      expect(await recordsFor(target)).toHaveLength(1);
      expect(outcomes.skipped).toEqual([]);
    });

    it('lets partial headers through where recording is off for the feed', async () => {
      const { app } = setup({ strict: true, enabled: ['Other'] });
      const { 'X-ProGet-Deployment-Target': _t, ...partial } = deploymentHeaders(uniqueTarget());
      expect((await download(app, '/nuget/DefaultNuGet/package/Inedo.Demo/1.2.3', partial)).status).toBe(200);
    });
  });
});

describe('never into the request', () => {
  it('reports a throwing auth adapter or callback as a skip; the download is untouched', async () => {
    const throwing = { authenticate: () => { throw new Error('user directory offline'); }, authorize: () => true };
    const { app, outcomes, logger } = setup({ auth: throwing });
    const url = '/nuget/DefaultNuGet/package/Inedo.Demo/1.2.3';
    expect(await download(app, url, deploymentHeaders(uniqueTarget()))).toEqual(await download(plain, url, deploymentHeaders('x')));
    const other = setup({ servedPackage: () => { throw new Error('boom'); } });
    expect((await download(other.app, url, deploymentHeaders(uniqueTarget()))).status).toBe(200);
    await outcomes.settled(1);
    await other.outcomes.settled(1);
    expect(outcomes.skipped[0]).toMatchObject({ reason: 'error', message: 'recording failed: user directory offline' });
    expect(other.outcomes.skipped[0]).toMatchObject({ reason: 'error', message: 'recording failed: boom' });
    expect(logger.lines.some((l) => l.startsWith('error: package-deployments: recording a feed download failed'))).toBe(true);
  });

  it('skips a download the client did not receive whole', async () => {
    const { mw, outcomes } = setup();
    const app = express();
    app.use(mw);
    app.get('/nuget/:feed/package/:id/:version', (req, res) => {
      res.status(200).type('application/octet-stream');
      res.write(FIXTURES.nuget.bytes.subarray(0, 10));
      req.socket.destroy();
    });
    await expect(download(app, '/nuget/DefaultNuGet/package/Inedo.Demo/1.2.3', deploymentHeaders(uniqueTarget()))).rejects.toThrow();
    await outcomes.settled(1);
    expect(outcomes.skipped[0]).toMatchObject({ reason: 'download_incomplete' });
  });

  it("records a download answered through a host's own response object that emits only 'finish'", async () => {
    // Node's ServerResponse is watched on 'close' alone (it always emits it); any other response object,
    // such as an in-process host's, on 'finish' as well.
    const { mw, outcomes } = setup();
    const target = uniqueTarget();
    const path = '/nuget/DefaultNuGet/package/Inedo.Demo/1.2.3';
    const headers = Object.fromEntries(Object.entries(deploymentHeaders(target)).map(([k, v]) => [k.toLowerCase(), v]));
    const req = Object.assign(new EventEmitter(), { method: 'GET', url: path, originalUrl: path, headers, socket: {} });
    const res = Object.assign(new EventEmitter(), { req, statusCode: 200, locals: {}, headersSent: true, writableFinished: true, getHeader: () => undefined });
    let nextCalled = false;
    mw(req as never, res as never, () => { nextCalled = true; });
    expect(nextCalled).toBe(true);
    res.emit('finish');
    await outcomes.settled(1);
    await mw.flush();
    expect(outcomes.deployed).toHaveLength(1);
    expect(await recordsFor(target)).toHaveLength(1);
  });

  it('records once when two instances are mounted on the same path', async () => {
    const { mw, outcomes } = setup();
    const second = setup();
    const app = express();
    app.use(mw);
    app.get('/nuget/:feed/package/:id/:version', second.mw, (_req, res) => { res.send(FIXTURES.nuget.bytes); });
    const target = uniqueTarget();
    await download(app, '/nuget/DefaultNuGet/package/Inedo.Demo/1.2.3', deploymentHeaders(target));
    await outcomes.settled(1);
    await mw.flush();
    await second.mw.flush();
    expect(await recordsFor(target)).toHaveLength(1);
    expect(second.outcomes.deployed.length + second.outcomes.skipped.length).toBe(0);
  });
});

describe('mounting', () => {
  it('works in front of one route with routeParamsLayout', async () => {
    const { outcomes } = setup();
    const target = uniqueTarget();
    const built = setup({ layouts: routeParamsLayout({ feedType: 'files', params: { name: 'file' } }) }, (mw) => {
      const app = express();
      app.get('/files/:feed/:file/:version', mw, (_req, res) => { res.send(FIXTURES.upack.bytes); });
      return app;
    });
    const res = await download(built.app, '/files/Products/deploy%20kit/1.0.0', deploymentHeaders(target));
    expect(res.body.equals(FIXTURES.upack.bytes)).toBe(true);
    await built.outcomes.settled(1);
    expect(built.outcomes.deployed[0]!.context.feedType).toBe('files');
    expect((await recordsFor(target))[0]).toMatchObject({ feedName: 'Products', packageName: 'deploy kit', version: '1.0.0' });
    expect(outcomes.deployed).toEqual([]);
  });

  it('throws at construction for structural mistakes, with a fix', () => {
    expect(() => feedDeployments({ stor: store } as never)).toThrow(/unknown option "stor". Did you mean "store"\?/);
    expect(() => feedDeployments({ store: {} as DeploymentStore })).toThrow(/has no record\(\) method/);
    expect(() => feedDeployments({ store, layouts: [] })).toThrow(/layouts is empty/);
    expect(() => feedDeployments({ store, enabled: 'yes' as never })).toThrow(/enabled must be/);
    expect(() => feedDeployments({ store, batch: { maxSize: 0 } })).toThrow(/feedDeployments: batch.maxSize must be a whole number from 1 to 10000/);
    expect(() => (feedDeployments as unknown as (...a: unknown[]) => unknown)({ method: 'GET', headers: {} }, {}, () => undefined)).toThrow(/mounted without being called/);
  });
});

describe('reading the deployment headers (lib/downloads/headers.ts)', () => {
  const reqWith = (headers: Record<string, string | string[]>) => ({ headers }) as unknown as Request;

  it('reads every header of DEPLOYMENT_HEADERS, alone, into its field; the presence check sees each', () => {
    for (const { header, field } of DEPLOYMENT_HEADERS) {
      const req = reqWith({ [header.toLowerCase()]: 'v' });
      expect(hasDeploymentHeaders(req)).toBe(true);
      expect(readHeaders(req)).toEqual({ [field]: 'v' });
    }
  });

  it('no deployment header: no values, and the presence check says no (other headers are not read as ours)', () => {
    const req = reqWith({ host: 'feed.example', 'x-proget-deployment': 'x', 'x-deployment-removed': 'true' });
    expect(hasDeploymentHeaders(req)).toBe(false);
    expect(readHeaders(req)).toEqual({});
  });

  it('all six together, a repeated one joined with ", "', () => {
    const req = reqWith({
      'x-proget-deployment-application': 'BuildMaster',
      'x-proget-deployment-description': 'd',
      'x-proget-deployment-target': ['web-01', 'web-02'],
      'x-proget-deployment-url': 'https://ci.example/1',
      'x-proget-deployment-username': 'alice',
      'x-proget-deployment-date': '2024-05-01T12:00:00Z',
    });
    expect(readHeaders(req)).toEqual({ Application: 'BuildMaster', Description: 'd', Target: 'web-01, web-02', Url: 'https://ci.example/1', UserName: 'alice', Date: '2024-05-01T12:00:00Z' });
  });
});
