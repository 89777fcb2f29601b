/**
 * Property-based tests of POST /api/package-deployment/ with hostile requests: random bodies over every
 * content type, huge and deeply nested bodies, prototype keys, duplicate keys, invalid UTF-8, NUL and
 * control characters, CR/LF in header values, SQL metacharacters, wrong types. Every request gets a
 * 4xx text/plain answer or a correct 200; never a 5xx; a refused request stores nothing. The read API
 * (list, current, exports) and the History page under random query strings and paths: 200 or a 4xx,
 * never a 5xx.
 */
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import express from 'express';
import fc from 'fast-check';
import { apiKeyAuth, createDeploymentRouter, createKnexStore, type KnexDeploymentStore } from '../lib';
import { createTestDatabase, databaseIds, type TestDatabase } from './helpers/databases';
import { SAMPLE, memoryLogger } from './helpers/fixtures';
import { listen, rawRequest, type RawResponse, type RunningServer } from './helpers/http';

const KEY = 'fuzz-key-0123456789';
const PATH = '/api/package-deployment/';

let db: TestDatabase;
let store: KnexDeploymentStore;
let server: RunningServer;
const logger = memoryLogger();
const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort();

beforeAll(async () => {
  db = await createTestDatabase('sqlite');
  store = createKnexStore({ knex: db.knex });
  await store.init();
  const app = express();
  app.use(createDeploymentRouter({ store, auth: apiKeyAuth({ keys: [{ name: 'fuzzer', key: KEY }] }), logger }));
  server = await listen(app);
});
afterAll(async () => {
  await server.close();
  await store.close();
  await db.destroy();
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeBefore);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  // Nothing the fuzzer sent was an unexpected (5xx) failure worth logging.
  expect(logger.lines).toEqual([]);
});

async function count(): Promise<number> {
  const [{ n }] = await db.knex('package_deployments').count({ n: '*' });
  return Number(n);
}

/** Sends `bytes` as they are, on a fresh connection, and reads the whole answer. */
function rawSocket(bytes: Buffer): Promise<RawResponse> {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const head = text.slice(0, text.indexOf('\r\n\r\n'));
      const [statusLine, ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) headers[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine ?? '')?.[1] ?? 0), headers, text: text.slice(head.length + 4) });
    });
    socket.end(bytes);
  });
}

/** The invariant every answer must keep: 200, or a 4xx in text/plain; rows grow by one only on 200. */
async function expectSafe(res: RawResponse, before: number, fromNodeParser = false): Promise<void> {
  expect(res.status === 200 || (res.status >= 400 && res.status < 500)).toBe(true);
  if (res.status >= 400 && !fromNodeParser) expect(String(res.headers['content-type'])).toMatch(/^text\/plain/);
  expect(await count()).toBe(before + (res.status === 200 ? 1 : 0));
}

const SQL = ["' OR '1'='1", "'); DROP TABLE package_deployments; --", '" OR ""="', '\\', '%_%', '`x`', '$1', '\u0000', "'||(select sqlite_version())||'"];
const CONTENT_TYPES = [
  undefined,
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON; Charset="UTF-8"',
  'application/vnd.proget+json',
  'application/json; charset=utf-16le',
  'application/json; charset=klingon',
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=iso-8859-1',
  'application/x-www-form-urlencoded; charset=utf-7',
  'text/plain',
  'text/xml',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  '',
  ';',
  'application/json;;;',
];

const fieldValue = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 20 }),
  fc.constantFrom(...SQL),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 }),
);
const fieldName = fc.oneof(
  fc.mixedCase(fc.constantFrom(...Object.keys(SAMPLE), 'GroupName', 'UserName', 'Url', 'Date', 'API_Key', 'key')),
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString'),
  fc.string({ maxLength: 8 }),
);
const jsonBody = fc.array(fc.tuple(fieldName, fieldValue), { maxLength: 12 }).map((pairs) =>
  `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`,
);
/** Percent-encodes every UTF-8 byte (lone surrogates become U+FFFD, as any client would send them). */
const pct = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
const formBody = fc.array(fc.tuple(fieldName, fieldValue), { maxLength: 12 }).map((pairs) =>
  pairs.map(([k, v]) => `${pct(k)}=${pct(typeof v === 'string' ? v : JSON.stringify(v) ?? '')}`).join('&'),
);
const body = fc.oneof(
  jsonBody.map((s) => Buffer.from(s, 'utf8')),
  formBody.map((s) => Buffer.from(s, 'utf8')),
  fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
  fc.string({ maxLength: 100 }).map((s) => Buffer.from(s, 'utf8')),
  fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null', 'utf8')),
  fc.constantFrom(
    Buffer.from(JSON.stringify(SAMPLE)),
    Buffer.from(new URLSearchParams(SAMPLE).toString()),
    Buffer.alloc(0),
  ),
);

