/**
 * Removal records (this library's extension): `Removed: true` on the record endpoint (JSON and form) and
 * `X-Deployment-Removed: true` on a feed download. History, exports and the History page show them;
 * "running now", `range=` and every current-state read treat the package as gone from that target.
 * Over every database.
 */
import express from 'express';
import request from 'supertest';
import { EventEmitter } from 'node:events';
import { anonymousAuth, createDeploymentRouter, createKnexStore, feedDeployments, type KnexDeploymentStore } from '../lib';
import { createTestDatabase, databaseIds, type TestDatabase } from './helpers/databases';
import { SAMPLE, memoryLogger } from './helpers/fixtures';
import { FIXTURES, feedApp } from './helpers/feed-app';
import { download, watchOutcomes } from './helpers/feed-outcomes';

const PATH = '/api/package-deployment/';
const FEED = SAMPLE.FeedName;
const PKG = SAMPLE.PackageName;

describe.each(databaseIds())('removals on %s', (id) => {
  let db: TestDatabase;
  let store: KnexDeploymentStore;
  let app: express.Express;

  beforeAll(async () => {
    db = await createTestDatabase(id);
    store = createKnexStore({ knex: db.knex });
    app = express();
    app.use(createDeploymentRouter({ store, auth: anonymousAuth(), logger: memoryLogger() }));
    const at = (t: string) => `2024-05-0${t}T12:00:00Z`;
    await request(app).post(PATH).send({ ...SAMPLE, Target: 'web-01', Version: '12.0.3', Date: at('1') }).expect(200);
    await request(app).post(PATH).send({ ...SAMPLE, Target: 'web-02', Version: '12.0.3', Date: at('1') }).expect(200);
    await request(app).post(PATH).send({ ...SAMPLE, Target: 'web-03', Version: '13.0.1', Date: at('1') }).expect(200);
    // Removed from web-01 (JSON boolean) and web-03 (form text).
    await request(app).post(PATH).send({ ...SAMPLE, Target: 'web-01', Version: '12.0.3', Date: at('2'), Removed: true }).expect(200);
    await request(app).post(PATH).type('form').send(new URLSearchParams({ ...SAMPLE, Target: 'web-03', Version: '13.0.1', Date: at('2'), removed: 'true' }).toString()).expect(200);
  });
  afterAll(async () => {
    await store.close();
    await db.destroy();
  });

  const current = async (extra = '') => (await request(app).get(`${PATH}current?feed=${FEED}&package=${PKG}${extra}`).expect(200)).body.records.map((r: { Target: string }) => r.Target).sort();

  it('"running now" leaves out the targets the package was removed from', async () => {
    expect(await current()).toEqual(['web-02']);
    expect((await store.current({ feedName: FEED, packageName: PKG })).records.map((r) => r.target)).toEqual(['web-02']);
    expect(await store.count({ feedName: FEED, packageName: PKG, current: true })).toBe(1);
  });

  it('range= and other filters on current state treat a removed package as not running', async () => {
    expect(await current('&range=' + encodeURIComponent('>=13.0.0'))).toEqual([]);
    expect(await current('&range=' + encodeURIComponent('<13.0.0'))).toEqual(['web-02']);
    expect(await current('&target=web-01')).toEqual([]);
  });

  it('the history shows removals, marked Removed, in JSON, CSV and NDJSON', async () => {
    const body = (await request(app).get(`${PATH}?feed=${FEED}&package=${PKG}&target=web-01`).expect(200)).body;
    expect(body.records.map((r: { Removed: boolean }) => r.Removed)).toEqual([true, false]);
    const csv = (await request(app).get(`${PATH}?feed=${FEED}&package=${PKG}&target=web-01&format=csv`).expect(200)).text.trim().split('\r\n');
    expect(csv[0]!.split(',').at(-1)).toBe('Removed');
    expect(csv.slice(1).map((l) => l.split(',').at(-1))).toEqual(['true', 'false']);
    const nd = (await request(app).get(`${PATH}?feed=${FEED}&package=${PKG}&target=web-03&format=ndjson`).expect(200)).text.trim().split('\n').map((l) => JSON.parse(l));
    expect(nd.map((r: { Removed: boolean }) => r.Removed)).toEqual([true, false]);
  });

  it('the History page shows a removal as such, and its running-now list leaves the target out', async () => {
    const html = (await request(app).get(`/-/deployments/${FEED}/${PKG}`).expect(200)).text;
    expect(html).toMatch(/<strong class="removal">Removed<\/strong> from <span class="target">web-01<\/span>/);
    const running = html.slice(html.indexOf('id="running-now"'), html.indexOf('id="history"'));
    expect(running).toContain('web-02');
    expect(running).not.toContain('web-01');
    expect(running).not.toContain('web-03');
  });

  it('deploying again after a removal makes the target run the package again', async () => {
    await request(app).post(PATH).send({ ...SAMPLE, Target: 'web-01', Version: '13.0.1', Date: '2024-05-03T12:00:00Z' }).expect(200);
    expect(await current()).toEqual(['web-01', 'web-02']);
  });

  it('refuses a Removed value that is not true or false, and Removed given twice (400, nothing stored)', async () => {
    const before = await store.count({ feedName: FEED });
    for (const body of [{ ...SAMPLE, Removed: 'maybe' }, { ...SAMPLE, Removed: 1.5 }, { ...SAMPLE, Removed: true, removed: false }]) {
      const res = await request(app).post(PATH).send(body);
      expect([res.status, res.text]).toEqual([400, expect.stringMatching(/^Removed: /m)]);
    }
    const twice = await request(app).post(PATH).type('form').send(new URLSearchParams([...Object.entries(SAMPLE), ['Removed', 'true'], ['Removed', 'true']]).toString());
    expect(twice.status).toBe(400);
    expect(await store.count({ feedName: FEED })).toBe(before);
  });

  it('a feed download with X-Deployment-Removed: true records a removal', async () => {
    const events = new EventEmitter();
    const outcomes = watchOutcomes(events);
    const mw = feedDeployments({ store, events, logger: memoryLogger() });
    const feed = feedApp(mw);
    const { upack } = FIXTURES;
    const url = `/upack/Removals/download/${upack.group}/${upack.name}/${upack.version}`;
    const headers = { 'X-ProGet-Deployment-Application': 'Otter', 'X-ProGet-Deployment-Description': '', 'X-ProGet-Deployment-Target': 'srv-9' };
    expect((await download(feed, url, headers)).status).toBe(200);
    expect((await download(feed, url, { ...headers, 'X-Deployment-Removed': 'true' })).status).toBe(200);
    // A bad value: the download still succeeds, the record is skipped (invalid_headers).
    expect((await download(feed, url, { ...headers, 'X-Deployment-Removed': 'perhaps' })).status).toBe(200);
    await outcomes.settled(3);
    await mw.close();
    expect(outcomes.deployed.map((d) => d.record.removed === true)).toEqual([false, true]);
    expect(outcomes.skipped.map((s) => s.reason)).toEqual(['invalid_headers']);
    expect((await store.current({ feedName: 'Removals', groupName: upack.group, packageName: upack.name })).records).toEqual([]);
  });
});
