import express from 'express';
import request from 'supertest';
import {
  apiKeyAuth,
  createDeploymentRouter,
  createKnexStore,
  customAuth,
  anonymousAuth,
  FORBIDDEN_MESSAGE,
  type DeploymentRecord,
  type DeployedContext,
  type KnexDeploymentStore,
} from '../lib';
import { createTestDatabase, type TestDatabase } from './helpers/databases';
import { POWERSHELL_FORM_BODY, POWERSHELL_JSON_BODY, POWERSHELL_USER_AGENT, SAMPLE, memoryLogger } from './helpers/fixtures';
import { listen, rawRequest } from './helpers/http';

const KEY = 'abc12345-secret';
const READ_ONLY_KEY = 'read-only-key-1';
const SCOPED_KEY = 'scoped-key-0001';

let db: TestDatabase;
let store: KnexDeploymentStore;

beforeAll(async () => {
  db = await createTestDatabase('sqlite');
  store = createKnexStore({ knex: db.knex });
  await store.init();
});
afterAll(async () => {
  await store.close();
  await db.destroy();
});

async function count(): Promise<number> {
  const [{ n }] = await db.knex('package_deployments').count({ n: '*' });
  return Number(n);
}

function makeApp(extra: Partial<Parameters<typeof createDeploymentRouter>[0]> = {}) {
  const logger = memoryLogger();
  const router = createDeploymentRouter({
    store,
    auth: apiKeyAuth({
      keys: [
        { name: 'buildmaster', key: KEY },
        { name: 'reader', key: READ_ONLY_KEY, privileges: ['Feeds_ViewPackage'] },
        { name: 'scoped', key: SCOPED_KEY, feeds: ['OtherFeed'] },
      ],
    }),
    feeds: ['DefaultNuGet', 'OtherFeed'],
    logger,
    ...extra,
  });
  const app = express();
  app.use(router);
  return { app, router, logger };
}

let app: express.Express;
beforeAll(() => {
  app = makeApp().app;
});