describe('POST /api/package-deployment/ under random requests', () => {
  it('any body under any Content-Type: 200 or a 4xx in text/plain, and a row only for a 200', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...CONTENT_TYPES), body, fc.boolean(), async (type, bytes, withKey) => {
        const before = await count();
        const headers: Record<string, string> = {};
        if (type !== undefined) headers['Content-Type'] = type;
        if (withKey) headers['X-ApiKey'] = KEY;
        const res = await rawRequest(`${server.url}${PATH}`, { headers, body: bytes });
        await expectSafe(res, before);
        if (!withKey) expect(res.status).not.toBe(200);
      }),
      { numRuns: 150 },
    );
  });

  it('hostile but valid text (SQL metacharacters, quotes, Unicode, the longest allowed) is stored exactly', async () => {
    const text = (max: number) => fc.oneof(
      fc.constantFrom(...SQL.filter((s) => !s.includes('\u0000'))),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).filter((s) => s.trim() !== '' && !/[\u0000-\u001f\u007f]/.test(s) && s.trim() === s),
      fc.constant('\u{1F680}'.repeat(max)),
    );
    await fc.assert(
      fc.asyncProperty(text(200), text(4000), text(200), text(200), fc.boolean(), async (application, description, target, packageName, asJson) => {
        const fields = { ...SAMPLE, Application: application, Description: description, Target: target, PackageName: packageName };
        const before = await count();
        const res = asJson
          ? await rawRequest(`${server.url}${PATH}`, { headers: { 'X-ApiKey': KEY, 'Content-Type': 'application/json' }, body: JSON.stringify(fields) })
          : await rawRequest(`${server.url}${PATH}`, { headers: { 'X-ApiKey': KEY }, body: new URLSearchParams(fields).toString() });
        expect(res.status).toBe(200);
        await expectSafe(res, before);
        const [row] = await db.knex('package_deployments').orderBy('id', 'desc').limit(1);
        expect([row.application, row.description, row.target, row.package_name]).toEqual([application, description, target, packageName]);
      }),
      { numRuns: 40 },
    );
  });

  it('raw requests with CR/LF, NUL and control bytes in header values, and invalid UTF-8 bodies: no 5xx, no stray row', async () => {
    const headerJunk = fc.oneof(
      fc.constantFrom('\r\nX-Injected: 1', '\r', '\n', '\u0000', '\r\n\r\n', '\u00ff\u00fe', '\u007f', ' \t '),
      fc.string({ unit: fc.integer({ min: 0, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 12 }),
    );
    const headerName = fc.constantFrom('X-ApiKey', 'Content-Type', 'Authorization', 'X-Forwarded-For', 'Content-Encoding');
    const payload = fc.oneof(
      fc.constant(Buffer.from(JSON.stringify(SAMPLE))),
      fc.constant(Buffer.concat([Buffer.from('{"Application":"a'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('","Description":"","Target":"t","FeedName":"f","PackageName":"p","Version":"1"}')])),
      fc.constant(Buffer.concat([Buffer.from('Application=a'), Buffer.from([0xc0, 0x80]), Buffer.from('&Description=&Target=t&FeedName=f&PackageName=p&Version=1')])),
      fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
    );
    await fc.assert(
      fc.asyncProperty(headerName, headerJunk, fc.constantFrom('application/json', 'application/x-www-form-urlencoded', null), payload, async (name, junk, type, bytes) => {
        const before = await count();
        const head = [
          `POST ${PATH} HTTP/1.1`,
          'Host: 127.0.0.1',
          'Connection: close',
          `X-ApiKey: ${KEY}`,
          ...(type ? [`Content-Type: ${type}`] : []),
          `Content-Length: ${bytes.length}`,
        ].join('\r\n');
        const request = Buffer.concat([Buffer.from(`${head}\r\n${name}: ${junk}\r\n\r\n`, 'latin1'), bytes]);
        const res = await rawSocket(request);
        // Node's own HTTP parser answers some malformed requests (bare CR...) with a bare 400 before
        // the library sees them; those are safe too.
        await expectSafe(res, before, res.status === 400 && res.headers['content-type'] === undefined);
      }),
      { numRuns: 80 },
    );
  });

  it('refuses invalid UTF-8 instead of storing U+FFFD', async () => {
    const before = await count();
    for (const [type, bytes] of [
      ['application/json', Buffer.concat([Buffer.from(`{"Application":"a`), Buffer.from([0xff]), Buffer.from(`","Description":"","Target":"t","FeedName":"f","PackageName":"p","Version":"1"}`)])],
      [undefined, Buffer.concat([Buffer.from('Application=a'), Buffer.from([0xc3, 0x28]), Buffer.from('&Description=&Target=t&FeedName=f&PackageName=p&Version=1')])],
    ] as const) {
      const res = await rawRequest(`${server.url}${PATH}`, { headers: { 'X-ApiKey': KEY, ...(type ? { 'Content-Type': type } : {}) }, body: bytes });
      expect(res.status).toBe(400);
      expect(res.text).toMatch(/not valid UTF-8/);
    }
    expect(await count()).toBe(before);
  });

  it.each([
    ['the same case', '"Target":"web-01","Target":"web-02"'],
    ['another case', '"Target":"web-01","TARGET":"web-02"'],
    ['an escaped spelling', '"Target":"web-01","\\u0054arget":"web-02"'],
  ])('refuses a JSON field given twice in %s, storing nothing', async (_name, pair) => {
    const before = await count();
    const json = `{"Application":"a","Description":"","FeedName":"f","PackageName":"p","Version":"1",${pair}}`;
    const res = await rawRequest(`${server.url}${PATH}`, { headers: { 'X-ApiKey': KEY, 'Content-Type': 'application/json' }, body: json });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/^Target: given more than once/m);
    expect(await count()).toBe(before);
  });

  it('a JSON API_Key given twice is refused, not silently resolved to the last one', async () => {
    const json = JSON.stringify(SAMPLE).replace('{', `{"API_Key":"wrong-key-00000","API_Key":"${KEY}",`);
    const res = await rawRequest(`${server.url}${PATH}`, { headers: { 'Content-Type': 'application/json' }, body: json });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/^API_Key: given more than once/m);
  });

  it.each([
    ['JSON __proto__', 'application/json', `{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},${JSON.stringify(SAMPLE).slice(1)}`],
    ['form __proto__', 'application/x-www-form-urlencoded', `__proto__[polluted]=yes&constructor[prototype][polluted]=yes&__proto__=x&${new URLSearchParams(SAMPLE)}`],
  ])('%s keys pollute nothing and are ignored', async (_name, type, text) => {
    const res = await rawRequest(`${server.url}${PATH}`, { headers: { 'X-ApiKey': KEY, 'Content-Type': type }, body: text });
    expect(res.status).toBe(200);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('deeply nested JSON (within the size limit) is a 400, not a crash', async () => {
    const before = await count();
    for (const nested of ['['.repeat(30_000) + ']'.repeat(30_000), `{"Target":${'{"a":'.repeat(6000)}1${'}'.repeat(6000)}}`]) {
      const res = await rawRequest(`${server.url}${PATH}`, { headers: { 'X-ApiKey': KEY, 'Content-Type': 'application/json' }, body: nested });
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
    }
    expect(await count()).toBe(before);
  });

  it('huge bodies: 413 over the limit, also when compressed (a gzip bomb), and 415 for unknown encodings', async () => {
    const before = await count();
    const huge = await rawRequest(`${server.url}${PATH}`, { headers: { 'X-ApiKey': KEY }, body: `Description=${'x'.repeat(5 * 1024 * 1024)}` });
    expect(huge.status).toBe(413);
    const bomb = gzipSync(Buffer.from(JSON.stringify({ ...SAMPLE, Junk: 'x'.repeat(20 * 1024 * 1024) })));
    const zipped = await rawRequest(`${server.url}${PATH}`, { headers: { 'X-ApiKey': KEY, 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }, body: bomb });
    expect(zipped.status).toBe(413);
    const broken = await rawRequest(`${server.url}${PATH}`, { headers: { 'X-ApiKey': KEY, 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }, body: 'not gzip at all' });
    expect(broken.status).toBeGreaterThanOrEqual(400);
    expect(broken.status).toBeLessThan(500);
    const unknown = await rawRequest(`${server.url}${PATH}`, { headers: { 'X-ApiKey': KEY, 'Content-Type': 'application/json', 'Content-Encoding': 'zstd-ish' }, body: '{}' });
    expect(unknown.status).toBe(415);
    expect(await count()).toBe(before);
  });

  it('the server still records normally after all of that', async () => {
    const before = await count();
    const res = await rawRequest(`${server.url}${PATH}`, { headers: { 'X-ApiKey': KEY, 'Content-Type': 'application/json' }, body: JSON.stringify(SAMPLE) });
    expect(res.status).toBe(200);
    expect(await count()).toBe(before + 1);
  });
});

/** Read API parameters, in any case, and a few that do not exist. */
const readParam = fc.oneof(
  fc.mixedCase(fc.constantFrom('feed', 'group', 'package', 'version', 'range', 'target', 'targetPrefix', 'application', 'user', 'since', 'until', 'limit', 'cursor', 'total', 'format', 'key')),
  fc.constantFrom('__proto__', 'constructor', 'feed[]', 'feed[a]', 'limit.x', ''),
  fc.string({ maxLength: 8 }),
);
/** Values: random text and bytes (not UTF-8 too), and near-misses of the values each parameter takes. */
const readValue = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }).map(pct),
  fc.uint8Array({ maxLength: 24 }).map((a) => [...a].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')),
  fc.constantFrom(
    '', ' ', '0', '-1', '1', '500', '501', '1000000', '1e3', '0x10', 'NaN', '9'.repeat(40),
    '2024-05-01', '2024-05-01T12:00:00Z', '2024-13-45', '2024-05-01T25:00:00+99:00', '99999-01-01', '-000001-01-01',
    '(,13.0.1)', '[1.0,2.0)', '<13.0.1', '>=1 <2 || ^3', '[', '(,)', '[2.0,1.0]', '*', '~', '^', '>=', '<<<<', '1.0.0-',
    'true', 'false', 'yes', 'maybe', 'csv', 'ndjson', 'json', 'xml', 'CSV',
    'DefaultNuGet', 'defaultnuget', 'Newtonsoft.Json', 'NoSuchFeed', '%', '%zz', '%00', '+', '%2B', '&', '=', '==',
  ).map((v) => (/^%/.test(v) && v.length > 1 ? v : encodeURIComponent(v))),
  fc.base64String({ maxLength: 60 }).map(encodeURIComponent),
  fc.constantFrom(...SQL).map(encodeURIComponent),
);
const queryString = fc.array(fc.tuple(readParam, readValue), { maxLength: 7 }).map((pairs) =>
  pairs.map(([k, v]) => `${encodeURIComponent(k)}=${v}`).join('&'),
);
// ('..' and '%2E%2E' are left out: the client resolves them before sending, so the request would not reach the page.)
const pathSegment = fc.oneof(fc.constantFrom('DefaultNuGet', 'Newtonsoft.Json', 'NoSuchFeed', '12.0.3', '%2F', '%00', '%zz'), fc.string({ unit: 'binary', minLength: 1, maxLength: 16 }).map(pct));

