/**
 * Webhooks from the durable outbox, on every database: a real receiver verifies every signature with the
 * `standardwebhooks` package; every committed record arrives; retries carry the same webhook-id; 500s,
 * a receiver that is down, slow, answers Retry-After or 410; the last attempt fails and stays readable;
 * redelivery; the admin routes; the History page; secrets never returned or logged; safe targets.
 */
import express from 'express';
import { hostname } from 'node:os';
import request from 'supertest';
import {
  createDeploymentRouter,
  createKnexStore,
  DEFAULT_HISTORY_PATH,
  generateWebhookSecret,
  rollbackDeploymentStore,
  migrateDeploymentStore,
  WEBHOOK_ADMIN_PRIVILEGE,
  type KnexDeploymentStore,
  type WebhookOptions,
} from '../lib';
import { sendDelivery } from '../lib/webhooks/send';
import { WEBHOOK_DELIVERIES_TABLE, WEBHOOK_TARGETS_TABLE } from '../lib/store/tables';
import { createTestDatabase, databaseIds, type TestDatabase } from './helpers/databases';
import { memoryLogger, SAMPLE } from './helpers/fixtures';
import { startReceiver, type Receiver } from './helpers/webhook-receiver';
import { feedApp, FIXTURES } from './helpers/feed-app';
import { feedDeployments } from '../lib';
import http from 'node:http';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import https from 'node:https';

jest.setTimeout(90_000);

