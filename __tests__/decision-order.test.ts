/**
 * One order of decisions on all three paths (record POST, read API, feed downloads): authenticate,
 * authorize, resolve the feed, validate. And one answer for an unknown feed: a caller without the
 * privilege is refused (403, or `unauthorized` for a download) whatever the feed, exactly as for a feed
 * that exists; a caller with the privilege learns it does not exist (404, `unknown_feed`).
 */
import { EventEmitter } from 'node:events';
import express from 'express';
import request from 'supertest';
import { FORBIDDEN_MESSAGE, apiKeyAuth, createDeploymentRouter, createKnexStore, feedDeployments, type KnexDeploymentStore } from '../lib';
import { createTestDatabase, type TestDatabase } from './helpers/databases';
import { FIXTURES, feedApp } from './helpers/feed-app';
import { download, watchOutcomes } from './helpers/feed-outcomes';
import { SAMPLE, memoryLogger } from './helpers/fixtures';

const FEEDS = ['Public', 'Private'];
const ALL = 'key-for-every-feed-0001';
const PUBLIC_ONLY = 'key-for-public-only-01';
const PATH = '/api/package-deployment/';
const auth = apiKeyAuth({ keys: [{ name: 'all', key: ALL }, { name: 'public', key: PUBLIC_ONLY, feeds: ['Public'] }] });

let db: TestDatabase;
let store: KnexDeploymentStore;
let app: express.Express;

beforeAll(async () => {
  db = await createTestDatabase('sqlite');
  store = createKnexStore({ knex: db.knex });
  app = express();
  app.use(createDeploymentRouter({ store, auth, feeds: FEEDS, logger: memoryLogger() }));
});

afterAll(async () => {
  await store?.close();
  await db?.destroy();
});

const post = (key: string | undefined, body: Record<string, string>) => {
  const req = request(app).post(PATH).type('json');
  return (key ? req.set('X-ApiKey', key) : req).send(body);
};
const read = (key: string | undefined, query: string) => {
  const req = request(app).get(`/api/package-deployment?${query}`);
  return key ? req.set('X-ApiKey', key) : req;
};

describe('POST /api/package-deployment/', () => {
  it('a caller without the privilege gets the same 403 for an unknown feed as for a feed that exists', async () => {
    const unknown = await post(PUBLIC_ONLY, { ...SAMPLE, FeedName: 'Nope' });
    const existing = await post(PUBLIC_ONLY, { ...SAMPLE, FeedName: 'Private' });
    const anonymous = await post(undefined, { ...SAMPLE, FeedName: 'Nope' });
    for (const res of [unknown, existing, anonymous]) {
      expect(res.status).toBe(403);
      expect(res.text).toBe(`${FORBIDDEN_MESSAGE}\n`);
    }
  });

  it('a caller with the privilege gets 404 for an unknown feed', async () => {
    const res = await post(ALL, { ...SAMPLE, FeedName: 'Nope' });
    expect(res.status).toBe(404);
    expect(res.text).toBe('Feed "Nope" was not found.\n');
  });

  it('authorizes before validating: an invalid body on a feed the caller may not record on is a 403, not a 400', async () => {
    const res = await post(PUBLIC_ONLY, { FeedName: 'Private', Application: '', Version: 'x'.repeat(500) });
    expect(res.status).toBe(403);
    expect(res.text).not.toMatch(/Target|Version/);
  });

  it('resolves the feed before validating: an invalid body on an unknown feed is a 404, not a 400', async () => {
    const res = await post(ALL, { FeedName: 'Nope', Application: '' });
    expect(res.status).toBe(404);
  });

  it('validates last: an invalid body on a feed the caller may record on is a 400 naming the fields', async () => {
    const res = await post(PUBLIC_ONLY, { ...SAMPLE, FeedName: 'Public', Target: '' });
    expect(res.status).toBe(400);
    expect(res.text).toBe('Target: must not be empty.\n');
  });

  it('records under the catalogue\'s spelling of the feed', async () => {
    expect((await post(PUBLIC_ONLY, { ...SAMPLE, FeedName: 'public', Target: 'order-01' })).status).toBe(200);
    const page = await store.list({ feedName: 'Public', target: 'order-01' });
    expect(page.records.map((r) => r.feedName)).toEqual(['Public']);
  });

  it('with a catalogue that renames feeds, the caller must also hold the privilege on the catalogue\'s name', async () => {
    const aliased = express();
    aliased.use(createDeploymentRouter({ store, auth, feeds: (name) => (name.toLowerCase() === 'alias' ? 'Private' : FEEDS.includes(name) && name), logger: memoryLogger() }));
    const res = await request(aliased).post(PATH).set('X-ApiKey', PUBLIC_ONLY).send({ ...SAMPLE, FeedName: 'alias' });
    // apiKeyAuth grants "public" on Public only: "alias" is not that name, so refused before the lookup.
    expect(res.status).toBe(403);
    const allowed = await request(aliased).post(PATH).set('X-ApiKey', ALL).send({ ...SAMPLE, FeedName: 'alias', Target: 'alias-01' });
    expect(allowed.status).toBe(200);
    expect((await store.list({ feedName: 'Private', target: 'alias-01' })).records).toHaveLength(1);
  });
});