describe('POST /api/package-deployment/', () => {
  it('records the spec\'s first PowerShell sample: a form body with no Content-Type', async () => {
    const before = await count();
    const server = await listen(app);
    try {
      const res = await rawRequest(`${server.url}/api/package-deployment/`, {
        headers: { 'X-ApiKey': KEY, 'User-Agent': POWERSHELL_USER_AGENT },
        body: POWERSHELL_FORM_BODY,
      });
      expect(res.status).toBe(200);
      expect(res.text).toBe('');
    } finally {
      await server.close();
    }
    expect(await count()).toBe(before + 1);
    const [row] = await db.knex('package_deployments').orderBy('id', 'desc').limit(1);
    expect(row).toMatchObject({
      feed_name: 'DefaultNuGet', application: 'ProfitCalc', description: 'Deployed by Custom Release Server',
      target: 'localhost', package_name: 'Newtonsoft.Json', version: '12.0.3', user_name: 'buildmaster',
    });
  });

  it('records the same sample sent as application/x-www-form-urlencoded (PowerShell 5.1 default)', async () => {
    const res = await request(app)
      .post('/api/package-deployment/')
      .set('X-ApiKey', KEY)
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .set('User-Agent', POWERSHELL_USER_AGENT)
      .send(POWERSHELL_FORM_BODY);
    expect(res.status).toBe(200);
  });

  it('records the spec\'s second PowerShell sample: ConvertTo-Json with content-type application/json', async () => {
    const before = await count();
    const res = await request(app)
      .post('/api/package-deployment/')
      .set('X-ApiKey', KEY)
      .set('content-type', 'application/json')
      .send(POWERSHELL_JSON_BODY);
    expect(res.status).toBe(200);
    expect(await count()).toBe(before + 1);
  });

  it('answers with and without the trailing slash', async () => {
    const res = await request(app).post('/api/package-deployment').set('X-ApiKey', KEY).send(SAMPLE);
    expect(res.status).toBe(200);
  });

  it('honours charset parameters', async () => {
    const server = await listen(app);
    try {
      const latin1 = Buffer.from('FeedName=DefaultNuGet&Application=Caf%E9&Description=&Target=web&PackageName=P&Version=1', 'latin1');
      const res = await rawRequest(`${server.url}/api/package-deployment/`, {
        headers: { 'X-ApiKey': KEY, 'Content-Type': 'application/x-www-form-urlencoded; charset=iso-8859-1' },
        body: latin1,
      });
      expect(res.status).toBe(200);
      const [cafe] = await db.knex('package_deployments').orderBy('id', 'desc').limit(1);
      expect(cafe.application).toBe('Café');

      const utf16 = Buffer.from(JSON.stringify({ ...SAMPLE, Target: 'Zürich-01' }), 'utf16le');
      const res2 = await rawRequest(`${server.url}/api/package-deployment/`, {
        headers: { 'X-ApiKey': KEY, 'Content-Type': 'application/json; charset=utf-16le' },
        body: utf16,
      });
      expect(res2.status).toBe(200);
      const [zurich] = await db.knex('package_deployments').orderBy('id', 'desc').limit(1);
      expect(zurich.target).toBe('Zürich-01');
    } finally {
      await server.close();
    }
  });

  it('matches field names case-insensitively and stores the feed under its catalogue spelling', async () => {
    const res = await request(app).post('/api/package-deployment/').set('X-ApiKey', KEY)
      .send({ feedname: 'defaultnuget', APPLICATION: 'a', description: '', TARGET: 't', packageName: 'P', version: '2' });
    expect(res.status).toBe(200);
    const [row] = await db.knex('package_deployments').orderBy('id', 'desc').limit(1);
    expect(row.feed_name).toBe('DefaultNuGet');
  });

  it('uses UserName when given, Date when given (converted to UTC)', async () => {
    await request(app).post('/api/package-deployment/').set('X-ApiKey', KEY)
      .send({ ...SAMPLE, UserName: 'alice', Date: '2024-05-01T14:00:00+02:00' }).expect(200);
    const [row] = await db.knex('package_deployments').orderBy('id', 'desc').limit(1);
    expect(row.user_name).toBe('alice');
    expect(row.deployed_at).toBe('2024-05-01T12:00:00.000Z');
  });

  describe('400', () => {
    it('lists every problem, one a line, naming the field, and stores nothing', async () => {
      const before = await count();
      const res = await request(app).post('/api/package-deployment/').set('X-ApiKey', KEY)
        .send({ FeedName: 'DefaultNuGet', Target: '', Version: 7, Date: 'soon', Url: 'javascript:alert(1)' });
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.text.trim().split('\n')).toEqual([
        'Application: is required.',
        'Description: is required.',
        'Target: must not be empty.',
        'PackageName: is required.',
        'Version: must be a string, not a number.',
        'Url: must be an absolute http:// or https:// URL.',
        'Date: must be an ISO 8601 date such as 2024-05-01T12:00:00Z (no offset means UTC).',
      ]);
      expect(await count()).toBe(before);
    });

    it('on malformed JSON', async () => {
      const res = await request(app).post('/api/package-deployment/').set('X-ApiKey', KEY)
        .set('Content-Type', 'application/json').send('{"FeedName": "DefaultNuGet",');
      expect(res.status).toBe(400);
      expect(res.text).toMatch(/^The request body is not valid JSON/);
    });

    it('on a JSON body that is not an object', async () => {
      const res = await request(app).post('/api/package-deployment/').set('X-ApiKey', KEY)
        .set('Content-Type', 'application/json').send('[1,2]');
      expect(res.status).toBe(400);
      expect(res.text).toMatch(/must be an object with named fields, not a list/);
    });

    it('on a field sent twice in a form', async () => {
      const res = await request(app).post('/api/package-deployment/').set('X-ApiKey', KEY)
        .type('form').send(`${POWERSHELL_FORM_BODY}&Target=other`);
      expect(res.status).toBe(400);
      expect(res.text).toMatch(/^Target: must be a string, not a list/m);
    });

    it('on a request with no body at all', async () => {
      const res = await request(app).post('/api/package-deployment/').set('X-ApiKey', KEY);
      expect(res.status).toBe(400);
      expect(res.text).toMatch(/has no body/);
    });
  });

  describe('403', () => {
    it.each([
      ['no key', {}],
      ['an unknown key', { 'X-ApiKey': 'not-a-key-at-all' }],
      ['a key without the record privilege', { 'X-ApiKey': READ_ONLY_KEY }],
      ['a key scoped to another feed', { 'X-ApiKey': SCOPED_KEY }],
      ['Basic with a user name other than api', { Authorization: `Basic ${Buffer.from(`admin:${KEY}`).toString('base64')}` }],
    ])('with %s, in ProGet\'s words, storing nothing', async (_name, headers) => {
      const before = await count();
      const res = await request(app).post('/api/package-deployment/').set(headers as Record<string, string>).send(SAMPLE);
      expect(res.status).toBe(403);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.text.trim()).toBe(FORBIDDEN_MESSAGE);
      expect(await count()).toBe(before);
    });
  });

  it('403 comes before 400: a caller who may not record learns nothing about the body', async () => {
    const res = await request(app).post('/api/package-deployment/').send({ FeedName: 'DefaultNuGet', Target: '' });
    expect(res.status).toBe(403);
    const scoped = await request(app).post('/api/package-deployment/').set('X-ApiKey', SCOPED_KEY).send({ feedname: 'DefaultNuGet' });
    expect(scoped.status).toBe(403);
  });

  it('404 names the feed when the catalogue does not have it', async () => {
    const res = await request(app).post('/api/package-deployment/').set('X-ApiKey', KEY).send({ ...SAMPLE, FeedName: 'NoSuchFeed' });
    expect(res.status).toBe(404);
    expect(res.text.trim()).toBe('Feed "NoSuchFeed" was not found.');
  });

  it('404 through a catalogue function', async () => {
    const { app: fnApp } = makeApp({ feeds: async (name: string) => (name === 'Only' ? 'Only' : undefined) });
    await request(fnApp).post('/api/package-deployment/').set('X-ApiKey', KEY).send({ ...SAMPLE, FeedName: 'only' }).expect(404);
    await request(fnApp).post('/api/package-deployment/').set('X-ApiKey', KEY).send({ ...SAMPLE, FeedName: 'Only' }).expect(200);
  });

  it('413 for a body over the limit', async () => {
    const { app: small } = makeApp({ bodyLimit: 1024 });
    const res = await request(small).post('/api/package-deployment/').set('X-ApiKey', KEY).send({ ...SAMPLE, Description: 'x'.repeat(2000) });
    expect(res.status).toBe(413);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toMatch(/larger than the limit/);
  });

  it('413 by default over 64 KiB', async () => {
    const res = await request(app).post('/api/package-deployment/').set('X-ApiKey', KEY).send({ ...SAMPLE, Junk: 'x'.repeat(70 * 1024) });
    expect(res.status).toBe(413);
  });

  it.each(['text/xml', 'multipart/form-data; boundary=x', 'text/plain'])('415 for %s', async (type) => {
    const res = await request(app).post('/api/package-deployment/').set('X-ApiKey', KEY).set('Content-Type', type).send('a=b');
    expect(res.status).toBe(415);
    expect(res.text).toMatch(/is not supported: send application\/json or application\/x-www-form-urlencoded/);
  });

  it('415 for an unsupported charset', async () => {
    const res = await request(app).post('/api/package-deployment/').set('X-ApiKey', KEY)
      .set('Content-Type', 'application/json; charset=klingon').send('{}');
    expect(res.status).toBe(415);
  });

  it('500 with the message as text, never a stack, when the store fails; the process lives on', async () => {
    const logger = memoryLogger();
    const failing = { record: async () => { throw new Error('disk on fire'); }, list: async () => ({ records: [] }) };
    const { app: broken } = makeApp({ store: failing, logger });
    const res = await request(broken).post('/api/package-deployment/').set('X-ApiKey', KEY).send(SAMPLE);
    expect(res.status).toBe(500);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text.trim()).toBe('The deployment could not be stored: disk on fire');
    expect(res.text).not.toMatch(/at .*\.ts:\d+/);
    expect(logger.lines).toEqual(['error: package-deployments: The deployment could not be stored: disk on fire']);
  });

  it('503 with Retry-After when the database is unreachable', async () => {
    const down = { record: async () => { throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }); }, list: async () => ({ records: [] }) };
    const { app: broken } = makeApp({ store: down });
    const res = await request(broken).post('/api/package-deployment/').set('X-ApiKey', KEY).send(SAMPLE);
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.text).toMatch(/unavailable \(ECONNREFUSED\).*Nothing was recorded; retry later/);
  });

  it('answers 200 only after the store committed', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const slow = {
      record: async (d: readonly unknown[]) => { await gate; return store.record(d as never); },
      list: store.list,
    };
    const { app: slowApp } = makeApp({ store: slow });
    let answered = false;
    const pending = request(slowApp).post('/api/package-deployment/').set('X-ApiKey', KEY).send(SAMPLE)
      .then((r) => { answered = true; return r; });
    await new Promise((r) => setTimeout(r, 100));
    expect(answered).toBe(false);
    release();
    expect((await pending).status).toBe(200);
  });
});

