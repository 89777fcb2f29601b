/**
 * Scopes: a key for feed A cannot record or read feed B; a read-only key cannot record; a record-only
 * key cannot read; anonymous callers get only what the configuration grants. Checked for both key
 * adapters (keys in the options, keys in the database) and for every place a key may come from, so no
 * credential source widens a scope. Reads cover the read API (list, current, CSV/NDJSON exports) and the
 * History page; recording covers the record endpoint and feed downloads.
 */
import { EventEmitter } from 'node:events';
import express from 'express';
import request from 'supertest';
import {
  FORBIDDEN_MESSAGE,
  apiKeyAuth,
  createDeploymentRouter,
  createKnexApiKeyStore,
  createKnexStore,
  feedDeployments,
  type AnonymousGrant,
  type AuthAdapter,
  type KnexDeploymentStore,
  validateDeployment,
} from '../lib';
import { createTestDatabase, type TestDatabase } from './helpers/databases';
import { FIXTURES, feedApp } from './helpers/feed-app';
import { download, watchOutcomes } from './helpers/feed-outcomes';
import { SAMPLE, memoryLogger } from './helpers/fixtures';

const FEEDS = ['FeedA', 'FeedB', 'Public'];
const PATH = '/api/package-deployment/';

interface Setup {
  auth: AuthAdapter;
  keyA: string;
  readOnly: string;
  /** May record on every feed, read none. */
  recordOnly: string;
  close(): Promise<void>;
}

const ADAPTERS: Array<[string, (db: TestDatabase, anonymous: false | AnonymousGrant) => Promise<Setup>]> = [
  ['apiKeyAuth (keys in the options)', async (_db, anonymous) => {
    const keyA = 'feed-a-key-00000001';
    const readOnly = 'read-only-key-00001';
    const recordOnly = 'record-only-key-0001';
    return {
      auth: apiKeyAuth({
        keys: [
          { name: 'a-only', key: keyA, feeds: ['FeedA'] },
          { name: 'reader', key: readOnly, privileges: ['Feeds_ViewPackage'] },
          { name: 'recorder', key: recordOnly, privileges: ['Feeds_DownloadPackage'] },
        ],
        anonymous,
      }),
      keyA,
      readOnly,
      recordOnly,
      close: async () => {},
    };
  }],
  ['createKnexApiKeyStore (keys in the database)', async (db, anonymous) => {
    const keys = createKnexApiKeyStore({ knex: db.knex, anonymous });
    const suffix = Math.random().toString(36).slice(2);
    const { key: keyA } = await keys.createApiKey({ name: `a-only-${suffix}`, feeds: ['FeedA'] });
    const { key: readOnly } = await keys.createApiKey({ name: `reader-${suffix}`, privileges: ['Feeds_ViewPackage'] });
    const { key: recordOnly } = await keys.createApiKey({ name: `recorder-${suffix}`, privileges: ['Feeds_DownloadPackage'] });
    return { auth: keys, keyA, readOnly, recordOnly, close: () => keys.close() };
  }],
];

let db: TestDatabase;
let store: KnexDeploymentStore;
beforeAll(async () => {
  db = await createTestDatabase('sqlite');
  store = createKnexStore({ knex: db.knex });
  await store.init();
  // One record per feed to read back, each marked with its feed, so that a leak would show.
  await store.record(FEEDS.map((feed) => {
    const result = validateDeployment({ ...SAMPLE, FeedName: feed, Target: `seed-${feed}`, Description: `secret of ${feed}` });
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    return result.deployment;
  }));
});
afterAll(async () => {
  await store.close();
  await db.destroy();
});

async function count(): Promise<number> {
  const [{ n }] = await db.knex('package_deployments').count({ n: '*' });
  return Number(n);
}

