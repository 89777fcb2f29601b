/**
 * The DeploymentStore conformance suite: what the library relies on from a store, as jest tests. The
 * knex store passes it on SQLite, PostgreSQL and MariaDB; run it on your own store:
 * `runDeploymentStoreSuite('my store', () => myStore)`. Each test writes to feeds of its own, so a store
 * shared between tests (or holding other data) is fine.
 */
import { randomBytes } from 'node:crypto';
import type { DeploymentRecord, DeploymentStore, NewDeployment } from '../types';
import { jestGlobals } from './jest-globals';

export interface StoreSuiteOptions {
  /** Milliseconds each test may take. Defaults to 30000. */
  timeout?: number;
  /** Close the store after the suite (`store.close()`). Defaults to `true`. */
  close?: boolean;
}

/** A valid deployment for tests; override any field. */
export function sampleDeployment(overrides: Partial<NewDeployment> = {}): NewDeployment {
  const at = new Date('2024-06-01T00:00:00.000Z');
  return {
    application: 'Conformance', description: 'kit', target: 'web-01', feedName: 'KitFeed', packageName: 'Kit.Package',
    version: '1.0.0', userName: 'kit', date: at, receivedAt: at, ...overrides,
  };
}

/** Registers the suite with jest. `makeStore` may return the store or a promise of it; it is `init()`ed first. */
export function runDeploymentStoreSuite(name: string, makeStore: () => DeploymentStore | Promise<DeploymentStore>, options: StoreSuiteOptions = {}): void {
  const { describe, it, beforeAll, afterAll, expect } = jestGlobals('runDeploymentStoreSuite');
  const timeout = options.timeout ?? 30_000;
  describe(`DeploymentStore conformance: ${name}`, () => {
    let store: DeploymentStore;
    const feed = (label: string) => `kit-${label}-${randomBytes(4).toString('hex')}`;
    const day = (n: number) => new Date(Date.UTC(2024, 0, n));
    const targets = (records: DeploymentRecord[]) => records.map((r) => r.target);

    beforeAll(async () => {
      store = await makeStore();
      await store.init?.();
    }, timeout);
    afterAll(async () => {
      if (options.close !== false) await store?.close?.();
    }, timeout);

    it('record() keeps at most one record per uid: writing a batch again stores nothing new and answers the stored records', async () => {
      const f = feed('uid');
      const uid = (n: number) => `kit-${f}-${n}`;
      const batch = [sampleDeployment({ feedName: f, target: 'a', uid: uid(1) }), sampleDeployment({ feedName: f, target: 'b', uid: uid(2) })];
      const first = await store.record(batch);
      const again = await store.record([batch[1]!, sampleDeployment({ feedName: f, target: 'c', uid: uid(3) }), batch[0]!]);
      expect(again.map((r) => r.target)).toEqual(['b', 'c', 'a']);
      expect([again[0]!.id, again[2]!.id]).toEqual([first[1]!.id, first[0]!.id]);
      expect((await store.list({ feedName: f })).records.map((r) => r.target).sort()).toEqual(['a', 'b', 'c']);
    }, timeout);

    it('record() returns the stored records in order, each with a string id, every field kept', async () => {
      const f = feed('fields');
      const input = [
        sampleDeployment({ feedName: f, target: 'a', groupName: '@acme', url: 'https://ci.example/builds/7', description: 'Déploiement 🚀 部署\nsecond line', date: day(2) }),
        sampleDeployment({ feedName: f, target: 'b', date: day(3) }),
      ];
      const stored = await store.record(input);
      expect(stored).toHaveLength(2);
      expect(typeof stored[0]!.id).toBe('string');
      expect(stored[0]!.id === stored[1]!.id).toBe(false);
      // A store may give a record without a `uid` one of its own.
      expect({ ...stored[0]!, id: undefined, uid: undefined }).toEqual({ ...input[0]!, id: undefined, uid: undefined });
      expect(stored[1]!.groupName).toBe(undefined);
      expect(stored[1]!.url).toBe(undefined);
      const page = await store.list({ feedName: f });
      expect(page.records.map((r) => ({ ...r }))).toEqual([stored[1], stored[0]].map((r) => ({ ...r })));
      expect(page.records[1]!.date.toISOString()).toBe(day(2).toISOString());
    }, timeout);

    it('list() is newest first (date, then id), pages with a cursor without gaps or repeats, and ends without one', async () => {
      const f = feed('paging');
      await store.record([1, 2, 2, 3, 4, 5].map((n, i) => sampleDeployment({ feedName: f, target: `t${i}`, date: day(n) })));
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.list({ feedName: f, limit: 4, cursor });
        seen.push(...targets(page.records));
        cursor = page.nextCursor;
        pages++;
      } while (cursor && pages < 10);
      expect(seen).toEqual(['t5', 't4', 't3', 't2', 't1', 't0']);
      expect(cursor).toBe(undefined);
    }, timeout);

    it('list() filters: group ("" = none), package, version, target, targetPrefix, application, user, since/until, feedNames', async () => {
      const f = feed('filters');
      const g = feed('filters-other');
      await store.record([
        sampleDeployment({ feedName: f, target: 'web-01', groupName: '@acme', packageName: 'widget', version: '1.0.0', application: 'Octopus', userName: 'bob', date: day(1) }),
        sampleDeployment({ feedName: f, target: 'WEB-02', packageName: 'widget', version: '2.0.0', application: 'Octopus', date: day(2) }),
        sampleDeployment({ feedName: f, target: 'db-01', packageName: 'other', application: 'BuildMaster', date: day(3) }),
        sampleDeployment({ feedName: g, target: 'g-01', date: day(4) }),
      ]);
      const t = async (q: Record<string, unknown>) => targets((await store.list({ feedName: f, ...q })).records);
      expect(await t({ groupName: '@acme' })).toEqual(['web-01']);
      expect(await t({ groupName: '' })).toEqual(['db-01', 'WEB-02']);
      expect(await t({ packageName: 'widget' })).toEqual(['WEB-02', 'web-01']);
      expect(await t({ packageName: 'WIDGET' })).toEqual([]);
      expect(await t({ version: '2.0.0' })).toEqual(['WEB-02']);
      expect(await t({ target: 'db-01' })).toEqual(['db-01']);
      expect(await t({ targetPrefix: 'web' })).toEqual(['web-01']);
      expect(await t({ application: 'Octopus' })).toEqual(['WEB-02', 'web-01']);
      expect(await t({ userName: 'bob' })).toEqual(['web-01']);
      expect(await t({ since: day(2), until: day(3) })).toEqual(['WEB-02']);
      expect(targets((await store.list({ feedNames: [f, g], packageName: 'Kit.Package' })).records)).toEqual(['g-01']);
    }, timeout);

    it('current: the latest record per target by date (then id), never the highest version', async () => {
      const f = feed('current');
      await store.record([
        sampleDeployment({ feedName: f, target: 'web-01', version: '2.0.0', date: day(1) }),
        sampleDeployment({ feedName: f, target: 'web-01', version: '1.5.0', date: day(2) }),
        sampleDeployment({ feedName: f, target: 'web-02', version: '1.0.0', date: day(3) }),
        sampleDeployment({ feedName: f, target: 'web-02', version: '1.1.0', date: day(3) }),
      ]);
      const query = { feedName: f, packageName: 'Kit.Package', current: true as const };
      const page = store.current ? await store.current(query) : await store.list(query);
      expect(page.records.map((r) => `${r.target} ${r.version}`).sort()).toEqual(['web-01 1.5.0', 'web-02 1.1.0']);
    }, timeout);

    it('stream() and count(), when the store has them, agree with list()', async () => {
      const f = feed('stream');
      await store.record(Array.from({ length: 7 }, (_, i) => sampleDeployment({ feedName: f, target: `s${i}`, date: day(i + 1) })));
      const listed = targets((await store.list({ feedName: f, limit: 100 })).records);
      if (store.stream) {
        const streamed: string[] = [];
        for await (const r of store.stream({ feedName: f })) streamed.push(r.target);
        expect(streamed).toEqual(listed);
      }
      if (store.count) expect(await store.count({ feedName: f })).toBe(listed.length);
    }, timeout);
  });
}