describe('credentials, in the contract\'s order', () => {
  const send = (req: request.Test) => req.send(SAMPLE);
  it('X-ApiKey header', () => send(request(app).post('/api/package-deployment/').set('X-ApiKey', KEY)).expect(200));
  it('?key= query string', () => send(request(app).post(`/api/package-deployment/?key=${KEY}`)).expect(200));
  it('key form field (never stored as data)', async () => {
    await request(app).post('/api/package-deployment/').type('form').send({ ...SAMPLE, key: KEY }).expect(200);
    const [row] = await db.knex('package_deployments').orderBy('id', 'desc').limit(1);
    expect(JSON.stringify(row)).not.toContain(KEY);
  });
  it('API_Key on the JSON root', () => request(app).post('/api/package-deployment/').send({ ...SAMPLE, API_Key: KEY }).expect(200));
  it('Basic api:<key>, scheme matched case-insensitively as the real client sends it', () =>
    send(request(app).post('/api/package-deployment/').set('Authorization', `basic ${Buffer.from(`api:${KEY}`).toString('base64')}`)).expect(200));
  it('the first credential present wins: a bad header key is not rescued by a good query key', () =>
    send(request(app).post(`/api/package-deployment/?key=${KEY}`).set('X-ApiKey', 'wrong-key-123')).expect(403));
  it('query before form', () =>
    request(app).post('/api/package-deployment/?key=wrong-key-123').type('form').send({ ...SAMPLE, key: KEY }).expect(403));
  it('form before Basic', () =>
    request(app).post('/api/package-deployment/').type('form')
      .set('Authorization', `Basic ${Buffer.from(`api:${KEY}`).toString('base64')}`).send({ ...SAMPLE, key: 'wrong-key-123' }).expect(403));
  it('UserName defaults to the key\'s name', async () => {
    await send(request(app).post('/api/package-deployment/').set('X-ApiKey', KEY)).expect(200);
    const [row] = await db.knex('package_deployments').orderBy('id', 'desc').limit(1);
    expect(row.user_name).toBe('buildmaster');
  });
});