describe('GET /api/package-deployment (the read API)', () => {
  it('a caller without the privilege gets the same 403 for an unknown feed as for a feed that exists', async () => {
    for (const res of [await read(PUBLIC_ONLY, 'feed=Nope'), await read(PUBLIC_ONLY, 'feed=Private'), await read(undefined, 'feed=Nope')]) {
      expect(res.status).toBe(403);
      expect(res.text).toBe(`${FORBIDDEN_MESSAGE}\n`);
    }
  });

  it('a caller with the privilege gets 404 for an unknown feed', async () => {
    const res = await read(ALL, 'feed=Nope');
    expect(res.status).toBe(404);
    expect(res.text).toBe('Feed "Nope" was not found.\n');
  });

  it('answers bad parameters only after the feed decision: 403, then 404, then 400', async () => {
    expect((await read(PUBLIC_ONLY, 'feed=Private&limit=abc&colour=red')).status).toBe(403);
    expect((await read(ALL, 'feed=Nope&limit=abc')).status).toBe(404);
    const bad = await read(PUBLIC_ONLY, 'feed=Public&limit=abc');
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/^limit: must be a whole number/);
  });

  it('the History page takes the same order', async () => {
    const page = (key: string, path: string) => request(app).get(`/-/deployments/${path}`).set('X-ApiKey', key);
    expect((await page(PUBLIC_ONLY, 'Private/Newtonsoft.Json?limit=abc')).status).toBe(403);
    expect((await page(PUBLIC_ONLY, 'Nope/Newtonsoft.Json')).status).toBe(403);
    expect((await page(ALL, 'Nope/Newtonsoft.Json?limit=abc')).status).toBe(404);
    expect((await page(PUBLIC_ONLY, 'Public/Newtonsoft.Json?limit=abc')).status).toBe(400);
  });
});

describe('feed downloads', () => {
  const { npm } = FIXTURES;
  const HEADERS = { 'X-ProGet-Deployment-Application': 'npm', 'X-ProGet-Deployment-Description': '', 'X-ProGet-Deployment-Target': 'web-01' };
  const url = (feed: string) => `/npm/${feed}/${npm.scope}/${npm.name}/-/${npm.name}-${npm.version}.tgz`;

  function downloads(strict = false) {
    const events = new EventEmitter();
    const middleware = feedDeployments({ store, auth, feeds: FEEDS, events, strict, logger: memoryLogger() });
    return { app: feedApp(middleware), outcomes: watchOutcomes(events), middleware };
  }

  it('a caller without the privilege is skipped as unauthorized, for an unknown feed as for one that exists', async () => {
    const { app: feeds, outcomes, middleware } = downloads();
    expect((await download(feeds, url('Nope'), { ...HEADERS, 'X-ApiKey': PUBLIC_ONLY })).status).toBe(200);
    expect((await download(feeds, url('Private'), { ...HEADERS, 'X-ApiKey': PUBLIC_ONLY })).status).toBe(200);
    await outcomes.settled(2);
    expect(outcomes.skipped.map((s) => s.reason)).toEqual(['unauthorized', 'unauthorized']);
    await middleware.close();
  });

  it('a caller with the privilege is skipped as unknown_feed', async () => {
    const { app: feeds, outcomes, middleware } = downloads();
    await download(feeds, url('Nope'), { ...HEADERS, 'X-ApiKey': ALL });
    await outcomes.settled(1);
    expect(outcomes.skipped.map((s) => s.reason)).toEqual(['unknown_feed']);
    await middleware.close();
  });

  it('authorizes and resolves the feed before looking at the headers', async () => {
    const { app: feeds, outcomes, middleware } = downloads();
    const partial = { 'X-ProGet-Deployment-Application': 'npm' };
    await download(feeds, url('Private'), { ...partial, 'X-ApiKey': PUBLIC_ONLY });
    await download(feeds, url('Nope'), { ...partial, 'X-ApiKey': ALL });
    await download(feeds, url('Public'), { ...partial, 'X-ApiKey': PUBLIC_ONLY });
    await outcomes.settled(3);
    expect(outcomes.skipped.map((s) => s.reason)).toEqual(['unauthorized', 'unknown_feed', 'partial_headers']);
    await middleware.close();
  });

  it('strict mode answers 400 only to a caller who may record on a feed that exists; others download', async () => {
    const { app: feeds, outcomes, middleware } = downloads(true);
    const partial = { 'X-ProGet-Deployment-Application': 'npm' };
    const refused = await download(feeds, url('Private'), { ...partial, 'X-ApiKey': PUBLIC_ONLY });
    expect(refused.status).toBe(200);
    expect(refused.body.equals(npm.bytes)).toBe(true);
    const unknown = await download(feeds, url('Nope'), { ...partial, 'X-ApiKey': ALL });
    expect(unknown.status).toBe(200);
    const told = await download(feeds, url('Public'), { ...partial, 'X-ApiKey': PUBLIC_ONLY });
    expect(told.status).toBe(400);
    expect(told.body.toString()).toMatch(/X-ProGet-Deployment-Target/);
    await outcomes.settled(3);
    expect(outcomes.skipped.map((s) => [s.reason, s.status])).toEqual([['unauthorized', 200], ['unknown_feed', 200], ['partial_headers', 400]]);
    await middleware.close();
  });
});