/** Every way the contract lets a key be presented. */
const SOURCES: Array<[string, (req: request.Test, key: string, body: Record<string, string>) => request.Test]> = [
  ['X-ApiKey header', (req, key, body) => req.set('X-ApiKey', key).send(body)],
  ['?key= query', (req, _key, body) => req.send(body)],
  ['form key', (req, key, body) => req.type('form').send({ ...body, key })],
  ['JSON API_Key', (req, key, body) => req.send({ ...body, API_Key: key })],
  ['Basic api:<key>', (req, key, body) => req.set('Authorization', `Basic ${Buffer.from(`api:${key}`).toString('base64')}`).send(body)],
];

describe.each(ADAPTERS)('scopes with %s', (_name, make) => {
  let setup: Setup;
  let app: express.Express;
  beforeAll(async () => {
    setup = await make(db, { privileges: ['Feeds_DownloadPackage'], feeds: ['Public'] });
    app = express();
    app.use(createDeploymentRouter({ store, auth: setup.auth, feeds: FEEDS }));
  });
  afterAll(() => setup.close());

  const post = (key: string, source: (typeof SOURCES)[number][1], feed: string) => {
    const path = source === SOURCES[1]![1] ? `${PATH}?key=${encodeURIComponent(key)}` : PATH;
    return source(request(app).post(path), key, { ...SAMPLE, FeedName: feed });
  };

  it.each(SOURCES)('a key for feed A records feed A (any spelling) but never feed B, via %s', async (_source, send) => {
    await post(setup.keyA, send, 'FeedA').expect(200);
    await post(setup.keyA, send, 'feeda').expect(200);
    const before = await count();
    const res = await post(setup.keyA, send, 'FeedB');
    expect(res.status).toBe(403);
    expect(res.text.trim()).toBe(FORBIDDEN_MESSAGE);
    expect(res.text).not.toContain(setup.keyA);
    expect(await count()).toBe(before);
  });

  it.each(SOURCES)('a read-only key records nothing, via %s', async (_source, send) => {
    const before = await count();
    for (const feed of FEEDS) {
      const res = await post(setup.readOnly, send, feed);
      expect(res.status).toBe(403);
      expect(res.text).not.toContain(setup.readOnly);
    }
    expect(await count()).toBe(before);
  });

  it('a key for feed A cannot reach feed B through a feed the catalogue does not know either (403 before 404)', async () => {
    await request(app).post(PATH).set('X-ApiKey', setup.keyA).send({ ...SAMPLE, FeedName: 'Secret' }).expect(403);
  });

  it('anonymous callers record only on the granted feed, and are recorded as Anonymous', async () => {
    await request(app).post(PATH).send({ ...SAMPLE, FeedName: 'Public' }).expect(200);
    const [row] = await db.knex('package_deployments').orderBy('id', 'desc').limit(1);
    expect(row.user_name).toBe('Anonymous');
    const before = await count();
    await request(app).post(PATH).send({ ...SAMPLE, FeedName: 'FeedA' }).expect(403);
    expect(await count()).toBe(before);
  });

  it('an unknown or malformed key is refused, never treated as anonymous', async () => {
    const before = await count();
    for (const key of ['not-a-real-key-000', `${setup.keyA}x`, ' ', '\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9']) {
      await request(app).post(`${PATH}?key=${encodeURIComponent(key)}`).send({ ...SAMPLE, FeedName: 'Public' }).expect(403);
    }
    expect(await count()).toBe(before);
  });
});

/** Every way to read a feed's records: the read API's listing, running-now and exports, and the History page. */
const READS: Array<[string, (feed: string) => string]> = [
  ['list (JSON)', (feed) => `/api/package-deployment?feed=${feed}`],
  ['current (JSON)', (feed) => `/api/package-deployment/current?feed=${feed}&package=${SAMPLE.PackageName}`],
  ['CSV export', (feed) => `/api/package-deployment?feed=${feed}&format=csv`],
  ['NDJSON export', (feed) => `/api/package-deployment/current?feed=${feed}&package=${SAMPLE.PackageName}&format=ndjson`],
  ['History page', (feed) => `/-/deployments/${feed}/${SAMPLE.PackageName}`],
];