describe('auth adapters', () => {
  it('anonymous callers record only where the configuration grants it, as "Anonymous"', async () => {
    const { app: open } = makeApp({
      auth: apiKeyAuth({ keys: [], anonymous: { privileges: ['Feeds_DownloadPackage'], feeds: ['DefaultNuGet'] } }),
    });
    await request(open).post('/api/package-deployment/').send(SAMPLE).expect(200);
    const [row] = await db.knex('package_deployments').orderBy('id', 'desc').limit(1);
    expect(row.user_name).toBe('Anonymous');
    await request(open).post('/api/package-deployment/').send({ ...SAMPLE, FeedName: 'OtherFeed' }).expect(403);
  });

  it('Basic pseudo-keys go to the users callback', async () => {
    const { app: withUsers } = makeApp({
      auth: apiKeyAuth({
        keys: [],
        users: (user, password) => (user === 'alice' && password === 's3cret' ? { name: 'alice', kind: 'user' } : null),
        authorizeUser: (principal, _privilege, feed) => principal.name === 'alice' && feed === 'DefaultNuGet',
      }),
    });
    const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
    await request(withUsers).post('/api/package-deployment/').set('Authorization', basic('alice', 's3cret')).send(SAMPLE).expect(200);
    await request(withUsers).post('/api/package-deployment/').set('Authorization', basic('alice', 'wrong')).send(SAMPLE).expect(403);
    await request(withUsers).post('/api/package-deployment/').set('Authorization', basic('alice', 's3cret')).send({ ...SAMPLE, FeedName: 'OtherFeed' }).expect(403);
  });

  it('customAuth wraps a function; the adapter decides, the router answers', async () => {
    const seen: unknown[] = [];
    const { app: custom } = makeApp({
      auth: customAuth({
        authenticate: (credentials) => {
          seen.push(credentials);
          return credentials?.type === 'apiKey' && credentials.key === 'host-token' ? { name: 'host-user' } : false;
        },
      }),
    });
    await request(custom).post('/api/package-deployment/').set('X-ApiKey', 'host-token').send(SAMPLE).expect(200);
    await request(custom).post('/api/package-deployment/').set('X-ApiKey', 'other').send(SAMPLE).expect(403);
    expect(seen[0]).toEqual({ type: 'apiKey', key: 'host-token', source: 'header' });
  });

  it('an adapter that throws gets a 500 text answer', async () => {
    const { app: broken } = makeApp({ auth: customAuth({ authenticate: () => { throw new Error('LDAP is down'); } }) });
    const res = await request(broken).post('/api/package-deployment/').send(SAMPLE);
    expect(res.status).toBe(500);
    expect(res.text.trim()).toBe('Unexpected error: LDAP is down');
  });

  it('anonymousAuth lets everyone record', async () => {
    const { app: open } = makeApp({ auth: anonymousAuth() });
    await request(open).post('/api/package-deployment/').set('X-ApiKey', 'ignored').send(SAMPLE).expect(200);
  });
});