describe('the read API and the History page under random query strings', () => {
  beforeAll(async () => {
    // Something to find, in a few versions and targets.
    for (const [Version, Target] of [['12.0.3', 'web-01'], ['13.0.1', 'web-02'], ['11.0.2', 'db-01']]) {
      const res = await rawRequest(`${server.url}${PATH}`, { headers: { 'X-ApiKey': KEY, 'Content-Type': 'application/json' }, body: JSON.stringify({ ...SAMPLE, Version, Target }) });
      expect(res.status).toBe(200);
    }
  });

  /** 200 or a 4xx (text/plain; the History page may answer a 400 as its HTML form); never a 5xx. */
  function expectReadSafe(res: RawResponse, page: boolean): void {
    expect({ status: res.status, ok: res.status === 200 || (res.status >= 400 && res.status < 500) }).toEqual({ status: res.status, ok: true });
    // A page URL the library does not own (a segment that is "-" or holds a "/") falls through to the
    // host: here Express's own HTML 404.
    if (res.status >= 400) expect(String(res.headers['content-type'])).toMatch(page && (res.status === 400 || res.status === 404) ? /^text\/(plain|html)/ : /^text\/plain/);
    expect(res.text).not.toMatch(/\n\s+at /);
    expect(res.text).not.toContain(KEY);
  }

  it('GET /api/package-deployment and /current: 200 or a 4xx text/plain, never a 5xx, whatever the query', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('', '/current', '/'),
        queryString,
        fc.constantFrom(undefined, 'text/csv', 'application/x-ndjson', 'application/json', '*/*', 'text/html'),
        fc.constantFrom('GET', 'HEAD'),
        fc.boolean(),
        async (suffix, qs, accept, method, withKey) => {
          const headers: Record<string, string> = {};
          if (accept) headers.Accept = accept;
          if (withKey) headers['X-ApiKey'] = KEY;
          const res = await rawRequest(`${server.url}/api/package-deployment${suffix}?${qs}`, { method, headers });
          expectReadSafe(res, false);
          if (method === 'GET' && res.status === 200 && !/ndjson|csv/.test(String(res.headers['content-type']))) {
            expect(Array.isArray((JSON.parse(res.text) as { records: unknown[] }).records)).toBe(true);
          }
          if (method === 'GET' && res.status === 200 && /ndjson/.test(String(res.headers['content-type']))) {
            for (const line of res.text.split('\n').filter(Boolean)) JSON.parse(line);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('GET /-/deployments/{feed}/{package}[/{version}]: 200 or a 4xx, never a 5xx, whatever the path and query', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(pathSegment, { minLength: 2, maxLength: 3 }), queryString, fc.boolean(), async (segments, qs, withKey) => {
        const res = await rawRequest(`${server.url}/-/deployments/${segments.join('/')}?${qs}`, { method: 'GET', headers: withKey ? { 'X-ApiKey': KEY } : {} });
        // A path Express cannot decode (%zz, %00 in a segment...) is Express's own 400 (or no route: 404).
        expectReadSafe(res, true);
      }),
      { numRuns: 200 },
    );
  });

  it('cursors that were tampered with are a 400 naming the cursor, never a 5xx', async () => {
    const first = await rawRequest(`${server.url}/api/package-deployment?feed=DefaultNuGet&limit=1`, { method: 'GET', headers: { 'X-ApiKey': KEY } });
    expect(first.status).toBe(200);
    const cursor = (JSON.parse(first.text) as { nextCursor: string }).nextCursor;
    expect(typeof cursor).toBe('string');
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: cursor.length - 1 }), fc.string({ minLength: 1, maxLength: 3 }), async (at, insert) => {
        const tampered = `${cursor.slice(0, at)}${insert}${cursor.slice(at + 1)}`;
        const res = await rawRequest(`${server.url}/api/package-deployment?feed=DefaultNuGet&cursor=${encodeURIComponent(tampered)}`, { method: 'GET', headers: { 'X-ApiKey': KEY } });
        expectReadSafe(res, false);
        if (res.status === 400) expect(res.text).toMatch(/cursor/);
      }),
      { numRuns: 100 },
    );
  });
});

