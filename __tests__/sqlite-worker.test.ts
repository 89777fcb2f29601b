/**
 * The embedded SQLite store runs in a worker thread: the main thread never loads better-sqlite3, a slow
 * range query does not stop its event loop, and the RPC proxy forwards every store method (streams a
 * batch at a time, with early return; ranges of custom schemes tested on this side).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKnexStore, parseVersionRange, validateDeployment, type KnexDeploymentStore, type NewDeployment, type VersionScheme } from '../lib';

const ROOT = join(__dirname, '..');
let dir: string;
let store: KnexDeploymentStore;

function deployment(i: number, overrides: Record<string, string> = {}): NewDeployment {
  const r = validateDeployment({ FeedName: 'npm', PackageName: 'pkg', Version: `1.0.${i}`, Application: 'a', Description: '', Target: `t-${i}`, ...overrides });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.deployment;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pd-worker-'));
  store = createKnexStore({ filename: join(dir, 'store.sqlite') });
  await store.record(Array.from({ length: 1500 }, (_, i) => deployment(i)));
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

it('never runs SQLite on the main thread, whose event loop keeps turning during a slow range query', () => {
  const out = execFileSync(process.execPath, ['-r', join(ROOT, '__tests__/helpers/ts-hook.js'), join(ROOT, '__tests__/helpers/worker-child.ts')], {
    env: { ...process.env, PD_TEST_FILE: join(dir, 'child.sqlite') },
    encoding: 'utf8',
    timeout: 60_000,
  });
  const result = JSON.parse(out.trim().split('\n').pop()!) as { counted: number; streamed: number; page: number; loaded: boolean; worst: number };
  expect(result).toMatchObject({ counted: 64, streamed: 20_000, page: 3, loaded: false });
  // 5 ms timer; the event loop is never stopped for long (generous: the test machine is shared).
  expect(result.worst).toBeLessThan(250);
});

it('stores a batch of any size with one prepared statement, ids in order', async () => {
  const stored = await store.record(Array.from({ length: 3 }, (_, i) => deployment(10_000 + i)));
  expect(stored.map((r) => Number(r.id))).toEqual([1501, 1502, 1503]);
  expect(new Date(stored[0]!.date).getTime()).toBeGreaterThan(0);
});

it('streams a batch at a time, and a consumer that stops early frees the worker for the next call', async () => {
  let n = 0;
  for await (const _ of store.stream({ feedName: 'npm' })) {
    if (++n === 7) break;
  }
  expect(n).toBe(7);
  expect(await store.count({ feedName: 'npm' })).toBe(1503);
  let all = 0;
  for await (const _ of store.stream({ feedName: 'npm' })) all++;
  expect(all).toBe(1503);
});

it('forwards ranges of the built-in schemes to the worker, and tests ranges of a custom scheme here', async () => {
  const builtIn = parseVersionRange('semver', '>=1.0.1000 <1.0.1010');
  expect(await store.count({ feedName: 'npm', packageName: 'pkg', versionRange: builtIn })).toBe(10);
  const evens: VersionScheme = {
    name: 'evens',
    isValid: () => true,
    compare: (a, b) => a.localeCompare(b),
    parseRange: (text) => (text === 'even' ? (v: string) => Number(v.split('.').pop()) % 2 === 0 : undefined),
  };
  const range = { scheme: 'evens', text: 'even', test: evens.parseRange('even')! };
  const page = await store.list({ feedName: 'npm', packageName: 'pkg', versionRange: range, limit: 5 });
  expect(page.records.map((r) => r.version)).toEqual(['1.0.10002', '1.0.10000', '1.0.1498', '1.0.1496', '1.0.1494']);
  const next = await store.list({ feedName: 'npm', packageName: 'pkg', versionRange: range, limit: 2, cursor: page.nextCursor });
  expect(next.records.map((r) => r.version)).toEqual(['1.0.1492', '1.0.1490']);
  expect(await store.count({ feedName: 'npm', packageName: 'pkg', versionRange: range })).toBe(752);
});

it('keeps errors as they were thrown in the worker (a bad cursor is a 400)', async () => {
  await expect(store.list({ cursor: 'nope' })).rejects.toMatchObject({ name: 'DeploymentError', status: 400, code: 'bad_query' });
});

it('has no knex instance on this thread, and says how to get one', () => {
  expect(() => store.knex).toThrow(/createKnexStore\(\{ knex \}\)/);
});

it('refuses unknown options and options of the wrong kind at construction, with a hint', () => {
  expect(() => createKnexStore({ filenam: 'x.sqlite' } as never)).toThrow(/createKnexStore: unknown option "filenam"\. Did you mean "filename"\?/);
  expect(() => createKnexStore({ timeouts: { statementMs: 0 } })).toThrow(/timeouts.statementMs must be a whole number/);
});
