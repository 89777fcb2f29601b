/**
 * Dates round-trip in UTC on every database, whatever the database session's time zone (PostgreSQL
 * `SET TIME ZONE`, MariaDB/MySQL `SET time_zone`) and whatever the process's TZ. Records are written in
 * one process and time zone, and read back in others.
 *
 * Process TZ: jest runs this file with TZ=America/New_York (jest.config.js); the other process time zones
 * are real child processes (a TZ set inside a jest sandbox does not reach the process). Server zone: the
 * servers' global setting is not changed (other test files share the servers); a session's time zone is
 * what the server applies to that connection's values, so it is set on every pooled connection instead.
 */
import type { Knex } from 'knex';
import { createKnexStore, DEPLOYMENTS_TABLE, validateDeployment, type KnexDeploymentStore } from '../lib';
import { createTestDatabase, databaseIds, type DatabaseId, type TestDatabase } from './helpers/databases';
import { CHILD_DB_ENV, spawnHelper } from './helpers/processes';
import { SAMPLE } from './helpers/fixtures';
import { knexInZone, sessionZone } from './helpers/zones';

/** Session time zones: named on PostgreSQL; offsets on MySQL (named zones need its tz tables loaded). */
const SESSION_ZONES: Record<DatabaseId, [writer?: string, reader?: string, child?: string]> = {
  sqlite: [],
  postgres: ['Pacific/Chatham', 'Pacific/Marquesas', 'Asia/Kathmandu'], // +13:45 (Jan), -09:30, +05:45
  mysql: ['+12:45', '-09:30', '+05:45'], // MariaDB accepts offsets from -12:59 to +13:00
};

/** Inputs and the UTC instants they must be stored as. */
const CASES: Array<[input: string, utc: string]> = [
  ['2024-03-10T07:30:00Z', '2024-03-10T07:30:00.000Z'], // inside New York's "spring forward" gap
  ['2024-11-03T01:30:00', '2024-11-03T01:30:00.000Z'], // no offset = UTC, even where this hour repeats locally
  ['2024-04-07T02:30:00+10:30', '2024-04-06T16:00:00.000Z'], // Lord Howe's half-hour daylight saving
  ['2000-02-29T23:59:59.999-03:30', '2000-03-01T03:29:59.999Z'],
  ['1999-12-31T23:59:59.999Z', '1999-12-31T23:59:59.999Z'],
  ['2038-01-19T03:14:08+00:00', '2038-01-19T03:14:08.000Z'], // past the 32-bit seconds limit
];
const UTC = CASES.map(([, utc]) => utc);
const NEWEST_FIRST = [...UTC].sort().reverse();
const WINDOW: [string, string] = ['2024-03-10T07:30:00.000Z', '2024-11-03T01:30:00.000Z'];
const IN_WINDOW = ['2024-04-06T16:00:00.000Z', '2024-03-10T07:30:00.000Z'];

function deployments(feed: string) {
  return CASES.map(([date], i) => {
    const result = validateDeployment({ ...SAMPLE, FeedName: feed, Target: `case-${i}`, Date: date }, { receivedAt: new Date('2024-06-01T12:00:00.000Z') });
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    return result.deployment;
  });
}

/** Runs tz-child.ts in process time zone `tz` and returns its report. */
async function inChild(db: TestDatabase, tz: string, zone: string | undefined, job: object) {
  const child = spawnHelper('tz-child.ts', {
    TZ: tz,
    [CHILD_DB_ENV]: JSON.stringify(db.connection),
    PD_TEST_SESSION_ZONE: zone ?? '',
    PD_TEST_TZ_JOB: JSON.stringify(job),
  });
  try {
    const report = await child.next<{ offset: number; sessionZone: string; dates: string[]; targets?: string[]; window?: string[] }>();
    expect(await child.exited()).toBe(0);
    return report;
  } finally {
    await child.stop();
  }
}

