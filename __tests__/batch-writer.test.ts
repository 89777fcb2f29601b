/** The batch writer's awaited path (the router's): concurrent records share one transaction, each answered only after that commit. */
import express from 'express';
import type { Knex } from 'knex';
import {
  createDeploymentRouter,
  createKnexStore,
  feedDeployments,
  validateDeployment,
  BATCH_DEFAULTS,
  DEPLOYMENTS_TABLE,
  type DeploymentRecord,
  type DeploymentStore,
  type KnexDeploymentStore,
  type NewDeployment,
} from '../lib';
import { CURRENT_TABLE } from '../lib/store/tables';
import { isMysql } from '../lib/knex/dialect';
import { isUnavailable } from '../lib/http/errors';
import { createBatchWriter, resolveBatchOptions } from '../lib/write/batch-writer';
import type { BatchOptions } from '../lib';
import { databaseIds, withStoreOn, type TestDatabase } from './helpers/databases';
import { memoryLogger, SAMPLE } from './helpers/fixtures';
import { listen } from './helpers/http';

function deployment(target: string, overrides: Record<string, string> = {}): NewDeployment {
  const result = validateDeployment({ ...SAMPLE, Target: target, ...overrides });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.deployment;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}
function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

/** A store whose every record() call waits until the test settles it. */
function manualStore() {
  const calls: Array<{ batch: readonly NewDeployment[]; done: Deferred<DeploymentRecord[]> }> = [];
  let nextId = 1;
  const store: DeploymentStore = {
    record(batch) {
      const done = deferred<DeploymentRecord[]>();
      calls.push({ batch, done });
      return done.promise;
    },
    async list() {
      return { records: [] };
    },
  };
  const commit = (i: number) => calls[i]!.done.resolve(calls[i]!.batch.map((d) => ({ ...d, id: String(nextId++) })));
  return { store, calls, commit };
}

/** Settles every promise callback queued so far (no timers involved). */
const flush = () => new Promise<void>((r) => setImmediate(r));

function track<T>(promise: Promise<T>) {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  promise.then((v) => { state.settled = true; state.value = v; }, (e) => { state.settled = true; state.error = e; });
  return state;
}

/** A writer used the router's way (awaited). */
function createGroupCommit(store: DeploymentStore, options?: BatchOptions) {
  const writer = createBatchWriter<never>(store, resolveBatchOptions('test', options), { committed: () => undefined, lost: () => undefined });
  return { record: (d: NewDeployment) => writer.write(d), get waiting() { return writer.stats().queued; }, drain: () => writer.flush() };
}

