/**
 * The conformance kit tests something: run on a store with one deliberate fault each, the kit test that
 * covers that fault fails (and on the store without faults, none does). The kit's tests are collected
 * with stand-ins for jest's describe/it/beforeAll/afterAll and run here, with jest's own expect.
 */
import { createKnexStore, type DeploymentPage, type DeploymentQuery, type DeploymentStore, type NewDeployment } from '../lib';
import { runDeploymentStoreSuite } from '../lib/testing';
import { createTestDatabase, type TestDatabase } from './helpers/databases';

interface Collected {
  name: string;
  fn: () => unknown;
}

/** Registers the kit against `store` with stand-in globals and answers the names of the kit tests that failed. */
async function failingKitTests(store: DeploymentStore): Promise<{ failed: string[]; ran: number }> {
  const tests: Collected[] = [];
  const befores: Array<() => unknown> = [];
  const g = globalThis as unknown as Record<string, unknown>;
  const saved = { describe: g.describe, it: g.it, beforeAll: g.beforeAll, afterAll: g.afterAll };
  Object.assign(g, {
    describe: (_name: string, fn: () => void) => fn(),
    it: (name: string, fn: () => unknown) => tests.push({ name, fn }),
    beforeAll: (fn: () => unknown) => befores.push(fn),
    afterAll: () => undefined,
  });
  try {
    runDeploymentStoreSuite('a store with a fault', () => store, { close: false });
  } finally {
    Object.assign(g, saved);
  }
  for (const before of befores) await before();
  const failed: string[] = [];
  for (const t of tests) {
    try {
      await t.fn();
    } catch {
      failed.push(t.name);
    }
  }
  return { failed, ran: tests.length };
}

let db: TestDatabase;
let base: DeploymentStore;
beforeAll(async () => {
  db = await createTestDatabase('sqlite');
  base = createKnexStore({ knex: db.knex });
  await base.init?.();
});
afterAll(async () => {
  await base.close?.();
  await db.destroy();
});

/** The knex store with some methods replaced. */
const withFault = (overrides: Partial<DeploymentStore>): DeploymentStore => ({ ...base, ...overrides });
const reversed = (page: DeploymentPage): DeploymentPage => ({ ...page, records: [...page.records].reverse() });

describe('the store conformance kit catches a broken store', () => {
  it('passes the knex store itself: no kit test fails', async () => {
    const { failed, ran } = await failingKitTests(base);
    expect(ran).toBeGreaterThanOrEqual(6);
    expect(failed).toEqual([]);
  });

  it.each<[string, RegExp, () => DeploymentStore]>([
    ['ignores uid (a retried batch stored twice)', /keeps at most one record per uid/, () => withFault({
      record: (ds: readonly NewDeployment[]) => base.record(ds.map((d) => ({ ...d, uid: undefined }))),
    })],
    ['drops the url of each record', /every field kept/, () => withFault({
      record: async (ds: readonly NewDeployment[]) => (await base.record(ds)).map((r) => ({ ...r, url: undefined })),
    })],
    ['lists oldest first', /newest first/, () => withFault({
      list: async (q: DeploymentQuery) => reversed(await base.list(q)),
    })],
    ['ignores the target filter', /list\(\) filters/, () => withFault({
      list: (q: DeploymentQuery) => base.list({ ...q, target: undefined }),
    })],
    ['answers every record for "current"', /current: the latest record per target/, () => withFault({
      current: (q: DeploymentQuery) => base.list({ ...q, current: false }),
      list: (q: DeploymentQuery) => base.list({ ...q, current: false }),
    })],
    ['counts one too many', /stream\(\) and count\(\)/, () => withFault({
      count: async (q: DeploymentQuery) => (await base.count!(q)) + 1,
    })],
  ])('a store that %s fails the kit test about it', async (_fault, test, make) => {
    const { failed } = await failingKitTests(make());
    expect(failed.some((name) => test.test(name))).toBe(true);
  });
});