describe.each(databaseIds())('dates on %s', (id) => {
  let db: TestDatabase;
  let writer: Knex;
  let reader: Knex;
  let writeStore: KnexDeploymentStore;
  let readStore: KnexDeploymentStore;
  const [writerZone, readerZone, childZone] = SESSION_ZONES[id];

  beforeAll(async () => {
    db = await createTestDatabase(id);
    writer = knexInZone(db.connection, writerZone);
    reader = knexInZone(db.connection, readerZone);
    writeStore = createKnexStore({ knex: writer });
    readStore = createKnexStore({ knex: reader });
    await writeStore.init();
  });
  afterAll(async () => {
    await writer.destroy();
    await reader.destroy();
    await db.destroy();
  });

  if (id !== 'sqlite') {
    it('really runs with the session time zones under test', async () => {
      expect(await sessionZone(writer)).toBe(writerZone);
      expect(await sessionZone(reader)).toBe(readerZone);
    });
  }

  it('written through one session zone, read through another: the same UTC instants, in time order', async () => {
    expect(new Date('2024-01-15T00:00:00Z').getTimezoneOffset()).toBe(300); // America/New_York, from jest.config.js
    const stored = await writeStore.record(deployments('SessionZones'));
    expect(stored.map((r) => r.date.toISOString())).toEqual(UTC);

    const read = (await readStore.list({ feedName: 'SessionZones', limit: 100 })).records;
    expect(read.map((r) => r.date.toISOString())).toEqual(NEWEST_FIRST);
    expect(read.every((r) => r.receivedAt.toISOString() === '2024-06-01T12:00:00.000Z')).toBe(true);
    // The column holds the UTC text itself, not a value the server converts.
    const rows = (await reader(DEPLOYMENTS_TABLE).where('feed_name', 'SessionZones').select('target', 'deployed_at')) as Array<{ target: string; deployed_at: string }>;
    expect(new Map(rows.map((r) => [r.target, r.deployed_at]))).toEqual(new Map(UTC.map((utc, i) => [`case-${i}`, utc])));
    // Time windows compare instants, not local times.
    const window = await readStore.list({ feedName: 'SessionZones', since: new Date(WINDOW[0]), until: new Date(WINDOW[1]) });
    expect(window.records.map((r) => r.date.toISOString())).toEqual(IN_WINDOW);
  });

  it('written by a process in TZ=Pacific/Chatham, read by this one (New York) and by one in TZ=Australia/Lord_Howe', async () => {
    const written = await inChild(db, 'Pacific/Chatham', writerZone, { mode: 'write', feed: 'ProcessZones', dates: CASES.map(([input]) => input) });
    expect(written.offset).toBe(-825); // the child really ran at UTC+13:45
    expect(written.sessionZone).toBe(writerZone ?? '');
    expect(written.dates).toEqual(UTC);

    const here = (await readStore.list({ feedName: 'ProcessZones', limit: 100 })).records;
    expect(here.map((r) => r.date.toISOString())).toEqual(NEWEST_FIRST);

    const there = await inChild(db, 'Australia/Lord_Howe', childZone, { mode: 'read', feed: 'ProcessZones', window: WINDOW });
    expect(there.offset).toBe(-660); // UTC+11:00 (daylight saving in January)
    expect(there.sessionZone).toBe(childZone ?? '');
    expect(there.dates).toEqual(NEWEST_FIRST);
    expect(there.window).toEqual(IN_WINDOW);
  });

  it('a record without Date is stamped with the time it was received, in UTC', async () => {
    const before = Date.now();
    const result = validateDeployment({ ...SAMPLE, FeedName: 'NoDate' });
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    await writeStore.record([result.deployment]);
    const [read] = (await readStore.list({ feedName: 'NoDate' })).records;
    expect(read!.date.getTime()).toBeGreaterThanOrEqual(before);
    expect(read!.date.getTime()).toBeLessThanOrEqual(Date.now());
    expect(read!.date.getTime()).toBe(read!.receivedAt.getTime());
  });
});