/** The ways a key may come with a GET (no body). */
const READ_SOURCES: Array<[string, (path: string, key: string) => { path: string; headers: Record<string, string> }]> = [
  ['X-ApiKey header', (path, key) => ({ path, headers: { 'X-ApiKey': key } })],
  ['?key= query', (path, key) => ({ path: `${path}${path.includes('?') ? '&' : '?'}key=${encodeURIComponent(key)}`, headers: {} })],
  ['Basic api:<key>', (path, key) => ({ path, headers: { Authorization: `basic ${Buffer.from(`api:${key}`).toString('base64')}` } })],
];

function expectRefused(res: request.Response, key?: string): void {
  expect({ status: res.status, text: res.text.trim() }).toEqual({ status: 403, text: FORBIDDEN_MESSAGE });
  expect(res.headers['content-type']).toMatch(/^text\/plain/);
  for (const feed of FEEDS) expect(res.text).not.toContain(`secret of ${feed}`);
  if (key) expect(res.text).not.toContain(key);
}

function expectOnly(res: request.Response, feed: string): void {
  expect(res.status).toBe(200);
  expect(res.text).toContain(`secret of ${feed}`);
  for (const other of FEEDS) if (other !== feed) expect(res.text).not.toContain(`secret of ${other}`);
}

describe.each(ADAPTERS)('reading scopes with %s', (_name, make) => {
  let setup: Setup;
  let app: express.Express;
  beforeAll(async () => {
    // Anonymous may record on Public, and read nothing.
    setup = await make(db, { privileges: ['Feeds_DownloadPackage'], feeds: ['Public'] });
    app = express();
    app.use(createDeploymentRouter({ store, auth: setup.auth, feeds: FEEDS }));
  });
  afterAll(() => setup.close());

  const read = (path: string, key: string, source: (typeof READ_SOURCES)[number][1]) => {
    expect(key).toEqual(expect.any(String));
    const r = source(path, key);
    return request(app).get(r.path).set(r.headers);
  };

  describe.each(READ_SOURCES)('key via %s', (_source, source) => {
    it.each(READS)('%s: a key for feed A reads feed A (any spelling), never feed B', async (_what, pathOf) => {
      expectOnly(await read(pathOf('FeedA'), setup.keyA, source), 'FeedA');
      expectOnly(await read(pathOf('feeda'), setup.keyA, source), 'FeedA');
      for (const feed of ['FeedB', 'FEEDB', 'Public']) expectRefused(await read(pathOf(feed), setup.keyA, source), setup.keyA);
    });

    it.each(READS)('%s: a record-only key reads nothing; a read-only key reads every feed', async (_what, pathOf) => {
      for (const feed of FEEDS) {
        expectRefused(await read(pathOf(feed), setup.recordOnly, source), setup.recordOnly);
        expectOnly(await read(pathOf(feed), setup.readOnly, source), feed);
      }
    });
  });

  it('a listing naming no feed covers only the feeds the key may read, and none for a record-only key', async () => {
    const ndjson = (key: string) => request(app).get('/api/package-deployment').set('X-ApiKey', key).set('Accept', 'application/x-ndjson');
    const feedsIn = (res: request.Response) => [...new Set(res.text.split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { FeedName: string }).FeedName))].sort();
    const a = await ndjson(setup.keyA);
    expect(a.status).toBe(200);
    expect(feedsIn(a)).toEqual(['FeedA']);
    const reader = await ndjson(setup.readOnly);
    expect(feedsIn(reader)).toEqual([...FEEDS].sort());
    expectRefused(await ndjson(setup.recordOnly), setup.recordOnly);
    expectRefused(await request(app).get('/api/package-deployment'));
  });

  it.each(READS)('%s: anonymous reads nothing when granted recording only', async (_what, pathOf) => {
    for (const feed of FEEDS) expectRefused(await request(app).get(pathOf(feed)));
  });

  it('a refused key is refused for reading too, never treated as anonymous', async () => {
    for (const [, pathOf] of READS) expectRefused(await request(app).get(pathOf('FeedA')).set('X-ApiKey', `${setup.keyA}x`));
  });
});