describe.each(databaseIds())('hostile but valid text on %s', (id) => {
  let tdb: TestDatabase;
  let tstore: KnexDeploymentStore;
  let tserver: RunningServer;
  beforeAll(async () => {
    tdb = await createTestDatabase(id);
    tstore = createKnexStore({ knex: tdb.knex });
    const app = express();
    app.use(createDeploymentRouter({ store: tstore, auth: apiKeyAuth({ keys: [{ name: 'fuzzer', key: KEY }] }), logger }));
    tserver = await listen(app);
  });
  afterAll(async () => {
    await tserver.close();
    await tstore.close();
    await tdb.destroy();
  });

  it('is stored and read back exactly, up to each field\'s limit in any Unicode plane', async () => {
    const text = (max: number) => fc.oneof(
      fc.constantFrom(...SQL.filter((s) => !s.includes('\u0000'))),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).filter((s) => s.trim() === s && s !== '' && !/[\u0000-\u001f\u007f]/.test(s)),
      fc.constantFrom('\u{1F680}', '\u00e9', 'x', '\u4e2d').map((c) => c.repeat(max)),
    );
    let n = 0;
    await fc.assert(
      fc.asyncProperty(text(200), text(4000), text(100), async (application, description, version) => {
        const target = `${id}-${n++}`;
        const fields = { ...SAMPLE, Application: application, Description: description, Version: version, Target: target };
        const res = await rawRequest(`${tserver.url}${PATH}`, { headers: { 'X-ApiKey': KEY, 'Content-Type': 'application/json' }, body: JSON.stringify(fields) });
        expect({ status: res.status, text: res.text }).toEqual({ status: 200, text: '' });
        const rows = await tdb.knex('package_deployments').where('target', target).select('application', 'description', 'version');
        expect(rows).toEqual([{ application, description, version }]);
      }),
      { numRuns: 25 },
    );
  });
});
