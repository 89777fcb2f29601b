/**
 * The OpenAPI 3.1 document (issue 12): it validates with a maintained validator
 * (@seriousme/openapi-schema-validator), the router serves it, and real answers of every endpoint are held
 * against it: a status, content type, header or JSON body the document does not declare fails the test.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import express from 'express';
import {
  apiKeyAuth,
  createDeploymentRouter,
  createKnexStore,
  openApiDocument,
  OPENAPI_PATH,
  type DeploymentStore,
  type KnexDeploymentStore,
} from '../lib';
import { createTestDatabase, type TestDatabase } from './helpers/databases';
import { listen, rawRequest, type RawResponse, type RunningServer } from './helpers/http';
import { memoryLogger } from './helpers/fixtures';

const KEY = 'openapi-key-0001';
const READER = 'openapi-reader-01';
type Doc = { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }>; headers?: Record<string, unknown> }> }>> };

let db: TestDatabase;
let store: KnexDeploymentStore;
let server: RunningServer;
let failing: RunningServer;
let dir: string;
const doc = openApiDocument() as unknown as Doc;
const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addFormat('date-time', { validate: (s: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(s) && !Number.isNaN(Date.parse(s)) });
ajv.addSchema(doc as object, 'openapi');

/** Holds one real answer against the document: throws when the document does not declare it. */
function conform(method: string, template: string, res: RawResponse): void {
  const operation = doc.paths[template]?.[method];
  if (!operation) throw new Error(`${method.toUpperCase()} ${template} is not in the document`);
  const declared = operation.responses[String(res.status)] ?? operation.responses.default;
  if (!declared) throw new Error(`${method.toUpperCase()} ${template} answered ${res.status}, which the document does not declare (${Object.keys(operation.responses).join(', ')}): ${res.text.slice(0, 200)}`);
  const type = String(res.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (!declared.content) {
    if (res.text !== '') throw new Error(`${method.toUpperCase()} ${template} ${res.status}: the document declares no body, the answer has one (${type})`);
  } else {
    const media = declared.content[type];
    if (!media) throw new Error(`${method.toUpperCase()} ${template} ${res.status}: content type "${type}" is not declared (${Object.keys(declared.content).join(', ')})`);
    if (type === 'application/json') {
      const check = ajv.compile(resolveRefs(media.schema));
      if (!check(JSON.parse(res.text))) throw new Error(`${method.toUpperCase()} ${template} ${res.status}: the body disagrees with the document: ${ajv.errorsText(check.errors)}`);
    }
  }
  for (const header of Object.keys(declared.headers ?? {})) {
    if (res.headers[header.toLowerCase()] === undefined) throw new Error(`${method.toUpperCase()} ${template} ${res.status}: header ${header} is declared but missing`);
  }
}

/** Points the document's local $refs at the schema registered as "openapi". */
function resolveRefs(schema: unknown): object {
  return JSON.parse(JSON.stringify(schema).replace(/"#\/components\//g, '"openapi#/components/')) as object;
}

const SAMPLE = { Application: 'Deployer', Description: '', Target: 'web-01', FeedName: 'DefaultNuGet', PackageName: 'Newtonsoft.Json', Version: '13.0.3' };

beforeAll(async () => {
  db = await createTestDatabase('sqlite');
  store = createKnexStore({ knex: db.knex });
  await store.init();
  const keys = [{ name: 'ci', key: KEY }, { name: 'reader', key: READER, privileges: ['Feeds_ViewPackage'] as const }];
  const app = express();
  app.use(createDeploymentRouter({ store, auth: apiKeyAuth({ keys: keys.map((k) => ({ ...k, privileges: k.privileges ? [...k.privileges] : undefined })) }), feeds: ['DefaultNuGet'], versionSchemes: { DefaultNuGet: 'nuget' }, bodyLimit: 2048, logger: memoryLogger() }));
  server = await listen(app);
  // A store that fails every call (a full disk, say): the 500 answers.
  const broken: DeploymentStore = {
    record: async () => { throw new Error('disk full'); },
    list: async () => { throw new Error('disk full'); },
  };
  const app2 = express();
  app2.use(createDeploymentRouter({ store: broken, apiKeys: [{ name: 'ci', key: KEY }], logger: memoryLogger() }));
  failing = await listen(app2);
  dir = mkdtempSync(join(tmpdir(), 'pd-openapi-'));
});
afterAll(async () => {
  await server.close();
  await failing.close();
  await store.close();
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe('the OpenAPI 3.1 document', () => {
  it('is valid OpenAPI 3.1 for @seriousme/openapi-schema-validator', () => {
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(openApiDocument()));
    const out = execFileSync(process.execPath, [resolve(__dirname, 'helpers', 'validate-openapi.mjs'), file], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ valid: true, version: '3.1', errors: null });
    // The validator is not vacuous: a document with a broken response object is refused.
    const broken = openApiDocument() as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    broken.paths['/api/package-deployment/']!.post!.responses['200'] = { content: 'text/plain' };
    writeFileSync(file, JSON.stringify(broken));
    const refused = JSON.parse(execFileSync(process.execPath, [resolve(__dirname, 'helpers', 'validate-openapi.mjs'), file], { encoding: 'utf8' })) as { valid: boolean };
    expect(refused.valid).toBe(false);
  });

  it('is served by the router, with the mount point as its server', async () => {
    const res = await rawRequest(`${server.url}${OPENAPI_PATH}`, { method: 'GET' });
    conform('get', OPENAPI_PATH, res);
    expect(JSON.parse(res.text)).toEqual(openApiDocument({ serverUrl: '/' }));
    const app = express();
    app.use('/registry', createDeploymentRouter({ store, apiKeys: [], historyPath: false, logger: memoryLogger() }));
    const mounted = await listen(app);
    try {
      const served = JSON.parse((await rawRequest(`${mounted.url}/registry${OPENAPI_PATH}`, { method: 'GET' })).text) as { servers: { url: string }[]; paths: Record<string, unknown> };
      expect(served.servers).toEqual([{ url: '/registry' }]);
      expect(Object.keys(served.paths).some((p) => p.startsWith('/-/deployments'))).toBe(false);
    } finally {
      await mounted.close();
    }
  });

  it('the checker is not vacuous: an undeclared status, type or body shape fails', () => {
    const ok = { headers: { 'content-type': 'application/json' }, text: '{"records":[],"nextCursor":null}' };
    expect(() => conform('get', '/api/package-deployment', { status: 200, ...ok })).not.toThrow();
    expect(() => conform('get', '/api/package-deployment', { status: 418, ...ok })).toThrow(/does not declare/);
    expect(() => conform('get', '/api/package-deployment', { status: 200, headers: { 'content-type': 'text/xml' }, text: '<x/>' })).toThrow(/not declared/);
    expect(() => conform('get', '/api/package-deployment', { status: 200, ...ok, text: '{"records":[{"Id":1}],"nextCursor":null}' })).toThrow(/disagrees/);
    expect(() => conform('post', '/api/package-deployment/', { status: 503, headers: { 'content-type': 'text/plain' }, text: 'down' })).toThrow(/Retry-After/);
  });
});

describe('real answers agree with the document', () => {
  const post = (body: string, headers: Record<string, string>, base = server.url) => rawRequest(`${base}/api/package-deployment/`, { method: 'POST', headers, body });

  it('POST /api/package-deployment/: 200 (JSON, form, no Content-Type), 400, 403, 404, 413, 415, 500', async () => {
    const cases: [RawResponse, number][] = [
      [await post(JSON.stringify(SAMPLE), { 'Content-Type': 'application/json', 'X-ApiKey': KEY }), 200],
      [await post(new URLSearchParams({ ...SAMPLE, key: KEY }).toString(), { 'Content-Type': 'application/x-www-form-urlencoded' }), 200],
      [await post(new URLSearchParams(SAMPLE).toString(), { 'X-ApiKey': KEY }), 200],
      [await post('{"Application":""}', { 'Content-Type': 'application/json', 'X-ApiKey': KEY }), 400],
      [await post(JSON.stringify(SAMPLE), { 'Content-Type': 'application/json', 'X-ApiKey': 'wrong-key-0000' }), 403],
      [await post(JSON.stringify({ ...SAMPLE, FeedName: 'Nope' }), { 'Content-Type': 'application/json', 'X-ApiKey': KEY }), 404],
      [await post(JSON.stringify({ ...SAMPLE, Description: 'x'.repeat(4000) }), { 'Content-Type': 'application/json', 'X-ApiKey': KEY }), 413],
      [await post('<x/>', { 'Content-Type': 'application/xml', 'X-ApiKey': KEY }), 415],
      [await post(JSON.stringify(SAMPLE), { 'Content-Type': 'application/json', 'X-ApiKey': KEY }, failing.url), 500],
    ];
    for (const [res, status] of cases) {
      expect(res.status).toBe(status);
      conform('post', '/api/package-deployment/', res);
    }
    const noSlash = await rawRequest(`${server.url}/api/package-deployment`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-ApiKey': KEY }, body: JSON.stringify(SAMPLE) });
    conform('post', '/api/package-deployment', noSlash);
  });

  it('GET /api/package-deployment and /current: JSON pages (with total), CSV, NDJSON, 400, 403, 404, 500', async () => {
    const get = (path: string, key = KEY, base = server.url) => rawRequest(`${base}${path}`, { method: 'GET', headers: { 'X-ApiKey': key } });
    const cases: [string, RawResponse, number][] = [
      ['/api/package-deployment', await get('/api/package-deployment?feed=DefaultNuGet'), 200],
      ['/api/package-deployment', await get('/api/package-deployment?feed=DefaultNuGet&limit=1&total=true', READER), 200],
      ['/api/package-deployment', await get('/api/package-deployment?feed=DefaultNuGet&format=csv'), 200],
      ['/api/package-deployment', await get('/api/package-deployment?feed=DefaultNuGet&format=ndjson'), 200],
      ['/api/package-deployment', await get('/api/package-deployment?feed=DefaultNuGet&limit=0'), 400],
      ['/api/package-deployment', await get('/api/package-deployment?feed=DefaultNuGet', 'wrong-key-0000'), 403],
      ['/api/package-deployment', await get('/api/package-deployment?feed=Nope'), 404],
      ['/api/package-deployment', await get('/api/package-deployment?feed=DefaultNuGet', KEY, failing.url), 500],
      ['/api/package-deployment/current', await get('/api/package-deployment/current?feed=DefaultNuGet&package=Newtonsoft.Json'), 200],
      ['/api/package-deployment/current', await get('/api/package-deployment/current?feed=DefaultNuGet&package=Newtonsoft.Json&format=csv'), 200],
      ['/api/package-deployment/current', await get('/api/package-deployment/current?feed=DefaultNuGet&range=%3C%3C%3C'), 400],
    ];
    for (const [template, res, status] of cases) {
      expect({ template, status: res.status }).toEqual({ template, status });
      conform('get', template, res);
    }
    const page = JSON.parse(cases[1]![1].text) as { records: unknown[]; total: number };
    expect(page.records).toHaveLength(1);
    expect(page.total).toBeGreaterThanOrEqual(3);
  });

  it('POST /api/package-deployment/advisories: 200 (JSON, CSV, NDJSON), 400, 403, 415', async () => {
    const osv = JSON.stringify([{ id: 'GHSA-5crp-9r3c-p9vr', aliases: ['CVE-2024-21907'], affected: [{ package: { ecosystem: 'NuGet', name: 'Newtonsoft.Json' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '13.0.1' }] }] }] }]);
    await post(JSON.stringify({ ...SAMPLE, Version: '12.0.3', Target: 'old-01' }), { 'Content-Type': 'application/json', 'X-ApiKey': KEY });
    const ask = (query: string, body: string, headers: Record<string, string> = { 'Content-Type': 'application/json', 'X-ApiKey': KEY }) =>
      rawRequest(`${server.url}/api/package-deployment/advisories${query}`, { method: 'POST', headers, body });
    const cases: [RawResponse, number][] = [
      [await ask('', osv), 200],
      [await ask('?format=csv', osv), 200],
      [await ask('?format=ndjson', osv), 200],
      [await ask('', '{'), 400],
      [await ask('', osv, { 'Content-Type': 'application/json', 'X-ApiKey': 'wrong-key-0000' }), 403],
      [await ask('', '<x/>', { 'Content-Type': 'application/xml', 'X-ApiKey': KEY }), 415],
    ];
    for (const [res, status] of cases) {
      expect({ status: res.status, text: res.status === status ? '' : res.text }).toEqual({ status, text: '' });
      conform('post', '/api/package-deployment/advisories', res);
    }
    const answer = JSON.parse(cases[0]![0].text) as { matches: { target: string }[] };
    expect(answer.matches.map((m) => m.target)).toContain('old-01');
  });

  it('the webhook admin routes, when the router has webhooks: 200, 202, 400, 403, 404', async () => {
    const admin = 'openapi-admin-key-1';
    const app = express();
    const router = createDeploymentRouter({
      store,
      apiKeys: [{ name: 'admin', key: admin, privileges: ['Feeds_DownloadPackage', 'Feeds_ViewPackage', 'Admin_ConfigureProGet'] }, { name: 'ci', key: KEY }],
      webhooks: { targets: [{ name: 'audit', url: 'http://127.0.0.1:9/hooks', secret: `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}` }], deliver: false, allowPrivateTargets: true },
      logger: memoryLogger(),
    });
    app.use(router);
    const hooks = await listen(app);
    try {
      const served = JSON.parse((await rawRequest(`${hooks.url}${OPENAPI_PATH}`, { method: 'GET' })).text) as typeof doc;
      expect(Object.keys(served.paths)).toEqual(expect.arrayContaining(['/api/package-deployment/webhooks/deliveries/{id}/redeliver']));
      const hookDoc = openApiDocument({ webhooks: true }) as unknown as Doc;
      ajv.addSchema(hookDoc as object, 'openapi-webhooks');
      const check = (method: string, template: string, res: RawResponse) => {
        const operation = hookDoc.paths[template]![method]!;
        const declared = operation.responses[String(res.status)];
        if (!declared) throw new Error(`${template} answered ${res.status}, undeclared`);
        const type = String(res.headers['content-type'] ?? '').split(';')[0]!;
        expect(Object.keys(declared.content ?? {})).toContain(type);
        if (type === 'application/json') {
          const validate = ajv.compile(JSON.parse(JSON.stringify(declared.content![type]!.schema).replace(/"#\/components\//g, '"openapi-webhooks#/components/')) as object);
          if (!validate(JSON.parse(res.text))) throw new Error(`${template}: ${ajv.errorsText(validate.errors)}`);
        }
      };
      const post2 = await rawRequest(`${hooks.url}/api/package-deployment/`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-ApiKey': KEY }, body: JSON.stringify({ ...SAMPLE, Target: 'hooked' }) });
      expect(post2.status).toBe(200);
      const get = (path: string, key = admin, method = 'GET') => rawRequest(`${hooks.url}/api/package-deployment/webhooks${path}`, { method, headers: { 'X-ApiKey': key } });
      const targets = await get('/targets');
      expect(targets.status).toBe(200);
      check('get', '/api/package-deployment/webhooks/targets', targets);
      const deliveries = await get('/deliveries');
      expect(deliveries.status).toBe(200);
      check('get', '/api/package-deployment/webhooks/deliveries', deliveries);
      const id = (JSON.parse(deliveries.text) as { deliveries: { id: string }[] }).deliveries[0]!.id;
      const one = await get(`/deliveries/${id}`);
      expect(one.status).toBe(200);
      check('get', '/api/package-deployment/webhooks/deliveries/{id}', one);
      const again = await get(`/deliveries/${id}/redeliver`, admin, 'POST');
      expect(again.status).toBe(202);
      check('post', '/api/package-deployment/webhooks/deliveries/{id}/redeliver', again);
      for (const [path, key, status, template] of [
        ['/deliveries?status=lost', admin, 400, '/api/package-deployment/webhooks/deliveries'],
        ['/targets', KEY, 403, '/api/package-deployment/webhooks/targets'],
        ['/deliveries/999999', admin, 404, '/api/package-deployment/webhooks/deliveries/{id}'],
      ] as const) {
        const res = await get(path, key);
        expect(res.status).toBe(status);
        check('get', template, res);
      }
    } finally {
      await hooks.close();
      await router.close();
    }
  });

  it('GET /-/deployments/{feed}/{package}[/{version}]: 200, 400, 403, 404', async () => {
    const page = (path: string, key = KEY) => rawRequest(`${server.url}/-/deployments/${path}`, { method: 'GET', headers: { 'X-ApiKey': key } });
    const cases: [string, RawResponse, number][] = [
      ['/-/deployments/{feed}/{package}', await page('DefaultNuGet/Newtonsoft.Json'), 200],
      ['/-/deployments/{feed}/{package}', await page('DefaultNuGet/Newtonsoft.Json?since=yesterday'), 400],
      ['/-/deployments/{feed}/{package}', await page('DefaultNuGet/Newtonsoft.Json', 'wrong-key-0000'), 403],
      ['/-/deployments/{feed}/{package}', await page('Nope/Newtonsoft.Json'), 404],
      ['/-/deployments/{feed}/{package}/{version}', await page('DefaultNuGet/Newtonsoft.Json/13.0.3'), 200],
      ['/-/deployments/advisories', await page('advisories'), 200],
      ['/-/deployments/advisories', await page('advisories', 'wrong-key-0000'), 403],
    ];
    for (const [template, res, status] of cases) {
      expect({ template, status: res.status }).toEqual({ template, status });
      conform('get', template, res);
    }
    const form = (body: string) => rawRequest(`${server.url}/-/deployments/advisories`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-ApiKey': KEY }, body });
    for (const [res, status] of [[await form('purl=pkg:nuget/Newtonsoft.Json&range=%3C13.0.1'), 200], [await form('advisory='), 400]] as const) {
      expect(res.status).toBe(status);
      conform('post', '/-/deployments/advisories', res);
    }
  });
});
