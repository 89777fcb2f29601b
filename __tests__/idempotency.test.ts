/**
 * Idempotency-Key on POST /api/package-deployment/ (IETF httpapi draft semantics), and the opt-in
 * duplicate rule, over every database: same key + same payload replays the first answer and stores
 * nothing; another payload is 422; while the first is in flight, 409; keys are scoped to the caller;
 * a key expires.
 */
import express from 'express';
import request from 'supertest';
import { apiKeyAuth, createDeploymentRouter, createKnexStore, DEPLOYMENTS_TABLE, DEPLOYED_EVENT, type DeploymentStore, type KnexDeploymentStore } from '../lib';
import { createTestDatabase, databaseIds, type TestDatabase } from './helpers/databases';
import { SAMPLE, memoryLogger } from './helpers/fixtures';

const PATH = '/api/package-deployment/';
const KEYS = [{ name: 'ci', key: 'key-of-ci-0001' }, { name: 'other', key: 'key-of-other-01' }];

describe.each(databaseIds())('Idempotency-Key on %s', (id) => {
  let db: TestDatabase;
  let store: KnexDeploymentStore;

  beforeAll(async () => {
    db = await createTestDatabase(id);
    store = createKnexStore({ knex: db.knex });
  });
  afterAll(async () => {
    await store.close();
    await db.destroy();
  });

  function app(options: Partial<Parameters<typeof createDeploymentRouter>[0]> = {}, useStore: DeploymentStore = store) {
    const router = createDeploymentRouter({ store: useStore, auth: apiKeyAuth({ keys: KEYS }), logger: memoryLogger(), ...options });
    const deployed: string[] = [];
    router.events.on(DEPLOYED_EVENT, (r: { target: string }) => deployed.push(r.target));
    const a = express();
    a.use(router);
    return { a, deployed };
  }
  const count = async (target: string) => Number(((await db.knex(DEPLOYMENTS_TABLE).where({ target }).count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n);

  it('the same key and payload, retried: 200 each time, stored once, one deployed event', async () => {
    const { a, deployed } = app();
    const body = { ...SAMPLE, Target: 'idem-1' };
    for (let i = 0; i < 3; i++) {
      await request(a).post(PATH).set('X-ApiKey', KEYS[0]!.key).set('Idempotency-Key', '"8e03978e-40d5-43e8-bc93-6894a57f9324"').send(body).expect(200, '');
    }
    expect(await count('idem-1')).toBe(1);
    expect(deployed).toEqual(['idem-1']);
  });

  it('the same key as a form, or as a bare token: the same rules', async () => {
    const { a } = app();
    const form = 'FeedName=DefaultNuGet&Application=A&Description=&Target=idem-form&PackageName=P&Version=1.0.0';
    await request(a).post(PATH).set('X-ApiKey', KEYS[0]!.key).set('Idempotency-Key', 'form-key-1').type('form').send(form).expect(200);
    await request(a).post(PATH).set('X-ApiKey', KEYS[0]!.key).set('Idempotency-Key', 'form-key-1').type('form').send(form).expect(200);
    expect(await count('idem-form')).toBe(1);
  });

  it('the same key with another payload: 422, nothing stored', async () => {
    const { a } = app();
    await request(a).post(PATH).set('X-ApiKey', KEYS[0]!.key).set('Idempotency-Key', 'k-422').send({ ...SAMPLE, Target: 'idem-422' }).expect(200);
    const res = await request(a).post(PATH).set('X-ApiKey', KEYS[0]!.key).set('Idempotency-Key', 'k-422').send({ ...SAMPLE, Target: 'idem-422-other' });
    expect(res.status).toBe(422);
    expect(res.text).toMatch(/^Idempotency-Key: this key was used with a different payload/);
    expect(await count('idem-422-other')).toBe(0);
  });

  it('keys are scoped to the caller: another caller with the same key records its own', async () => {
    const { a } = app();
    await request(a).post(PATH).set('X-ApiKey', KEYS[0]!.key).set('Idempotency-Key', 'shared').send({ ...SAMPLE, Target: 'idem-scope' }).expect(200);
    await request(a).post(PATH).set('X-ApiKey', KEYS[1]!.key).set('Idempotency-Key', 'shared').send({ ...SAMPLE, Target: 'idem-scope' }).expect(200);
    expect(await count('idem-scope')).toBe(2);
  });

  it('while the first request is in flight: 409, and the first then answers 200', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    let entered!: () => void;
    const inside = new Promise<void>((r) => { entered = r; });
    const slow: DeploymentStore = {
      ...store,
      list: store.list,
      claimIdempotencyKey: store.claimIdempotencyKey,
      settleIdempotencyKey: store.settleIdempotencyKey,
      async record(ds) { entered(); await gate; return store.record(ds); },
    };
    const { a } = app({ batch: { maxSize: 1 } }, slow);
    const body = { ...SAMPLE, Target: 'idem-409' };
    const first = request(a).post(PATH).set('X-ApiKey', KEYS[0]!.key).set('Idempotency-Key', 'k-409').send(body).then((r) => r);
    await inside;
    const second = await request(a).post(PATH).set('X-ApiKey', KEYS[0]!.key).set('Idempotency-Key', 'k-409').send(body);
    expect(second.status).toBe(409);
    expect(second.text).toMatch(/still being processed/);
    release();
    expect((await first).status).toBe(200);
    expect(await count('idem-409')).toBe(1);
  });

  it('a first request that failed releases its key: the retry with it is stored, once', async () => {
    let fail = true;
    const flaky: DeploymentStore = {
      ...store,
      list: store.list,
      claimIdempotencyKey: store.claimIdempotencyKey,
      settleIdempotencyKey: store.settleIdempotencyKey,
      async record(ds) {
        if (fail) {
          fail = false;
          // The write reaches the database, then the connection breaks before the answer comes back.
          await store.record(ds);
          throw Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
        }
        return store.record(ds);
      },
    };
    const { a } = app({ batch: { maxSize: 1 } }, flaky);
    const body = { ...SAMPLE, Target: 'idem-retry' };
    const res = await request(a).post(PATH).set('X-ApiKey', KEYS[0]!.key).set('Idempotency-Key', 'k-retry').send(body);
    expect(res.status).toBe(503);
    // The 503 tells the truth: this write may have been stored.
    expect(res.text).toMatch(/may have been stored.*same Idempotency-Key/);
    await request(a).post(PATH).set('X-ApiKey', KEYS[0]!.key).set('Idempotency-Key', 'k-retry').send(body).expect(200);
    expect(await count('idem-retry')).toBe(1);
  });

  it('a key expires: after expiresAfterMs the same key records again', async () => {
    const { a } = app({ idempotency: { expiresAfterMs: 1000 } });
    await request(a).post(PATH).set('X-ApiKey', KEYS[0]!.key).set('Idempotency-Key', 'k-exp').send({ ...SAMPLE, Target: 'idem-exp', Date: '2024-01-01T00:00:00Z' }).expect(200);
    await new Promise((r) => setTimeout(r, 1100));
    // Another payload is fine now: the key was forgotten. (Its record uid derives from the key, so the
    // same payload would answer the stored record.)
    await request(a).post(PATH).set('X-ApiKey', KEYS[0]!.key).set('Idempotency-Key', 'k-exp').send({ ...SAMPLE, Target: 'idem-exp-2' }).expect(200);
    expect(await count('idem-exp-2')).toBe(1);
  });

  it('refuses a bad key: given twice, empty or too long (400, nothing stored)', async () => {
    const { a } = app();
    for (const key of ['a, b', '""', 'x'.repeat(300)]) {
      const res = await request(a).post(PATH).set('X-ApiKey', KEYS[0]!.key).set('Idempotency-Key', key).send({ ...SAMPLE, Target: 'idem-bad' });
      expect([res.status, res.text]).toEqual([400, expect.stringMatching(/^Idempotency-Key: /)]);
    }
    expect(await count('idem-bad')).toBe(0);
  });

  it('the duplicate rule (ignoreDuplicates): a record equal on feed, group, package, version, target and date is answered 200 and stored once', async () => {
    const { a, deployed } = app({ ignoreDuplicates: true });
    const body = { ...SAMPLE, Target: 'dup-1', Date: '2024-05-01T12:00:00Z' };
    await request(a).post(PATH).set('X-ApiKey', KEYS[0]!.key).send(body).expect(200);
    await request(a).post(PATH).set('X-ApiKey', KEYS[1]!.key).send({ ...body, Description: 'sent again by another tool' }).expect(200);
    await Promise.all(Array.from({ length: 5 }, () => request(a).post(PATH).set('X-ApiKey', KEYS[0]!.key).send(body).expect(200)));
    expect(await count('dup-1')).toBe(1);
    expect(deployed).toEqual(['dup-1']);
    // Another date, or a removal, is another record.
    await request(a).post(PATH).set('X-ApiKey', KEYS[0]!.key).send({ ...body, Date: '2024-05-02T12:00:00Z' }).expect(200);
    await request(a).post(PATH).set('X-ApiKey', KEYS[0]!.key).send({ ...body, Removed: true }).expect(200);
    expect(await count('dup-1')).toBe(3);
  });

  it('without the duplicate rule, equal records are each stored (ProGet behaviour)', async () => {
    const { a } = app();
    const body = { ...SAMPLE, Target: 'dup-off', Date: '2024-05-01T12:00:00Z' };
    await request(a).post(PATH).set('X-ApiKey', KEYS[0]!.key).send(body).expect(200);
    await request(a).post(PATH).set('X-ApiKey', KEYS[0]!.key).send(body).expect(200);
    expect(await count('dup-off')).toBe(2);
  });
});
