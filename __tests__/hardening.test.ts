/**
 * Hardening found while building issue 11, each with its test: a credential given twice is refused
 * (query, form, JSON); 2,000 unknown query parameters answer a short 400; the History page never echoes
 * a `?key=` that was not the credential used; `targetPrefix` finds targets starting with characters
 * outside the Basic Multilingual Plane, on every database.
 */
import express from 'express';
import request from 'supertest';
import { apiKeyAuth, createDeploymentRouter, createKnexStore, feedDeployments, validateDeployment, DEPLOYMENTS_TABLE, type KnexDeploymentStore } from '../lib';
import { createTestDatabase, databaseIds, type TestDatabase } from './helpers/databases';
import { SAMPLE, memoryLogger } from './helpers/fixtures';
import { EventEmitter } from 'node:events';
import { FIXTURES, feedApp } from './helpers/feed-app';
import { download, watchOutcomes } from './helpers/feed-outcomes';

const PATH = '/api/package-deployment/';
const GOOD = 'the-good-key-0001';
const OTHER = 'another-key-00002';

describe.each(databaseIds())('hardening on %s', (id) => {
  let db: TestDatabase;
  let store: KnexDeploymentStore;
  let app: express.Express;

  beforeAll(async () => {
    db = await createTestDatabase(id);
    store = createKnexStore({ knex: db.knex });
    app = express();
    app.use(createDeploymentRouter({ store, auth: apiKeyAuth({ keys: [{ name: 'ci', key: GOOD }, { name: 'other', key: OTHER }] }), logger: memoryLogger() }));
  });
  afterAll(async () => {
    await store.close();
    await db.destroy();
  });
  const rows = async () => Number(((await db.knex(DEPLOYMENTS_TABLE).count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n);

  describe('a credential given twice is refused (400), nothing stored', () => {
    it('?key=GOOD&key=bad, on the record endpoint and the read API', async () => {
      await store.init();
      const before = await rows();
      for (const q of [`key=${GOOD}&key=bad`, `key=bad&key=${GOOD}`, `key=${GOOD}&key=${GOOD}`]) {
        const res = await request(app).post(`${PATH}?${q}`).send({ ...SAMPLE, Target: 'twice' });
        expect([res.status, res.text]).toEqual([400, 'key (query string): a credential was given more than once; give it once.\n']);
      }
      const read = await request(app).get(`${PATH}?feed=${SAMPLE.FeedName}&key=${GOOD}&key=bad`);
      expect(read.status).toBe(400);
      expect(await rows()).toBe(before);
    });

    it('a form with two key fields', async () => {
      const body = new URLSearchParams([...Object.entries({ ...SAMPLE, Target: 'twice' }), ['key', GOOD], ['key', 'x']]).toString();
      const res = await request(app).post(PATH).type('form').send(body);
      expect([res.status, res.text]).toEqual([400, 'key (form field): a credential was given more than once; give it once.\n']);
    });

    it('JSON "API_Key": ["GOOD", "x"]', async () => {
      const res = await request(app).post(PATH).send({ ...SAMPLE, Target: 'twice', API_Key: [GOOD, 'x'] });
      expect([res.status, res.text]).toEqual([400, 'API_Key (JSON): a credential was given more than once; give it once.\n']);
      expect((await store.list({ target: 'twice' })).records).toEqual([]);
    });

    it('a feed download with ?key= twice is not recorded (skipped as unauthorized), and still served', async () => {
      const events = new EventEmitter();
      const outcomes = watchOutcomes(events);
      const mw = feedDeployments({ store, auth: apiKeyAuth({ keys: [{ name: 'ci', key: GOOD }] }), events, logger: memoryLogger() });
      const { upack } = FIXTURES;
      const res = await download(feedApp(mw), `/upack/F/download/${upack.group}/${upack.name}/${upack.version}?key=${GOOD}&key=x`, { 'X-ProGet-Deployment-Application': 'A', 'X-ProGet-Deployment-Description': '', 'X-ProGet-Deployment-Target': 'twice-feed' });
      expect(res.status).toBe(200);
      await outcomes.settled(1);
      await mw.close();
      expect(outcomes.skipped.map((s) => [s.reason, s.message])).toEqual([['unauthorized', 'key (query string): a credential was given more than once; give it once.']]);
    });
  });

  it('2,000 unknown query parameters answer a short 400 (the known names said once)', async () => {
    const query = Array.from({ length: 2000 }, (_, i) => `p${i}=x`).join('&');
    expect(query.length).toBeGreaterThan(13_000);
    const res = await request(app).get(`${PATH}?feed=${SAMPLE.FeedName}&${query}`).set('X-ApiKey', GOOD);
    expect(res.status).toBe(400);
    expect(res.text.length).toBeLessThan(2048);
    expect(res.text.match(/known ones/g)).toHaveLength(1);
    expect(res.text).toMatch(/^p0: unknown parameter; known ones: feed, /);
    expect(res.text).toMatch(/\.\.\. and 1980 more problems\.\n$/);
    // A huge parameter name is cut short too.
    const long = await request(app).get(`${PATH}?feed=${SAMPLE.FeedName}&${'n'.repeat(5000)}=1`).set('X-ApiKey', GOOD);
    expect(long.status).toBe(400);
    expect(long.text.length).toBeLessThan(1024);
    const page = await request(app).get(`/-/deployments/${SAMPLE.FeedName}/${SAMPLE.PackageName}?${query}`).set('X-ApiKey', GOOD);
    expect(page.status).toBe(400);
    expect(page.text.length).toBeLessThan(20_000);
  });

  it('the History page echoes ?key= only when it is the credential used, never another one', async () => {
    await request(app).post(PATH).set('X-ApiKey', GOOD).send(SAMPLE).expect(200);
    const url = `/-/deployments/${SAMPLE.FeedName}/${SAMPLE.PackageName}`;
    // The header is the credential used: the ?key= in the URL is not echoed anywhere.
    const viaHeader = await request(app).get(`${url}?key=${OTHER}`).set('X-ApiKey', GOOD);
    expect(viaHeader.status).toBe(200);
    expect(viaHeader.text).not.toContain(OTHER);
    expect(viaHeader.text).not.toContain(GOOD);
    // Basic: no key anywhere in the page. (Basic comes after ?key= in the contract's order, so with both
    // the ?key= is the credential used.)
    const viaBasic = await request(app).get(url).set('Authorization', `Basic ${Buffer.from(`api:${GOOD}`).toString('base64')}`);
    expect(viaBasic.status).toBe(200);
    expect(viaBasic.text).not.toContain(GOOD);
    expect(viaBasic.text).not.toMatch(/name="key"|[?&]key=/);
    // Opened with ?key= alone (a browser has no other way): the page keeps it in its form and links.
    const viaQuery = await request(app).get(`${url}?key=${GOOD}`);
    expect(viaQuery.status).toBe(200);
    expect(viaQuery.text).toContain(`<input type="hidden" name="key" value="${GOOD}">`);
  });

  it('"*" in a key\'s feeds or an anonymous grant means every feed, and nothing else is a wildcard', async () => {
    const a = express();
    a.use(createDeploymentRouter({
      store,
      auth: apiKeyAuth({ keys: [{ name: 'all', key: 'star-key-000001', feeds: ['*'] }, { name: 'one', key: 'glob-key-000001', feeds: ['Default*'] }], anonymous: { privileges: ['Feeds_ViewPackage'], feeds: ['*'] } }),
      logger: memoryLogger(),
    }));
    for (const feed of ['StarA', 'star-b', 'AnyFeedAtAll']) {
      await request(a).post(PATH).set('X-ApiKey', 'star-key-000001').send({ ...SAMPLE, FeedName: feed, Target: 'star' }).expect(200);
      await request(a).get(`${PATH}?feed=${feed}`).expect(200);
    }
    // 'Default*' is a feed name, not a pattern.
    await request(a).post(PATH).set('X-ApiKey', 'glob-key-000001').send({ ...SAMPLE, FeedName: 'DefaultNuGet', Target: 'star' }).expect(403);
    // Anonymous may read every feed, but not record.
    await request(a).post(PATH).send({ ...SAMPLE, FeedName: 'StarA', Target: 'star' }).expect(403);
  });

  it('targetPrefix=😀 finds targets starting with characters outside the Basic Multilingual Plane', async () => {
    const mk = (target: string) => {
      const r = validateDeployment({ ...SAMPLE, FeedName: 'Emoji', Target: target });
      if (!r.ok) throw new Error('invalid');
      return r.deployment;
    };
    await store.record(['😀-web-01', '😀😀', '😀', 'a😀', '😁-web', '𝔘nicode'].map(mk));
    const targets = async (prefix: string) => (await store.list({ feedName: 'Emoji', targetPrefix: prefix })).records.map((r) => r.target).sort();
    expect(await targets('😀')).toEqual(['😀', '😀-web-01', '😀😀'].sort());
    expect(await targets('😀-')).toEqual(['😀-web-01']);
    expect(await targets('😀😀')).toEqual(['😀😀']);
    expect(await targets('𝔘')).toEqual(['𝔘nicode']);
    const res = await request(app).get(`${PATH}?feed=Emoji&targetPrefix=${encodeURIComponent('😀')}`).set('X-ApiKey', GOOD).expect(200);
    expect(res.body.records).toHaveLength(3);
  });
});