describe('the batch writer, awaited (with a store the test controls)', () => {
  it('when idle, writes in the same turn of the event loop: no timer', async () => {
    const { store, calls } = manualStore();
    const commits = createGroupCommit(store);
    void commits.record(deployment('a'));
    void commits.record(deployment('b'));
    expect(calls).toHaveLength(0); // not synchronously: the other requests of this turn may still join
    await flush(); // one setImmediate later (the check phase of this very turn), no timer:
    // both records of this turn went out together.
    expect(calls.map((c) => c.batch.map((d) => d.target))).toEqual([['a', 'b']]);
  });

  it('coalesces records that arrive during a write into ONE store.record call, answered only after it commits', async () => {
    const { store, calls, commit } = manualStore();
    const commits = createGroupCommit(store);
    const a = track(commits.record(deployment('a')));
    await flush(); // a's write is in flight
    const rest = ['b', 'c', 'd'].map((t) => track(commits.record(deployment(t))));
    await flush();
    expect(calls).toHaveLength(1);
    expect(commits.waiting).toBe(4); // a (being written) and the three waiting

    commit(0);
    await flush();
    expect(a.settled).toBe(true);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.batch.map((d) => d.target)).toEqual(['b', 'c', 'd']);
    // Their batch is written but not committed: nobody is answered yet.
    expect(rest.map((r) => r.settled)).toEqual([false, false, false]);

    commit(1);
    await flush();
    expect(rest.map((r) => (r.value as DeploymentRecord).target)).toEqual(['b', 'c', 'd']);
    expect(new Set(rest.map((r) => (r.value as DeploymentRecord).id)).size).toBe(3);
    await commits.drain();
  });

  it('bounds a batch by maxSize', async () => {
    const { store, calls, commit } = manualStore();
    const commits = createGroupCommit(store, { maxSize: 2 });
    const all = ['1', '2', '3', '4', '5'].map((t) => commits.record(deployment(t)));
    for (let i = 0; i < 3; i++) {
      await flush();
      commit(i);
    }
    await Promise.all(all);
    expect(calls.map((c) => c.batch.map((d) => d.target))).toEqual([['1', '2'], ['3', '4'], ['5']]);
  });

  it('a bad record fails only its own caller: a failed batch is retried record by record', async () => {
    const written: string[] = [];
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const store: DeploymentStore = {
      async record(batch) {
        calls++;
        if (calls === 1) await gate;
        if (batch.some((d) => d.target === 'bad')) throw new Error('value too long for type character varying(200)');
        written.push(...batch.map((d) => d.target));
        return batch.map((d, i) => ({ ...d, id: `${calls}-${i}` }));
      },
      async list() {
        return { records: [] };
      },
    };
    const commits = createGroupCommit(store);
    const first = commits.record(deployment('first'));
    await flush(); // first's write is in flight
    const results = await (async () => {
      const batch = ['ok-1', 'bad', 'ok-2'].map((t) => commits.record(deployment(t)).then(() => 'stored', (e: Error) => e.message));
      release();
      await first;
      return Promise.all(batch);
    })();
    expect(results).toEqual(['stored', 'value too long for type character varying(200)', 'stored']);
    expect(written).toEqual(['first', 'ok-1', 'ok-2']);
  });

  it('when the store is unreachable, the whole batch fails at once (no record-by-record retry)', async () => {
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const store: DeploymentStore = {
      async record() {
        calls++;
        if (calls === 1) await gate;
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
      },
      async list() {
        return { records: [] };
      },
    };
    const commits = createGroupCommit(store);
    const settle = (t: string) => commits.record(deployment(t)).then(() => 'stored', (e: { code: string }) => e.code);
    const first = settle('a');
    await flush(); // a's write is in flight
    const all = [first, ...['b', 'c', 'd'].map(settle)];
    release();
    expect(await Promise.all(all)).toEqual(['ECONNREFUSED', 'ECONNREFUSED', 'ECONNREFUSED', 'ECONNREFUSED']);
    expect(calls).toBe(2);
  });

  it('a store that throws synchronously rejects its callers, and the next record is written', async () => {
    let fail = true;
    const store: DeploymentStore = {
      record(batch) {
        if (fail) throw new Error('boom');
        return Promise.resolve(batch.map((d) => ({ ...d, id: '1' })));
      },
      async list() {
        return { records: [] };
      },
    };
    const commits = createGroupCommit(store);
    await expect(commits.record(deployment('a'))).rejects.toThrow('boom');
    fail = false;
    await expect(commits.record(deployment('b'))).resolves.toMatchObject({ target: 'b' });
  });

  it('checks its options at construction, saying how to fix them', () => {
    const { store } = manualStore();
    expect(BATCH_DEFAULTS).toEqual({ maxSize: 500, maxWaitMs: 25, maxPending: 10000, retries: 3, retryDelayMs: 200 });
    for (const maxSize of [0, 10001, 1.5, Number.NaN]) {
      expect(() => createGroupCommit(store, { maxSize })).toThrow(/batch.maxSize must be a whole number from 1 to 10000/);
    }
    expect(() => createGroupCommit(store, { maxSzie: 5 } as never)).toThrow(/Did you mean "maxSize"/);
    expect(() => createDeploymentRouter({ store, apiKeys: [], batch: { maxSize: -1 } })).toThrow(/createDeploymentRouter: batch.maxSize/);
    expect(() => createDeploymentRouter({ store, apiKeys: [], batch: 5 as never })).toThrow(/batch must be an object/);
  });

  it('the removed groupCommit and queue options throw, saying to use batch', () => {
    const { store } = manualStore();
    expect(() => createDeploymentRouter({ store, apiKeys: [], groupCommit: { maxBatch: 5 } } as never)).toThrow(/groupCommit option was removed; use batch: \{ maxSize \}/);
    expect(() => feedDeployments({ store, queue: { batchSize: 5 } } as never)).toThrow(/queue option was removed; use batch/);
  });

  it('answers a record beyond maxPending at once with a 503-class error, and keeps working', async () => {
    const { store, commit } = manualStore();
    const commits = createGroupCommit(store, { maxPending: 2 });
    const a = commits.record(deployment('a'));
    const b = commits.record(deployment('b'));
    await expect(commits.record(deployment('c'))).rejects.toMatchObject({ code: 'PD_WRITER_FULL' });
    expect(isUnavailable(Object.assign(new Error('x'), { code: 'PD_WRITER_FULL' }))).toBe(true);
    await flush();
    commit(0);
    await expect(Promise.all([a, b])).resolves.toHaveLength(2);
  });
});