describe.each(ADAPTERS)('anonymous reading with %s', (_name, make) => {
  it('anonymous reads exactly the feeds granted to it, and a listing naming no feed covers only those', async () => {
    const setup = await make(db, { privileges: ['Feeds_ViewPackage'], feeds: ['Public'] });
    const app = express();
    app.use(createDeploymentRouter({ store, auth: setup.auth, feeds: FEEDS }));
    try {
      for (const [, pathOf] of READS) {
        expectOnly(await request(app).get(pathOf('Public')), 'Public');
        for (const feed of ['FeedA', 'FeedB']) expectRefused(await request(app).get(pathOf(feed)));
      }
      expectOnly(await request(app).get('/api/package-deployment'), 'Public');
      // Reading does not grant recording.
      await request(app).post(PATH).send({ ...SAMPLE, FeedName: 'Public' }).expect(403);
    } finally {
      await setup.close();
    }
  });
});

describe.each(ADAPTERS)('no anonymous grant with %s', (_name, make) => {
  it('anonymous callers record nothing anywhere', async () => {
    const setup = await make(db, false);
    const app = express();
    app.use(createDeploymentRouter({ store, auth: setup.auth, feeds: FEEDS }));
    const before = await count();
    for (const feed of FEEDS) await request(app).post(PATH).send({ ...SAMPLE, FeedName: feed }).expect(403);
    expect(await count()).toBe(before);
    for (const [, pathOf] of READS) for (const feed of FEEDS) expectRefused(await request(app).get(pathOf(feed)));
    await setup.close();
  });
});

describe.each(ADAPTERS)('feed downloads with %s', (_name, make) => {
  it('a key for feed A records downloads of feed A only, a read-only key none; no key is ever logged', async () => {
    const setup = await make(db, false);
    const events = new EventEmitter();
    const logger = memoryLogger();
    const mw = feedDeployments({ store, auth: setup.auth, feeds: FEEDS, events, logger });
    const outcomes = watchOutcomes(events);
    const app = feedApp(mw);
    const { upack } = FIXTURES;
    const url = (feed: string, query = '') => `/upack/${feed}/download/${upack.group}/${upack.name}/${upack.version}${query}`;
    const headers = { 'X-ProGet-Deployment-Application': 'BuildMaster', 'X-ProGet-Deployment-Description': '', 'X-ProGet-Deployment-Target': 'scoped-download' };
    try {
      const tries: Array<[string, string, Record<string, string>]> = [
        ['FeedA', '', { 'X-ApiKey': setup.keyA }],
        ['FeedB', '', { 'X-ApiKey': setup.keyA }],
        ['FeedB', `?key=${encodeURIComponent(setup.keyA)}`, {}],
        ['FeedA', '', { 'X-ApiKey': setup.readOnly }],
        ['FeedA', `?key=${encodeURIComponent(setup.readOnly)}`, {}],
        ['FeedA', '', { 'X-ApiKey': `${setup.keyA}x` }],
        ['Public', '', {}],
      ];
      for (const [feed, query, credentials] of tries) {
        const res = await download(app, url(feed, query), { ...headers, ...credentials });
        // The download itself is never refused by recording.
        expect(res.status).toBe(200);
        expect(res.body.equals(upack.bytes)).toBe(true);
      }
      await outcomes.settled(tries.length);
      await mw.flush();
      expect(outcomes.deployed.map(({ record }) => record.feedName)).toEqual(['FeedA']);
      expect(outcomes.skipped.map((s) => s.reason)).toEqual(Array(tries.length - 1).fill('unauthorized'));
      expect(logger.lines.length).toBeGreaterThan(0);
      for (const line of logger.lines) for (const key of [setup.keyA, setup.readOnly]) expect(line).not.toContain(key);
      for (const s of outcomes.skipped) for (const key of [setup.keyA, setup.readOnly]) expect(JSON.stringify(s)).not.toContain(key);
    } finally {
      await mw.close();
      await setup.close();
    }
  });
});