/** Polls `check` until it holds (deliveries are written just after the receiver answers). */
async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}.`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const CI_KEY = 'ci-key-0123456789';
const ADMIN_KEY = 'admin-key-0123456789';
const apiKeys = [
  { name: 'ci', key: CI_KEY },
  { name: 'admin', key: ADMIN_KEY, privileges: [WEBHOOK_ADMIN_PRIVILEGE, 'Feeds_ViewPackage'] },
];

describe.each(databaseIds())('webhooks on %s', (id) => {
  let db: TestDatabase;
  let store: KnexDeploymentStore;
  let receiver: Receiver;
  const secret = generateWebhookSecret();
  const routers: Array<{ close(): Promise<void> }> = [];

  function app(webhooks: WebhookOptions, logger = memoryLogger()) {
    const router = createDeploymentRouter({ store, apiKeys, webhooks: { allowPrivateTargets: true, pollIntervalMs: 50, ...webhooks }, logger });
    routers.push(router);
    const a = express();
    a.use(router);
    return { app: a, router, logger };
  }

  const post = (a: express.Express, fields: Record<string, string> = {}) =>
    request(a).post('/api/package-deployment').set('X-ApiKey', CI_KEY).send({ ...SAMPLE, ...fields });

  beforeEach(async () => {
    db = await createTestDatabase(id);
    store = createKnexStore({ knex: db.knex });
    await store.init();
    receiver = await startReceiver([secret]);
  });

  afterEach(async () => {
    for (const r of routers.splice(0)) await r.close();
    await receiver.close();
    await store.close();
    await db.destroy();
  });

  it('delivers every committed record once, signed (verified by standardwebhooks), with the read API field names', async () => {
    const { app: a, router } = app({ targets: [{ name: 'audit', url: receiver.url, secret }] });
    const targets = Array.from({ length: 40 }, (_, i) => `web-${i}`);
    const answers = await Promise.all(targets.map((t) => post(a, { Target: t })));
    expect(answers.map((r) => r.status)).toEqual(targets.map(() => 200));
    await receiver.waitFor(() => receiver.deliveredIds().size === 40, 20_000, '40 deliveries');
    expect(receiver.unverified).toHaveLength(0);
    const bodies = receiver.received.map((r) => r.json as { type: string; timestamp: string; data: Record<string, string | null> });
    expect(new Set(bodies.map((b) => b.data.Target))).toEqual(new Set(targets));
    for (const b of bodies) {
      expect(b.type).toBe('deployment.created');
      expect(Object.keys(b.data)).toEqual(['Id', 'Date', 'FeedName', 'GroupName', 'PackageName', 'Version', 'Target', 'Application', 'UserName', 'Description', 'Url', 'ReceivedAt']);
      expect(b.data).toMatchObject({ FeedName: SAMPLE.FeedName, PackageName: SAMPLE.PackageName, Version: SAMPLE.Version, UserName: 'ci' });
    }
    // Each record id matches a stored record.
    const stored = (await store.list({ limit: 100 })).records.map((r) => r.id).sort();
    expect(bodies.map((b) => b.data.Id).sort()).toEqual(stored);
    await eventually(async () => (await store.listWebhookDeliveries({ status: 'delivered', limit: 100 })).deliveries.length === 40, 'the deliveries marked delivered');
    const page = await store.listWebhookDeliveries({ status: 'delivered', limit: 100 });
    expect(page.deliveries).toHaveLength(40);
    expect(page.deliveries.every((d) => d.attempts === 1 && d.lastStatus === 204)).toBe(true);
    await router.close();
  });

  it('signs with every secret during a rotation; the ProGet body; the feed and event filters', async () => {
    const older = generateWebhookSecret();
    const oldReceiver = await startReceiver([older]);
    try {
      const { app: a } = app({
        targets: [
          { name: 'rotating', url: oldReceiver.url, secret: [secret, older] },
          { name: 'proget', url: receiver.url, secret, format: 'proget', feeds: ['defaultnuget'] },
          { name: 'removals-only', url: receiver.url, secret, events: ['deployment.removed'] },
        ],
      });
      expect((await post(a, { GroupName: 'acme' })).status).toBe(200);
      expect((await post(a, { FeedName: 'Other' })).status).toBe(200);
      await oldReceiver.waitFor(() => oldReceiver.deliveredIds().size === 2, 20_000, 'two deliveries to the rotating target');
      expect(oldReceiver.unverified).toHaveLength(0);
      expect(oldReceiver.received[0]!.signature.split(' ')).toHaveLength(2);
      await receiver.waitFor(() => receiver.deliveredIds().size === 1, 20_000, 'the ProGet-format delivery');
      expect(receiver.unverified).toHaveLength(0);
      expect(receiver.received[0]!.json).toEqual({ package: 'acme/Newtonsoft.Json', version: '12.0.3', event: 'deployed', user: 'ci', feed: 'DefaultNuGet' });
      // Nothing for the removals-only target, nothing for the other feed.
      expect((await store.listWebhookDeliveries({ target: 'removals-only' })).deliveries).toHaveLength(0);
      expect((await store.listWebhookDeliveries({ target: 'proget' })).deliveries).toHaveLength(1);
    } finally {
      await oldReceiver.close();
    }
  });

  it('retries 500s, a receiver that is down and one that is too slow, always with the same webhook-id', async () => {
    const { app: a } = app({ targets: [{ name: 'flaky', url: receiver.url, secret }], retrySchedule: [100, 100, 100, 100, 100], timeoutMs: 300 });
    // First: two 500s, then a too-slow answer, then OK.
    receiver.answer = (_r, n) => (n <= 2 ? { status: 500, body: 'boom' } : n === 3 ? { status: 204, delayMs: 1500 } : { status: 204 });
    expect((await post(a, { Target: 'one' })).status).toBe(200);
    await receiver.waitFor(() => receiver.deliveredIds().size === 1, 20_000, 'delivery after 500s and a timeout');
    expect(new Set(receiver.received.map((r) => r.webhookId)).size).toBe(1);
    expect(receiver.received.length).toBeGreaterThanOrEqual(4);
    expect(receiver.unverified).toHaveLength(0);
    await eventually(async () => (await store.listWebhookDeliveries({ status: 'delivered' })).deliveries.length === 1, 'the delivery marked delivered');
    const [d] = (await store.listWebhookDeliveries({ status: 'delivered' })).deliveries;
    expect(d!.attempts).toBeGreaterThanOrEqual(4);

    // Then: the receiver is down while records are committed; all arrive once it is back.
    await receiver.stop();
    for (const t of ['two', 'three', 'four']) expect((await post(a, { Target: t })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 400));
    expect((await store.listWebhookDeliveries({ status: 'pending' })).deliveries.some((x) => x.attempts >= 1 && /ECONNRESET|socket hang up/.test(x.lastError ?? ''))).toBe(true);
    await receiver.start();
    await receiver.waitFor(() => receiver.deliveredIds().size === 4, 20_000, 'all four delivered');
    const perRecord = new Map<string, Set<string>>();
    for (const r of receiver.received) {
      const recordId = (r.json as { data: { Id: string } }).data.Id;
      perRecord.set(recordId, (perRecord.get(recordId) ?? new Set()).add(r.webhookId));
    }
    expect([...perRecord.values()].every((ids) => ids.size === 1)).toBe(true);
    expect(perRecord.size).toBe(4);
  });

  it('honours Retry-After, marks a delivery failed after the last attempt, and redelivers it with the same id', async () => {
    const logger = memoryLogger();
    const { app: a } = app({ targets: [{ name: 't', url: receiver.url, secret }], retrySchedule: [50], maxRetryAfterMs: 60_000 }, logger);
    receiver.answer = () => ({ status: 503, headers: { 'Retry-After': '1' } });
    expect((await post(a)).status).toBe(200);
    await receiver.waitFor(() => receiver.received.length === 2, 20_000, 'two attempts');
    const gap = receiver.received[1]!.at - receiver.received[0]!.at;
    expect(gap).toBeGreaterThanOrEqual(950);
    let failed = (await store.listWebhookDeliveries({ status: 'failed' })).deliveries;
    for (let i = 0; failed.length === 0 && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 50));
      failed = (await store.listWebhookDeliveries({ status: 'failed' })).deliveries;
    }
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ status: 'failed', attempts: 2, lastStatus: 503 });

    // Read and replay through the admin routes.
    const list = await request(a).get('/api/package-deployment/webhooks/deliveries?status=failed').set('X-ApiKey', ADMIN_KEY);
    expect(list.status).toBe(200);
    expect(list.body.deliveries[0]).toMatchObject({ id: failed[0]!.id, status: 'failed', attempts: 2, lastStatus: 503 });
    expect((await request(a).get('/api/package-deployment/webhooks/deliveries').set('X-ApiKey', CI_KEY)).status).toBe(403);
    expect((await request(a).post(`/api/package-deployment/webhooks/deliveries/${failed[0]!.id}/redeliver`).set('X-ApiKey', CI_KEY)).status).toBe(403);
    expect((await request(a).post('/api/package-deployment/webhooks/deliveries/999999/redeliver').set('X-ApiKey', ADMIN_KEY)).status).toBe(404);
    expect((await request(a).get('/api/package-deployment/webhooks/deliveries?status=weird').set('X-ApiKey', ADMIN_KEY)).status).toBe(400);
    receiver.answer = () => ({ status: 200 });
    const replay = await request(a).post(`/api/package-deployment/webhooks/deliveries/${failed[0]!.id}/redeliver`).set('X-ApiKey', ADMIN_KEY);
    expect(replay.status).toBe(202);
    await receiver.waitFor(() => receiver.deliveredIds().size === 1, 20_000, 'the redelivery');
    expect(new Set(receiver.received.map((r) => r.webhookId)).size).toBe(1);
    await eventually(async () => (await store.listWebhookDeliveries({ status: 'delivered' })).deliveries.length === 1, 'the redelivery marked delivered');
    const one = await request(a).get(`/api/package-deployment/webhooks/deliveries/${failed[0]!.id}`).set('X-ApiKey', ADMIN_KEY);
    expect(one.body).toMatchObject({ status: 'delivered', lastStatus: 200, webhookId: failed[0]!.webhookId });
  });

  it('a 410 disables the target: its other deliveries fail unsent, until it is added again', async () => {
    const logger = memoryLogger();
    const { app: a } = app({ targets: [{ name: 'gone', url: receiver.url, secret }], retrySchedule: [50, 50] }, logger);
    receiver.answer = () => ({ status: 410 });
    expect((await post(a, { Target: 'a' })).status).toBe(200);
    await receiver.waitFor(() => receiver.received.length === 1, 20_000, 'the 410');
    let targets = await store.listWebhookTargets();
    for (let i = 0; !targets[0]!.disabledAt && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 50));
      targets = await store.listWebhookTargets();
    }
    expect(targets[0]!.disabledAt).toBeInstanceOf(Date);
    expect(logger.lines.some((l) => /410 Gone/.test(l))).toBe(true);
    expect((await post(a, { Target: 'b' })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1200)); // the store's target cache
    expect((await post(a, { Target: 'c' })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.received).toHaveLength(1);
    const all = (await store.listWebhookDeliveries()).deliveries;
    expect(all.every((d) => d.status === 'failed')).toBe(true);
  });

  it('records made by feed downloads are delivered too (the middleware\'s webhooks option)', async () => {
    const middleware = feedDeployments({ store, webhooks: { targets: [{ name: 'feeds', url: receiver.url, secret, feeds: ['Products'] }], allowPrivateTargets: true, pollIntervalMs: 50 } });
    routers.push(middleware);
    const a = feedApp(middleware);
    const { upack } = FIXTURES;
    for (const [feed, target] of [['Products', 'web-01'], ['Other', 'web-02'], ['Products', 'web-03']]) {
      const res = await request(a)
        .get(`/upack/${feed}/download/${upack.group}/${upack.name}/${upack.version}`)
        .set('X-ProGet-Deployment-Application', 'BuildMaster')
        .set('X-ProGet-Deployment-Description', '')
        .set('X-ProGet-Deployment-Target', target!);
      expect(res.status).toBe(200);
    }
    await middleware.flush();
    await receiver.waitFor(() => receiver.deliveredIds().size === 2, 20_000, 'two feed deliveries');
    expect(receiver.unverified).toHaveLength(0);
    expect(receiver.received.map((r) => (r.json as { data: { Target: string } }).data.Target).sort()).toEqual(['web-01', 'web-03']);
  });

  it('the History page shows whether a record\'s notifications were delivered', async () => {
    const { app: a } = app({ targets: [{ name: 'audit', url: receiver.url, secret }] });
    expect((await post(a)).status).toBe(200);
    await receiver.waitFor(() => receiver.deliveredIds().size === 1, 20_000, 'the delivery');
    await eventually(async () => (await store.listWebhookDeliveries({ status: 'delivered' })).deliveries.length === 1, 'the delivery marked delivered');
    const page = await request(a).get(`${DEFAULT_HISTORY_PATH}/${SAMPLE.FeedName}/${SAMPLE.PackageName}`).set('X-ApiKey', ADMIN_KEY);
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/class="notifications"[^>]*>Notifications: 1 delivered/);
  });

  it('never returns or logs a secret', async () => {
    const logger = memoryLogger();
    const { app: a } = app({ targets: [{ name: 'audit', url: `${receiver.url}?token=query-secret`, secret }] }, logger);
    receiver.answer = () => ({ status: 500, body: 'nope' });
    expect((await post(a)).status).toBe(200);
    await receiver.waitFor(() => receiver.received.length >= 1, 20_000, 'an attempt');
    const targets = await request(a).get('/api/package-deployment/webhooks/targets').set('X-ApiKey', ADMIN_KEY);
    const deliveries = await request(a).get('/api/package-deployment/webhooks/deliveries').set('X-ApiKey', ADMIN_KEY);
    const listed = JSON.stringify(await store.listWebhookTargets());
    for (const text of [targets.text, deliveries.text, listed, logger.lines.join('\n')]) {
      expect(text).not.toContain(secret.slice(6));
      expect(text).not.toContain('query-secret');
    }
    expect(targets.body.targets[0]).toMatchObject({ name: 'audit', secrets: 1, url: receiver.url });
    // A bad secret is refused without being echoed.
    expect(() => app({ targets: [{ name: 'x', url: receiver.url, secret: 'whsec_short-and-not-base64' }] })).toThrow(/secret must be "whsec_" followed by base64/);
    try {
      app({ targets: [{ name: 'x', url: receiver.url, secret: 'not-a-whsec-secret-value' }] });
    } catch (err) {
      expect((err as Error).message).not.toContain('not-a-whsec-secret-value');
    }
  });

  it('writes no delivery when the record is not committed (same transaction)', async () => {
    const { app: a } = app({ targets: [{ name: 'audit', url: receiver.url, secret }], deliver: false });
    expect((await post(a, { Version: '' })).status).toBe(400);
    // A batch that fails in the database stores neither records nor deliveries.
    await store.syncWebhookTargets([{ name: 'audit', url: receiver.url, secret }]);
    const bad = { ...(await store.list({})).records[0], application: 'x'.repeat(300) };
    const good = { application: 'A', description: '', target: 't', feedName: 'F', packageName: 'P', version: '1', userName: 'u', date: new Date(), receivedAt: new Date() };
    const outcome = await store.record([good, { ...good, ...bad, feedName: 'F' } as typeof good]).then(() => 'stored', () => 'rejected');
    const deliveries = (await store.listWebhookDeliveries()).deliveries.length;
    const records = (await store.list({})).records.length;
    if (outcome === 'rejected') {
      expect(records).toBe(0);
      expect(deliveries).toBe(0);
    } else {
      // SQLite does not enforce varchar widths: both stored, both with a delivery.
      expect(records).toBe(2);
      expect(deliveries).toBe(2);
    }
  });

  it('rolls its migration back down, and up again', async () => {
    await rollbackDeploymentStore(db.knex, { all: true });
    expect(await db.knex.schema.hasTable(WEBHOOK_DELIVERIES_TABLE)).toBe(false);
    expect(await db.knex.schema.hasTable(WEBHOOK_TARGETS_TABLE)).toBe(false);
    await migrateDeploymentStore(db.knex);
    expect(await db.knex.schema.hasTable(WEBHOOK_DELIVERIES_TABLE)).toBe(true);
  });
});

describe('the README receiver', () => {
  it('verifies deliveries as pasted, and refuses a forged one', async () => {
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    const from = readme.indexOf('<!-- webhook-receiver:start -->');
    const to = readme.indexOf('<!-- webhook-receiver:end -->');
    const code = readme.slice(from, to).replace(/^.*\n```js\n/, '').replace(/```\s*$/, '');
    const secret = generateWebhookSecret();
    const logged: string[] = [];
    const receiverApp = express();
    new Function('app', 'express', 'require', 'process', 'console', code)(
      receiverApp, express, require, { env: { AUDIT_WEBHOOK_SECRET: secret } }, { log: (...a: unknown[]) => logged.push(a.join(' ')) },
    );
    const server = receiverApp.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/deployments`;
    const store = createKnexStore({ filename: ':memory:' });
    const router = createDeploymentRouter({ store, apiKeys, webhooks: { targets: [{ name: 'audit', url, secret }], allowPrivateTargets: true, pollIntervalMs: 50 } });
    try {
      const a = express();
      a.use(router);
      expect((await request(a).post('/api/package-deployment').set('X-ApiKey', CI_KEY).send(SAMPLE)).status).toBe(200);
      await eventually(async () => (await store.listWebhookDeliveries({ status: 'delivered' })).deliveries.length === 1, 'the README receiver to accept the delivery');
      expect(logged).toEqual([`deployment.created ${SAMPLE.PackageName} ${SAMPLE.Version} ${SAMPLE.Target}`]);
      const forged = await fetch(url, { method: 'POST', headers: { 'webhook-id': 'msg_x', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': 'v1,AAAA' }, body: '{}' });
      expect(forged.status).toBe(400);
    } finally {
      await router.close();
      await store.close();
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('the embedded SQLite store (a file: its worker thread and prepared inserts)', () => {
  it('writes intents in the records\' transaction and delivers every record', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pd-webhooks-'));
    const secret = generateWebhookSecret();
    const receiver = await startReceiver([secret]);
    const store = createKnexStore({ filename: join(dir, 'deployments.sqlite') });
    const router = createDeploymentRouter({ store, apiKeys, webhooks: { targets: [{ name: 'audit', url: receiver.url, secret }], allowPrivateTargets: true, pollIntervalMs: 50 } });
    try {
      const a = express();
      a.use(router);
      const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => request(a).post('/api/package-deployment').set('X-ApiKey', CI_KEY).send({ ...SAMPLE, Target: `w-${i}` })));
      expect(answers.every((r) => r.status === 200)).toBe(true);
      await receiver.waitFor(() => receiver.deliveredIds().size === 30, 20_000, '30 deliveries');
      expect(receiver.unverified).toHaveLength(0);
      await eventually(async () => (await store.listWebhookDeliveries({ status: 'delivered', limit: 100 })).deliveries.length === 30, 'all marked delivered');
      const ids = (await store.list({ limit: 100 })).records.map((r) => r.id);
      const summary = await store.summarizeWebhookDeliveries(ids);
      expect(Object.values(summary).every((x) => x.delivered === 1 && x.pending === 0)).toBe(true);
    } finally {
      await router.close();
      await store.close();
      await receiver.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('safe targets', () => {
  const secret = generateWebhookSecret();
  const store = { record: async () => [], list: async () => ({ records: [] }) };

  it.each([
    'http://127.0.0.1/hook', 'http://10.1.2.3/hook', 'http://172.16.0.1/', 'http://192.168.1.1/', 'http://169.254.169.254/latest/meta-data',
    'http://[::1]/', 'http://[fe80::1]/', 'http://[fd00:ec2::254]/', 'http://[::ffff:127.0.0.1]/', 'http://100.64.0.1/', 'http://0.0.0.0/',
    'http://localhost/', 'http://metadata.google.internal/computeMetadata/v1/',
  ])('refuses %s unless allowPrivateTargets is set', (url) => {
    expect(() => createDeploymentRouter({ store: store as never, apiKeys, webhooks: { targets: [{ name: 'x', url, secret }] } })).toThrow(/allowPrivateTargets/);
  });

  it('refuses non-http schemes and URLs with credentials', () => {
    expect(() => createDeploymentRouter({ store: store as never, apiKeys, webhooks: { targets: [{ name: 'x', url: 'ftp://example.com/', secret }] } })).toThrow(/http or https/);
    expect(() => createDeploymentRouter({ store: store as never, apiKeys, webhooks: { targets: [{ name: 'x', url: 'https://u:p@example.com/', secret }] } })).toThrow(/user name or password/);
    expect(() => createDeploymentRouter({ store: store as never, apiKeys, webhooks: { targets: [{ name: 'x', url: 'https://example.com/', secret }] } })).toThrow(/store that keeps an outbox/);
  });

  it('checks the addresses a host name resolves to, when it is added and on every connection', async () => {
    const knexStore = createKnexStore({ filename: ':memory:' });
    const receiver = await startReceiver([secret]);
    try {
      // This machine's own host name resolves to a loopback or private address.
      const url = `http://${hostname()}:${receiver.port}/hooks`;
      await expect(knexStore.addWebhookTarget({ name: 'own', url, secret })).rejects.toThrow(/resolves to .*allowPrivateTargets/);
      const agents = { http: new http.Agent(), https: new https.Agent() };
      const outcome = await sendDelivery(
        { id: '1', webhookId: 'msg_1', target: 'own', url, secrets: [secret], format: 'standard', payload: '{}', attempts: 0, claim: 'c', targetDisabled: false, targetMissing: false },
        { timeoutMs: 2000, allowPrivateTargets: false, maxRetryAfterMs: 1000, agents, userAgent: 'test' },
      );
      expect(outcome.ok).toBe(false);
      expect(outcome.error).toMatch(/resolves to .* (loopback|private)/);
      expect(receiver.received).toHaveLength(0);
      // Allowed explicitly, it works.
      await expect(knexStore.addWebhookTarget({ name: 'own', url, secret }, { allowPrivateTargets: true })).resolves.toMatchObject({ name: 'own' });
      agents.http.destroy();
    } finally {
      await receiver.close();
      await knexStore.close();
    }
  });

  it('does not follow redirects, and bounds an attempt by timeoutMs', async () => {
    const receiver = await startReceiver([secret]);
    const elsewhere = await startReceiver([secret]);
    const agents = { http: new http.Agent(), https: new https.Agent() };
    const options = { timeoutMs: 300, allowPrivateTargets: true, maxRetryAfterMs: 1000, agents, userAgent: 'test' };
    const delivery = { id: '1', webhookId: 'msg_1', target: 't', url: receiver.url, secrets: [secret], format: 'standard' as const, payload: '{}', attempts: 0, claim: 'c', targetDisabled: false, targetMissing: false };
    try {
      receiver.answer = () => ({ status: 302, headers: { Location: elsewhere.url } });
      const redirected = await sendDelivery(delivery, options);
      expect(redirected).toMatchObject({ ok: false, status: 302 });
      expect(redirected.error).toMatch(/redirects are not followed/);
      expect(elsewhere.received).toHaveLength(0);
      receiver.answer = () => ({ status: 200, delayMs: 2000 });
      const started = Date.now();
      const slow = await sendDelivery(delivery, options);
      expect(slow.ok).toBe(false);
      expect(Date.now() - started).toBeLessThan(1500);
      expect(slow.error).toMatch(/within 300 ms/);
    } finally {
      agents.http.destroy();
      await receiver.close();
      await elsewhere.close();
    }
  });
});