describe('the batch writer, queued (the feed middleware\'s way): maxWaitMs', () => {
  function queued(store: DeploymentStore, options?: BatchOptions) {
    const committed: string[] = [];
    const writer = createBatchWriter<string>(store, resolveBatchOptions('test', options), { committed: (r) => committed.push(r.target), lost: () => undefined });
    return { writer, committed };
  }
  const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

  it('a queued record waits up to maxWaitMs for others, so they share one transaction', async () => {
    const { store, calls, commit } = manualStore();
    const { writer, committed } = queued(store, { maxWaitMs: 40 });
    writer.enqueue(deployment('a'), 'a');
    await flush();
    await sleep(10);
    expect(calls).toHaveLength(0); // still gathering
    writer.enqueue(deployment('b'), 'b');
    await sleep(60);
    expect(calls.map((c) => c.batch.map((d) => d.target))).toEqual([['a', 'b']]);
    commit(0);
    await writer.flush();
    expect(committed).toEqual(['a', 'b']);
  });

  it('a record someone awaits ends the wait at once, and takes the queued ones with it', async () => {
    const { store, calls, commit } = manualStore();
    const { writer } = queued(store, { maxWaitMs: 1000 });
    writer.enqueue(deployment('q'), 'q');
    await flush();
    const awaited = track(writer.write(deployment('w')));
    await flush();
    await flush();
    expect(calls.map((c) => c.batch.map((d) => d.target))).toEqual([['q', 'w']]);
    commit(0);
    await flush();
    expect(awaited.settled).toBe(true);
    await writer.flush();
  });

  it('a full batch (maxSize) and flush() do not wait', async () => {
    const { store, calls, commit } = manualStore();
    const { writer } = queued(store, { maxWaitMs: 1000, maxSize: 3 });
    for (const t of ['1', '2', '3']) writer.enqueue(deployment(t), t);
    await flush();
    await flush();
    expect(calls.map((c) => c.batch.length)).toEqual([3]);
    commit(0);
    writer.enqueue(deployment('4'), '4');
    const started = Date.now();
    const flushed = writer.flush();
    await flush();
    await flush();
    expect(calls.map((c) => c.batch.length)).toEqual([3, 1]);
    commit(1);
    await flushed;
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('under a steady stream, each batch gathers too: records that came in during a write wait for others', async () => {
    const { store, calls, commit } = manualStore();
    const { writer, committed } = queued(store, { maxWaitMs: 60 });
    writer.enqueue(deployment('a'), 'a');
    await sleep(90);
    expect(calls.map((c) => c.batch.map((d) => d.target))).toEqual([['a']]);
    writer.enqueue(deployment('b'), 'b'); // arrives during the write of [a]
    commit(0);
    await flush();
    await flush();
    expect(calls).toHaveLength(1); // b is young: it waits for others instead of making a batch of its own
    writer.enqueue(deployment('c'), 'c');
    await sleep(90);
    expect(calls.map((c) => c.batch.map((d) => d.target))).toEqual([['a'], ['b', 'c']]);
    commit(1);
    await writer.flush();
    expect(committed).toEqual(['a', 'b', 'c']);
  });

  it('a record that waited maxWaitMs during a write is written as soon as the write ends', async () => {
    const { store, calls, commit } = manualStore();
    const { writer } = queued(store, { maxWaitMs: 40 });
    writer.enqueue(deployment('a'), 'a');
    await sleep(70);
    writer.enqueue(deployment('b'), 'b');
    await sleep(70); // b has waited longer than maxWaitMs behind the write of [a]
    commit(0);
    await flush();
    await flush();
    await flush();
    expect(calls.map((c) => c.batch.map((d) => d.target))).toEqual([['a'], ['b']]);
    commit(1);
    await writer.flush();
  });

  it('maxWaitMs: 0 writes in the same turn, as the awaited path does', async () => {
    const { store, calls, commit } = manualStore();
    const { writer } = queued(store, { maxWaitMs: 0 });
    writer.enqueue(deployment('a'), 'a');
    await flush();
    expect(calls).toHaveLength(1);
    commit(0);
    await writer.flush();
  });

  it('refuses a maxWaitMs out of range, saying the range', () => {
    const { store } = manualStore();
    expect(() => queued(store, { maxWaitMs: 1001 })).toThrow(/batch.maxWaitMs must be a whole number from 0 to 1000/);
    expect(() => queued(store, { maxWaitMs: -1 })).toThrow(/batch.maxWaitMs/);
  });
});

/**
 * Counts the INSERT statements (records, current-record upserts), transactions, and PostgreSQL's
 * one-statement writes (records and current rows in one `with ... insert` statement) knex sends.
 */
function countStatements(knex: Knex) {
  const seen = { inserts: 0, currentUpserts: 0, begins: 0, oneStatements: 0 };
  const listener = (q: { sql?: string }) => {
    const sql = (q.sql ?? '').trim().toLowerCase();
    if (sql.startsWith('with ins as (insert')) seen.oneStatements++;
    if (sql.startsWith('insert')) {
      if (sql.includes(CURRENT_TABLE)) seen.currentUpserts++;
      else seen.inserts++;
    }
    if (/^(begin|start transaction)/.test(sql)) seen.begins++;
  };
  knex.on('query', listener);
  return { seen, stop: () => knex.removeListener('query', listener) };
}

/** MySQL/MariaDB with innodb_autoinc_lock_mode = 2: multi-row INSERT ids are not consecutive. */
async function interleavedIds(knex: Knex): Promise<boolean> {
  if (!isMysql(knex)) return false;
  const [rows] = (await knex.raw('SELECT @@innodb_autoinc_lock_mode AS mode')) as [Array<{ mode: number | string }>];
  return Number(rows[0]?.mode) === 2;
}

describe.each(databaseIds())('batch writer on %s', (id) => {
  let db: TestDatabase;
  let store: KnexDeploymentStore;

  withStoreOn(id, (d, s) => {
    db = d;
    store = s;
  });

  const rowsWithTarget = async (prefix: string) =>
    (await db.knex(DEPLOYMENTS_TABLE).select('id', 'target').whereRaw('substr(??, 1, ?) = ?', ['target', prefix.length, prefix]).orderBy('id')) as Array<{ id: number | string; target: string }>;

  it('writes the records that waited in one multi-row INSERT (one atomic statement), with the right ids', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    let first = true;
    const gated: DeploymentStore = {
      async record(batch) {
        if (first) {
          first = false;
          await gate;
        }
        return store.record(batch);
      },
      list: (q) => store.list(q),
    };
    const commits = createGroupCommit(gated);
    const head = commits.record(deployment('gc-head'));
    await flush(); // the head's write is in flight (held at the gate)
    const waiting = Array.from({ length: 19 }, (_, i) => commits.record(deployment(`gc-${String(i).padStart(2, '0')}`)));
    await flush();
    expect(commits.waiting).toBe(20);
    const counter = countStatements(db.knex);
    release();
    const stored = await Promise.all([head, ...waiting]);
    await commits.drain();
    counter.stop();
    // One INSERT for the first record, one multi-row INSERT for the 19 that waited (row by row under
    // MySQL's interleaved id mode), each in a transaction with one multi-row upsert of the targets'
    // current records (lib/store/current-records.ts). PostgreSQL: one statement each, both at once
    // (lib/store/pg-one-statement.ts).
    const expected = id === 'postgres'
      ? { inserts: 0, currentUpserts: 0, begins: 0, oneStatements: 2 }
      : { inserts: (await interleavedIds(db.knex)) ? 20 : 2, currentUpserts: 2, begins: 2, oneStatements: 0 };
    expect(counter.seen).toEqual(expected);
    const rows = await rowsWithTarget('gc-');
    expect(rows).toHaveLength(20);
    const byTarget = new Map(rows.map((r) => [r.target, String(r.id)]));
    for (const record of stored) expect(record.id).toBe(byTarget.get(record.target));
  });

  it('a record the database refuses fails alone; the rest of its batch is stored', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    let first = true;
    const gated: DeploymentStore = {
      async record(batch) {
        if (first) {
          first = false;
          await gate;
        }
        return store.record(batch);
      },
      list: (q) => store.list(q),
    };
    const commits = createGroupCommit(gated);
    const head = commits.record(deployment('bad-batch-head'));
    await flush(); // the head's write is in flight (held at the gate)
    const targets = Array.from({ length: 10 }, (_, i) => `bad-batch-${i}`);
    const outcomes = targets.map((t, i) => {
      // NOT NULL is enforced by every database (the validator would never let this through).
      const d = i === 4 ? { ...deployment(t), application: null as unknown as string } : deployment(t);
      return commits.record(d).then(() => 'stored', () => 'failed');
    });
    release();
    await head;
    expect(await Promise.all(outcomes)).toEqual(targets.map((_, i) => (i === 4 ? 'failed' : 'stored')));
    const rows = await rowsWithTarget('bad-batch-');
    expect(rows.map((r) => r.target).sort()).toEqual(['bad-batch-head', ...targets.filter((_, i) => i !== 4)].sort());
  });

  it('store.record() takes any batch size: 1,234 records in one call, all stored with their own ids', async () => {
    const batch = Array.from({ length: 1234 }, (_, i) => deployment(`big-${String(i).padStart(4, '0')}`));
    const stored = await store.record(batch);
    expect(stored).toHaveLength(1234);
    const rows = await rowsWithTarget('big-');
    expect(rows).toHaveLength(1234);
    const byTarget = new Map(rows.map((r) => [r.target, String(r.id)]));
    for (const record of stored) expect(record.id).toBe(byTarget.get(record.target));
  });

  it('through the router: every 200 is already visible to another connection, each record stored once', async () => {
    const logger = memoryLogger();
    const app = express();
    app.use(createDeploymentRouter({ store, apiKeys: [{ name: 'ci', key: 'group-commit-key' }], logger }));
    const server = await listen(app);
    const other = createKnexStore({ knex: db.knex, migrate: false });
    try {
      const n = 60;
      const results = await Promise.all(
        Array.from({ length: n }, async (_, i) => {
          const target = `http-${String(i).padStart(3, '0')}`;
          const res = await fetch(`${server.url}/api/package-deployment/`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', 'X-ApiKey': 'group-commit-key' },
            body: JSON.stringify({ ...SAMPLE, Target: target }),
          });
          await res.arrayBuffer();
          // Read at once, through a query of its own: the record must be committed already.
          const visible = (await other.list({ target })).records.length;
          return { status: res.status, visible };
        }),
      );
      expect(results.every((r) => r.status === 200 && r.visible === 1)).toBe(true);
      expect(await rowsWithTarget('http-')).toHaveLength(n);
      expect(logger.lines).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
