/**
 * Group commit: concurrent record calls share one transaction.
 *
 * When the store is idle, a write starts in the same turn of the event loop (`setImmediate`, no timer):
 * the records of every request already read in this turn go together, and an idle server adds no wait.
 * While that write is in flight, new records wait; when it finishes, everything that waited (up to
 * `maxBatch`) is written together through ONE `store.record(batch)` call: one multi-row INSERT (one atomic
 * statement) on the knex store. Each caller is resolved only after the commit that holds its record.
 * Yielding one turn matters for synchronous drivers (better-sqlite3): a write blocks the event loop, so
 * records can only gather between writes, never during one.
 *
 * If a batch fails, the cause may be one bad record, so each of its records is written again on its own:
 * a bad record fails only its own caller. When the store is unreachable (see `isUnavailable`) that retry
 * would fail the same way, so the whole batch is rejected at once instead.
 */
import { isUnavailable } from '../http/errors';
import { checkOptionKeys } from '../options';
import type { DeploymentRecord, DeploymentStore, GroupCommitOptions, NewDeployment } from '../types';

export const DEFAULT_MAX_BATCH = 100;
/** The largest `maxBatch` accepted: 11 bound values a row stays under every database's parameter limit. */
export const MAX_MAX_BATCH = 1000;

interface Pending {
  deployment: NewDeployment;
  resolve(record: DeploymentRecord): void;
  reject(err: unknown): void;
}

export interface GroupCommit {
  /** Records one deployment; resolves with the stored record once its batch is committed. */
  record(deployment: NewDeployment): Promise<DeploymentRecord>;
  /** Records waiting for the write in flight to finish (for tests and monitoring). */
  readonly waiting: number;
  /** Resolves when nothing is waiting or being written. */
  drain(): Promise<void>;
}

/** Checks `groupCommit` options once, at construction; returns the resolved `maxBatch`. */
export function resolveMaxBatch(what: string, options: GroupCommitOptions | undefined): number {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new TypeError(`${what}: groupCommit must be an object such as { maxBatch: ${DEFAULT_MAX_BATCH} }, or false to turn group commit off.`);
  }
  if (options) checkOptionKeys(`${what}: groupCommit`, options, ['maxBatch']);
  const maxBatch = options?.maxBatch ?? DEFAULT_MAX_BATCH;
  if (!Number.isInteger(maxBatch) || maxBatch < 1 || maxBatch > MAX_MAX_BATCH) {
    throw new TypeError(`${what}: groupCommit.maxBatch must be a whole number from 1 to ${MAX_MAX_BATCH} (got ${String(maxBatch)}). Use 1 to write each record in its own transaction.`);
  }
  return maxBatch;
}

/**
 * Wraps a store's `record()` so that concurrent calls are coalesced.
 *
 * @example
 * const commits = createGroupCommit(store, { maxBatch: 100 });
 * const stored = await commits.record(deployment); // committed when this resolves
 */
export function createGroupCommit(store: DeploymentStore, options: GroupCommitOptions = {}): GroupCommit {
  const maxBatch = resolveMaxBatch('createGroupCommit', options);
  const queue: Pending[] = [];
  let writing = false;
  let idle: Array<() => void> = [];

  async function writeAlone(item: Pending): Promise<void> {
    try {
      const [stored] = await store.record([item.deployment]);
      if (!stored) throw new Error('The store returned no record for a deployment it was given.');
      item.resolve(stored);
    } catch (err) {
      item.reject(err);
    }
  }

  async function writeBatch(batch: Pending[]): Promise<void> {
    if (batch.length === 1) return writeAlone(batch[0]!);
    let stored: DeploymentRecord[];
    try {
      stored = await store.record(batch.map((p) => p.deployment));
    } catch (err) {
      if (isUnavailable(err)) {
        for (const item of batch) item.reject(err);
        return;
      }
      // The transaction rolled back: nothing of this batch is stored. Find the bad record(s) by writing
      // each one alone, in order.
      for (const item of batch) await writeAlone(item);
      return;
    }
    if (stored.length !== batch.length) {
      const err = new Error(`The store returned ${stored.length} records for a batch of ${batch.length}.`);
      for (const item of batch) item.reject(err);
      return;
    }
    batch.forEach((item, i) => item.resolve(stored[i]!));
  }

  async function run(): Promise<void> {
    try {
      while (queue.length > 0) await writeBatch(queue.splice(0, maxBatch));
    } finally {
      writing = false;
      const waiters = idle;
      idle = [];
      for (const done of waiters) done();
    }
  }

  return {
    record(deployment) {
      return new Promise<DeploymentRecord>((resolve, reject) => {
        queue.push({ deployment, resolve, reject });
        // Idle: write in this turn of the event loop, after the other requests already read in it.
        // Busy: the loop in flight picks this record up when its write finishes.
        if (!writing) {
          writing = true;
          setImmediate(run);
        }
      });
    },
    get waiting() {
      return queue.length;
    },
    drain() {
      if (!writing && queue.length === 0) return Promise.resolve();
      return new Promise<void>((resolve) => idle.push(resolve));
    },
  };
}
