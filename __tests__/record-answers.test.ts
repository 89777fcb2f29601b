/**
 * What `store.record()` answers is what the store keeps, over every database and on the embedded SQLite
 * store (its worker): the records a write inserted are answered from their deployments (rows.ts,
 * `recordOf`, no dates parsed back), and must equal the records read back by id; the same uid twice in
 * one batch with different data answers the stored (first) record twice, on every write path; a retried
 * batch answers the stored records.
 */
import type { KnexDeploymentStore, NewDeployment } from '../lib';
import { fromRow, recordOf, toRow } from '../lib/store/rows';
import { openStore, storeKinds, type TestDatabase } from './helpers/databases';

let uids = 0;
const uid = () => `answers-${process.pid}-${++uids}`;

/** Deployments that differ in every optional part: group, scoped name, url, removal, a date apart from receivedAt. */
function variety(pkg: string): NewDeployment[] {
  const base = { application: 'ci', description: 'line one\nline two', feedName: 'feed', packageName: pkg, version: '1.0.0', userName: 'alice' };
  return [
    { ...base, target: 't1', date: new Date('2024-01-01T00:00:00.123Z'), receivedAt: new Date('2024-06-01T10:00:00.456Z'), uid: uid() },
    { ...base, target: 't2', groupName: '@scope', url: 'https://ci.example/build/7', date: new Date('2024-01-02T00:00:00Z'), receivedAt: new Date('2024-01-02T00:00:00Z'), uid: uid() },
    { ...base, target: 't3', removed: true, version: '0.9.0-beta.1', description: '', date: new Date('2023-12-31T23:59:59.999Z'), receivedAt: new Date('2024-06-01T10:00:00.456Z'), uid: uid() },
    { ...base, target: 't4', groupName: '', url: '', date: new Date('2024-03-01T00:00:00Z'), receivedAt: new Date('2024-03-01T00:00:00.001Z') },
  ];
}

describe('recordOf (a record from the deployment a write inserted)', () => {
  it('equals fromRow of the row toRow makes, whatever the deployment holds', () => {
    for (const d of variety('Unit')) {
      const row = { ...toRow(d, '~', 'unit'), id: 42 };
      expect(recordOf(d, row)).toEqual(fromRow(row));
    }
  });

  it('answers dates of its own, and formats each date in the row (the remembered last date included)', () => {
    const d = variety('Unit')[0]!;
    const record = recordOf(d, { ...toRow(d), id: 1 });
    expect(record.date).not.toBe(d.date);
    const same = new Date(d.date.getTime());
    const rows = [toRow({ ...d, receivedAt: same }), toRow({ ...d, date: new Date(0), receivedAt: same }), toRow({ ...d, receivedAt: new Date(1) })];
    expect(rows.map((r) => [r.deployed_at, r.received_at])).toEqual([
      ['2024-01-01T00:00:00.123Z', '2024-01-01T00:00:00.123Z'],
      ['1970-01-01T00:00:00.000Z', '2024-01-01T00:00:00.123Z'],
      ['2024-01-01T00:00:00.123Z', '1970-01-01T00:00:00.001Z'],
    ]);
    expect(() => toRow({ ...d, date: new Date(Number.NaN) })).toThrow(RangeError);
  });
});

describe.each(storeKinds())('what store.record() answers on %s', (kind) => {
  let db: TestDatabase;
  let store: KnexDeploymentStore;

  beforeAll(async () => {
    ({ db, store } = await openStore(kind));
  });
  afterAll(async () => {
    await store.close();
    await db.destroy();
  });

  it('answers every inserted record as it reads back by id', async () => {
    const out = await store.record(variety('Answers'));
    expect(out).toHaveLength(4);
    for (const record of out) expect(await store.getRecord!(record.id)).toEqual(record);
    expect(out[3]!.uid).toEqual(expect.any(String));
  });

  it('the same uid twice in one batch, with different data: stored once, the first, answered twice', async () => {
    const [first, other] = variety('Twice');
    const again = { ...first!, target: 'elsewhere', description: 'a different payload', receivedAt: new Date('2025-01-01T00:00:00Z') };
    const out = await store.record([first!, other!, again]);
    expect(out.map((r) => r.uid)).toEqual([first!.uid, other!.uid, first!.uid]);
    expect(out[2]).toEqual(out[0]);
    expect(out[0]).toMatchObject({ target: 't1', description: 'line one\nline two' });
    expect(await store.getRecord!(out[0]!.id)).toEqual(out[0]);
    const page = await store.list({ feedName: 'feed', packageName: 'Twice', limit: 10 });
    expect(page.records).toHaveLength(2);
  });

  it('a retried batch answers the stored records, each stored once', async () => {
    const batch = variety('Retried').map((d) => ({ ...d, uid: d.uid ?? uid() }));
    const first = await store.record(batch);
    const second = await store.record(batch);
    expect(second).toEqual(first);
    expect((await store.list({ feedName: 'feed', packageName: 'Retried', limit: 10 })).records).toHaveLength(4);
  });
});
