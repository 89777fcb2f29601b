/**
 * The knex API-key store, on every database: keys kept only as hashes, created once, listed without
 * secrets, revoked at once, scoped to feeds and privileges, and its own migrations table.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { knex } from 'knex';
import request from 'supertest';
import {
  API_KEYS_MIGRATIONS_TABLE,
  API_KEYS_TABLE,
  API_KEY_PREFIX,
  MIGRATIONS_TABLE,
  createDeploymentRouter,
  createKnexApiKeyStore,
  createKnexStore,
  migrateApiKeyStore,
  rollbackApiKeyStore,
  type KnexApiKeyStore,
  type KnexDeploymentStore,
} from '../lib';
import { createTestDatabase, databaseIds, type TestDatabase } from './helpers/databases';
import { SAMPLE, memoryLogger } from './helpers/fixtures';

describe.each(databaseIds())('knex API-key store on %s', (id) => {
  let db: TestDatabase;
  let keys: KnexApiKeyStore;
  let store: KnexDeploymentStore;

  beforeAll(async () => {
    db = await createTestDatabase(id);
    keys = createKnexApiKeyStore({ knex: db.knex });
    store = createKnexStore({ knex: db.knex });
  });
  afterAll(async () => {
    await keys.close();
    await store.close();
    await db.destroy();
  });

  it('migrates into its own table and its own migrations table, apart from the deployments store', async () => {
    await keys.init();
    await store.init();
    expect(await db.knex.schema.hasTable(API_KEYS_TABLE)).toBe(true);
    const own = await db.knex(API_KEYS_MIGRATIONS_TABLE).select('name');
    expect(own.map((r: { name: string }) => r.name)).toEqual(['001_create_api_keys']);
    const deployments = await db.knex(MIGRATIONS_TABLE).select('name');
    expect(deployments.map((r: { name: string }) => r.name)).not.toContain('001_create_api_keys');
    await migrateApiKeyStore(db.knex); // twice is harmless
  });

  it('returns the secret once, stores only its SHA-256 hash, and never lists it', async () => {
    const created = await keys.createApiKey({ name: 'buildmaster', feeds: ['DefaultNuGet'], privileges: ['Feeds_DownloadPackage'] });
    expect(created.key.startsWith(API_KEY_PREFIX)).toBe(true);
    expect(Buffer.from(created.key.slice(API_KEY_PREFIX.length), 'base64url')).toHaveLength(32);
    expect(created).toMatchObject({ name: 'buildmaster', feeds: ['DefaultNuGet'], privileges: ['Feeds_DownloadPackage'] });

    const rows = await db.knex(API_KEYS_TABLE).select('*');
    const everything = JSON.stringify(rows);
    expect(everything).not.toContain(created.key);
    expect(everything).not.toContain(created.key.slice(API_KEY_PREFIX.length));
    expect(rows[0].key_hash).toBe(createHash('sha256').update(created.key).digest('hex'));

    const listed = await keys.listApiKeys();
    expect(listed).toEqual([{ name: 'buildmaster', feeds: ['DefaultNuGet'], privileges: ['Feeds_DownloadPackage'], createdAt: created.createdAt }]);
    expect(JSON.stringify(listed)).not.toContain(created.key);
    expect(JSON.stringify(listed)).not.toContain(rows[0].key_hash);
  });

  it('authenticates its keys (and only its keys) as the key\'s name, scoped to its feeds and privileges', async () => {
    const { key } = await keys.createApiKey({ name: 'deployer' });
    const principal = await keys.authenticate({ type: 'apiKey', key, source: 'header' }, {} as never);
    expect(principal).toEqual({ name: 'deployer', kind: 'apiKey' });
    expect(await keys.authorize(principal || null, 'Feeds_DownloadPackage', 'AnyFeed')).toBe(true);

    expect(await keys.authenticate({ type: 'apiKey', key: `${key}x`, source: 'header' }, {} as never)).toBe(false);
    expect(await keys.authenticate({ type: 'apiKey', key: key.toUpperCase(), source: 'header' }, {} as never)).toBe(false);
    expect(await keys.authenticate({ type: 'basic', user: 'deployer', password: key, source: 'basic' }, {} as never)).toBe(false);
    expect(await keys.authenticate(null, {} as never)).toBeNull();
    expect(await keys.authorize(null, 'Feeds_DownloadPackage', 'AnyFeed')).toBe(false);
    // A principal the store did not hand out is refused.
    expect(await keys.authorize({ name: 'deployer' }, 'Feeds_DownloadPackage', 'AnyFeed')).toBe(false);
  });

  it('works as the router\'s auth: records with the key, 403 once it is revoked, revocation shows in the list', async () => {
    const logger = memoryLogger();
    const app = express();
    app.use(createDeploymentRouter({ store, auth: keys, logger }));
    const { key } = await keys.createApiKey({ name: 'ci-bot', feeds: ['DefaultNuGet'] });

    await request(app).post('/api/package-deployment/').set('X-ApiKey', key).send(SAMPLE).expect(200);
    const [row] = await db.knex('package_deployments').orderBy('id', 'desc').limit(1);
    expect(row.user_name).toBe('ci-bot');
    await request(app).post('/api/package-deployment/').set('X-ApiKey', key).send({ ...SAMPLE, FeedName: 'Other' }).expect(403);

    expect(await keys.revokeApiKey('ci-bot')).toBe(true);
    expect(await keys.revokeApiKey('ci-bot')).toBe(false);
    expect(await keys.revokeApiKey('no-such-key')).toBe(false);
    const res = await request(app).post('/api/package-deployment/').set('X-ApiKey', key).send(SAMPLE);
    expect(res.status).toBe(403);
    expect(res.text).not.toContain(key);
    const listed = (await keys.listApiKeys()).find((k) => k.name === 'ci-bot')!;
    expect(listed.revokedAt).toBeInstanceOf(Date);
    expect(logger.lines.join('\n')).not.toContain(key);
  });

  it('refuses a taken name (revoked keys keep theirs) and bad options, without echoing any secret', async () => {
    await expect(keys.createApiKey({ name: 'ci-bot' })).rejects.toThrow(/a key named "ci-bot" already exists/);
    await expect(keys.createApiKey({ name: '' })).rejects.toThrow(/name must be a non-empty string/);
    await expect(keys.createApiKey({ name: 'x', feeds: 'DefaultNuGet' as never })).rejects.toThrow(/feeds must be an array/);
    await expect(keys.createApiKey({ name: 'x', privileges: [] })).rejects.toThrow(/privileges must be a non-empty array/);
  });

  it('anonymous gets only what the store is configured to grant', async () => {
    const open = createKnexApiKeyStore({ knex: db.knex, anonymous: { privileges: ['Feeds_DownloadPackage'], feeds: ['Public'] } });
    expect(await open.authorize(null, 'Feeds_DownloadPackage', 'public')).toBe(true);
    expect(await open.authorize(null, 'Feeds_DownloadPackage', 'Private')).toBe(false);
    expect(await open.authorize(null, 'Feeds_ViewPackage', 'Public')).toBe(false);
    await open.close();
  });

  it('rolls its migration down and up again, leaving the deployments table alone', async () => {
    await rollbackApiKeyStore(db.knex, { all: true });
    expect(await db.knex.schema.hasTable(API_KEYS_TABLE)).toBe(false);
    expect(await db.knex.schema.hasTable('package_deployments')).toBe(true);
    await migrateApiKeyStore(db.knex);
    expect(await db.knex.schema.hasTable(API_KEYS_TABLE)).toBe(true);
    expect(await keys.listApiKeys()).toEqual([]);
  });
});

const QUIET = { warn() {}, error() {}, debug() {}, deprecate() {} };

describe('knex API-key store when its database is down', () => {
  it('answers 503 with Retry-After, not 500, and the message holds no key', async () => {
    const down = knex({ client: 'pg', connection: 'postgres://postgres@127.0.0.1:1/none', pool: { min: 0, max: 1 }, acquireConnectionTimeout: 2000, log: QUIET });
    const keys = createKnexApiKeyStore({ knex: down });
    const app = express();
    const logger = memoryLogger();
    app.use(createDeploymentRouter({ store: { record: async () => [], list: async () => ({ records: [] }) }, auth: keys, logger }));
    const secret = 'pdk_this-is-a-secret-key-value';
    const res = await request(app).post('/api/package-deployment/').set('X-ApiKey', secret).send(SAMPLE);
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.text).toMatch(/unavailable/);
    expect(res.text).not.toContain(secret);
    expect(logger.lines.join('\n')).not.toContain(secret);
    await down.destroy();
  });
});

describe('examples/api-keys.js, the key CLI', () => {
  it('creates a key that records, lists it without the secret, and revokes it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pd-keys-cli-'));
    const file = join(dir, 'keys.sqlite');
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, [join(__dirname, '..', 'examples', 'api-keys.js'), ...args], { env: { ...process.env, DEPLOYMENTS_DB: file }, encoding: 'utf8' });
    try {
      const created = cli('create', 'ci', '--feeds', 'DefaultNuGet');
      expect(created.status).toBe(0);
      const key = /^(pdk_\S+)$/m.exec(created.stdout)![1]!;

      const keys = createKnexApiKeyStore({ filename: file });
      const store = createKnexStore({ knex: keys.knex });
      const app = express();
      app.use(createDeploymentRouter({ store, auth: keys }));
      await request(app).post('/api/package-deployment/').set('X-ApiKey', key).send(SAMPLE).expect(200);

      const listed = cli('list');
      expect(listed.stdout).toMatch(/^ci\tactive\tfeeds: DefaultNuGet\t/m);
      expect(listed.stdout).not.toContain(key);
      expect(cli('create', 'ci').status).toBe(2);
      expect(cli('revoke', 'ci').stdout).toMatch(/revoked "ci"/);
      await request(app).post('/api/package-deployment/').set('X-ApiKey', key).send(SAMPLE).expect(403);
      await keys.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