describe('events', () => {
  it('emits "deployed" and calls onRecorded after each committed record, never before', async () => {
    const calls: Array<[DeploymentRecord, DeployedContext]> = [];
    const { app: evApp, router } = makeApp({ onRecorded: (r, c) => { calls.push([r, c]); } });
    const emitted: DeploymentRecord[] = [];
    router.events.on('deployed', async (r: DeploymentRecord) => {
      const rows = await db.knex('package_deployments').where('id', r.id);
      expect(rows).toHaveLength(1);
      emitted.push(r);
    });
    await request(evApp).post('/api/package-deployment/').set('X-ApiKey', KEY).send(SAMPLE).expect(200);
    await request(evApp).post('/api/package-deployment/').set('X-ApiKey', KEY).send({ ...SAMPLE, Target: '' }).expect(400);
    await new Promise((r) => setTimeout(r, 50));
    expect(emitted).toHaveLength(1);
    expect(calls).toHaveLength(1);
    expect(calls[0]![0]).toMatchObject({ packageName: 'Newtonsoft.Json', userName: 'buildmaster' });
    expect(calls[0]![1]).toMatchObject({ source: 'api', principal: { name: 'buildmaster' } });
  });

  it('a throwing listener is logged and does not change the answer', async () => {
    const logger = memoryLogger();
    const { app: evApp, router } = makeApp({ logger, onRecorded: () => { throw new Error('webhook down'); } });
    router.events.on('deployed', () => { throw new Error('listener bug'); });
    await request(evApp).post('/api/package-deployment/').set('X-ApiKey', KEY).send(SAMPLE).expect(200);
    expect(logger.lines.join('\n')).toMatch(/listener threw/);
    expect(logger.lines.join('\n')).toMatch(/onRecorded threw/);
  });
});

describe('close()', () => {
  it('leaves a store and an adapter it was given open: their owner closes them', async () => {
    let closedAuth = 0;
    let closedStore = 0;
    const auth = { ...anonymousAuth(), close: () => { closedAuth++; } };
    const given = { record: store.record, list: store.list, close: () => { closedStore++; } };
    const router = createDeploymentRouter({ store: given, auth });
    await router.close();
    expect([closedAuth, closedStore]).toEqual([0, 0]);
  });
});

describe('construction errors say how to fix them', () => {
  it('no auth', () => expect(() => createDeploymentRouter({ store })).toThrow(/say who may record deployments. Pass `apiKeys/));
  it('typo in an option', () => expect(() => createDeploymentRouter({ store, apiKey: [] } as never)).toThrow(/unknown option "apiKey". Did you mean "apiKeys"\?/));
  it('a store missing methods', () => expect(() => createDeploymentRouter({ store: { record: async () => [] } as never, auth: anonymousAuth() })).toThrow(/options.store has no list\(\) method/));
  it('mounted without being called', () => {
    const fake = express();
    expect(() => (createDeploymentRouter as unknown as (...a: unknown[]) => unknown)({ method: 'GET', headers: {} }, {}, () => {})).toThrow(/mounted without being called/);
    expect(fake).toBeDefined();
  });
  it('short API keys', () => expect(() => apiKeyAuth({ keys: [{ name: 'x', key: 'short' }] })).toThrow(/at least 8 characters/));
});
