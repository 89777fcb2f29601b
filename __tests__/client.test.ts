/**
 * The typed client (package-deployments/client) against a real server: record, read, page through,
 * export as a stream, read the OpenAPI document; refusals and an unreachable server as
 * DeploymentsClientError with the status. It depends on nothing but Node's fetch: its source imports
 * types only.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import express from 'express';
import { createDeploymentRouter, createKnexStore, type KnexDeploymentStore } from '../lib';
import { createDeploymentsClient, DeploymentsClientError, type WireRecord } from '../lib/client';
import { createTestDatabase, type TestDatabase } from './helpers/databases';
import { listen, type RunningServer } from './helpers/http';
import { memoryLogger } from './helpers/fixtures';

const KEY = 'client-key-000001';
let db: TestDatabase;
let store: KnexDeploymentStore;
let server: RunningServer;

beforeAll(async () => {
  db = await createTestDatabase('sqlite');
  store = createKnexStore({ knex: db.knex });
  const app = express();
  app.use(createDeploymentRouter({ store, apiKeys: [{ name: 'client', key: KEY }], feeds: ['npm'], logger: memoryLogger() }));
  server = await listen(app);
});
afterAll(async () => {
  await server.close();
  await store.close();
  await db.destroy();
});

describe('createDeploymentsClient()', () => {
  it('records, reads (history, current, every page), exports and fetches the OpenAPI document', async () => {
    const client = createDeploymentsClient({ url: `${server.url}/`, apiKey: KEY });
    for (const [target, version, day] of [['web-01', '1.0.0', 1], ['web-02', '1.0.0', 2], ['web-01', '2.0.0', 3]] as const) {
      await client.record({ Application: 'Client', Description: '', Target: target, FeedName: 'npm', PackageName: '@acme/widget', Version: version, Date: new Date(Date.UTC(2024, 0, day)) });
    }
    const page = await client.history({ feed: 'npm', package: '@acme/widget', limit: 2, total: true });
    expect(page.records.map((r) => r.Version)).toEqual(['2.0.0', '1.0.0']);
    expect(page.total).toBe(3);
    expect(typeof page.nextCursor).toBe('string');
    const all: WireRecord[] = [];
    for await (const r of client.all({ feed: 'npm', package: '@acme/widget', limit: 1 })) all.push(r);
    expect(all.map((r) => `${r.Target} ${r.Version}`)).toEqual(['web-01 2.0.0', 'web-02 1.0.0', 'web-01 1.0.0']);
    const current = await client.current({ feed: 'npm', package: '@acme/widget' });
    expect(current.records.map((r) => `${r.Target} ${r.Version}`).sort()).toEqual(['web-01 2.0.0', 'web-02 1.0.0']);
    const csv = await (await client.export({ feed: 'npm', since: new Date(Date.UTC(2024, 0, 2)) }, { format: 'csv' })).text();
    expect(csv.trim().split('\r\n')).toHaveLength(3);
    expect((await client.openapi()).openapi).toBe('3.1.0');
  });

  it('refusals are DeploymentsClientError with the status and the server\'s text, never the key', async () => {
    const wrong = createDeploymentsClient({ url: server.url, apiKey: 'wrong-key-000000' });
    const refused = await wrong.history({ feed: 'npm' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DeploymentsClientError);
    expect(refused).toMatchObject({ status: 403, body: 'The specified API key does not have the proper permissions to perform this action.\n' });
    const client = createDeploymentsClient({ url: server.url, apiKey: KEY });
    const bad = await client.record({ Application: '', Description: '', Target: 't', FeedName: 'npm', PackageName: 'p', Version: '1' }).catch((e: unknown) => e);
    expect(bad).toMatchObject({ status: 400 });
    expect((bad as Error).message).toMatch(/Application/);
    expect((bad as Error).message).not.toContain(KEY);
    const down = await createDeploymentsClient({ url: 'http://127.0.0.1:9', apiKey: KEY }).history({ feed: 'npm' }).catch((e: unknown) => e);
    expect(down).toMatchObject({ status: 0 });
    expect(() => createDeploymentsClient({ url: 'feeds.example' })).toThrow(/http\(s\) base URL/);
  });

  it('has no runtime dependency: its source imports types only', () => {
    const source = readFileSync(join(__dirname, '..', 'lib', 'client', 'index.ts'), 'utf8');
    const imports = source.split('\n').filter((l) => /^import\s/.test(l));
    expect(imports.every((l) => /^import type\s/.test(l))).toBe(true);
  });
});
