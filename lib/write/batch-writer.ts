/**
 * The one batch writer between the two recording paths and the store.
 *
 * - The router AWAITS its records (`write()`): a request is answered 200 only after the transaction that
 *   holds its record has committed. A record that cannot be written rejects its own caller (503 when the
 *   store is unreachable, so the client retries; no retries here, the client is waiting).
 * - The feed middleware QUEUES its records (`enqueue()`): bounded (a full writer loses records rather
 *   than memory), retried a bounded number of times with a growing delay, and every record ends in
 *   exactly one `committed` or `lost` callback.
 *
 * Both share the same loop: when the store is idle a write starts in the same turn of the event loop
 * (`setImmediate`, no timer), taking every record already received in that turn; while a write is in
 * flight new records wait, and the next write takes up to `maxSize` of them in ONE `store.record(batch)`
 * call (one transaction). When every waiting record is queued, each batch first waits until its oldest
 * record has waited `maxWaitMs` (or `maxSize` are waiting), so that a steady stream of downloads is
 * written in few, large transactions. If a batch fails for a reason other than an unreachable store, the
 * cause may be one bad record, so its records are written again one by one: a bad record fails only itself.
 */
import { certainlyNotStored, isUnavailable } from '../http/errors';
import { checkOptionKeys } from '../options';
import { once } from '../util/once';
import type { BatchOptions, DeploymentRecord, DeploymentStore, LostDeployments, NewDeployment } from '../types';

/** The defaults of {@link BatchOptions}. */
export const BATCH_DEFAULTS: Readonly<Required<BatchOptions>> = Object.freeze({
  maxSize: 500,
  maxWaitMs: 25,
  maxPending: 10_000,
  retries: 3,
  retryDelayMs: 200,
});

/** The largest `maxSize` accepted. */
export const MAX_BATCH_SIZE = 10_000;

/** The error code of a write refused because `maxPending` records are already waiting (answered 503). */
export const WRITER_FULL = 'PD_WRITER_FULL';

/** Parses `batch` options once, at construction, refusing unknown names and bad values with a hint. */
export function resolveBatchOptions(factory: string, options: BatchOptions | undefined): Required<BatchOptions> {
  if (options === undefined) return { ...BATCH_DEFAULTS };
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${factory}: batch must be an object such as { maxSize: ${BATCH_DEFAULTS.maxSize}, retries: ${BATCH_DEFAULTS.retries} }.`);
  }
  checkOptionKeys(`${factory}: batch`, options, Object.keys(BATCH_DEFAULTS));
  const resolved: Required<BatchOptions> = { ...BATCH_DEFAULTS };
  for (const key of Object.keys(BATCH_DEFAULTS) as Array<keyof BatchOptions>) {
    const value = options[key];
    if (value !== undefined) resolved[key] = value;
  }
  const check = (name: keyof BatchOptions, min: number, max = Number.MAX_SAFE_INTEGER) => {
    const value = resolved[name];
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new TypeError(`${factory}: batch.${name} must be a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`} (got ${String(value)}).`);
    }
  };
  check('maxSize', 1, MAX_BATCH_SIZE);
  check('maxWaitMs', 0, 1000);
  check('maxPending', 1);
  check('retries', 0, 20);
  check('retryDelayMs', 0, 600_000);
  return resolved;
}

/** What the writer tells the queued path. */
export interface WriterCallbacks<C> {
  /** One call per committed queued record, with the context it was queued with. */
  committed(record: DeploymentRecord, context: C): void;
  /** One call per group of queued records given up on. */
  lost(lost: LostDeployments): void;
}

export interface BatchWriter<C> {
  /** Awaited path: resolves with the stored record once its batch has committed; rejects when it was not stored. */
  write(deployment: NewDeployment): Promise<DeploymentRecord>;
  /** Queued path: true when queued; false (the loss reported through `lost`) when the writer is full or closed. */
  enqueue(deployment: NewDeployment, context: C): boolean;
  /** Resolves once everything received so far is committed, rejected or given up on. */
  flush(): Promise<void>;
  /** Refuses further records, then flushes. */
  close(): Promise<void>;
  /** Records waiting or being written, and the queued path's totals. */
  stats(): { queued: number; recorded: number; lost: number };
}

type Item<C> =
  | { deployment: NewDeployment; resolve(record: DeploymentRecord): void; reject(err: unknown): void; context?: undefined; queued: false; maybeStored?: undefined }
  /** `maybeStored`: a write of it failed in a way that may have come after the commit (see `certainlyNotStored`). */
  | { deployment: NewDeployment; context: C; queued: true; resolve?: undefined; reject?: undefined; maybeStored?: boolean };

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Creates a batch writer in front of `store`.
 *
 * @example
 * const writer = createBatchWriter(store, resolveBatchOptions('me', { maxSize: 100 }), callbacks);
 * const stored = await writer.write(deployment); // committed when this resolves
 */
export function createBatchWriter<C>(store: DeploymentStore, options: Required<BatchOptions>, callbacks: WriterCallbacks<C>): BatchWriter<C> {
  const { maxSize, maxWaitMs, maxPending, retries, retryDelayMs } = options;
  const pending: Array<Item<C>> = [];
  /** When the oldest record in `pending` arrived (performance.now()). */
  let oldestAt = 0;
  let writing = 0;
  let recorded = 0;
  let lost = 0;
  let closed = false;
  let running: Promise<void> | undefined;
  const initStore = once(async () => { await store.init?.(); });

  function reportLost(items: Array<Item<C>>, reason: LostDeployments['reason'], error?: unknown, maybeStored = false): void {
    const deployments = items.map((i) => i.deployment);
    lost += deployments.length;
    try {
      callbacks.lost({ deployments, reason, error, ...(maybeStored ? { maybeStored } : {}) });
    } catch {
      // Reporting must not stop the writer.
    }
  }

  function settleStored(items: Array<Item<C>>, records: DeploymentRecord[]): void {
    // Counted before anyone hears of it, so that stats() in a listener is already up to date.
    writing -= items.length;
    items.forEach((item, i) => {
      const record = records[i]!;
      if (!item.queued) {
        item.resolve(record);
        return;
      }
      recorded++;
      try {
        callbacks.committed(record, item.context);
      } catch {
        // The callback guards itself.
      }
    });
  }

  async function store_(items: Array<Item<C>>): Promise<DeploymentRecord[]> {
    await initStore();
    const records = await store.record(items.map((i) => i.deployment));
    if (!Array.isArray(records) || records.length !== items.length) {
      throw new Error(`store.record() answered ${Array.isArray(records) ? records.length : typeof records} records for ${items.length} deployments.`);
    }
    return records;
  }

  /**
   * Queued records whose retries ran out after a failure that may have come after the commit (a
   * connection reset mid-write): whether they are stored is unknown, so they are not reported lost yet.
   * They are written again (safely: each record's `uid` makes the write idempotent) after the next
   * write that succeeds, or by `flush()`/`close()` once more; only if that fails too are they reported
   * lost, with `maybeStored: true`. Counted in `queued` and in `maxPending`.
   */
  const parked: Array<Item<C>> = [];

  /**
   * Writes one batch; settles every item in it (stored, rejected, parked or lost), which takes it out of
   * `writing`. `final`: one attempt, then lost (flush and close).
   */
  async function writeBatch(batch: Array<Item<C>>, final = false): Promise<void> {
    let items = batch;
    for (let attempt = 0; ; attempt++) {
      try {
        settleStored(items, await store_(items));
        // The store answers again: records whose fate was unknown are written again, first.
        if (parked.length > 0 && !final) {
          pending.unshift(...parked.splice(0));
          oldestAt = -Infinity;
        }
        return;
      } catch (err) {
        if (items.length > 1 && !isUnavailable(err)) {
          // One transaction: a record the store refuses for its data would fail the others. Find it.
          for (const item of items) await writeBatch([item], final);
          return;
        }
        const waiting = items.filter((i) => !i.queued);
        items = items.filter((i) => i.queued);
        writing -= waiting.length;
        for (const item of waiting) item.reject!(err);
        if (items.length === 0) return;
        // A connection that broke during the write (not one refused before it): the database may have
        // committed. A refusal of the data itself means the statement failed: nothing stored.
        if (isUnavailable(err) && !certainlyNotStored(err)) for (const item of items) item.maybeStored = true;
        if (attempt >= retries || final) {
          writing -= items.length;
          const certain = items.filter((i) => !i.maybeStored);
          const uncertain = items.filter((i) => i.maybeStored);
          if (certain.length > 0) reportLost(certain, 'store_failed', err);
          if (uncertain.length > 0) {
            if (final || closed) reportLost(uncertain, 'store_failed', err, true);
            else parked.push(...uncertain);
          }
          return;
        }
        await delay(retryDelayMs * 2 ** attempt);
      }
    }
  }

  /** True when every waiting record is queued (nobody awaits its commit) and they do not fill a batch. */
  function mayGather(): boolean {
    if (maxWaitMs === 0 || closed || flushing > 0 || pending.length >= maxSize) return false;
    for (let i = 0; i < pending.length; i++) if (!pending[i]!.queued) return false;
    return true;
  }

  /** Ends a gathering wait early: a record someone awaits, a full batch, or flush()/close(). */
  let stopGathering: (() => void) | undefined;
  /** flush() calls under way: nothing gathers while one waits. */
  let flushing = 0;

  /** Waits up to `ms` for more records; stopGathering() ends the wait early. */
  function gather(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        stopGathering = undefined;
        resolve();
      }
      stopGathering = done;
    });
  }

  async function run(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (pending.length > 0) {
      // Before every batch, not only the first after a pause: under a steady load the records that came
      // in during the last write would otherwise make a batch of their own, as small as the write was
      // short, and each batch costs a round trip and a commit (bench/README.md, "Feed middleware"). The
      // wait counts from the oldest waiting record's arrival, so none waits more than maxWaitMs for it.
      if (mayGather()) {
        const wait = maxWaitMs - (performance.now() - oldestAt);
        if (wait >= 1) await gather(wait);
      }
      const batch = pending.splice(0, maxSize);
      // Records left over by a full batch have waited already: the next batch takes them at once.
      oldestAt = pending.length > 0 ? -Infinity : 0;
      writing += batch.length;
      await writeBatch(batch);
    }
  }

  function start(): void {
    running ??= run()
      .catch(() => undefined)
      .finally(() => {
        running = undefined;
        if (pending.length > 0) start();
      });
  }

  function full(): boolean {
    return pending.length + writing + parked.length >= maxPending;
  }

  return {
    write(deployment) {
      if (closed) return Promise.reject(new Error('The recording path is closed: the router or middleware was closed.'));
      if (full()) {
        return Promise.reject(Object.assign(new Error(`${pending.length + writing} records are already waiting for the store (batch.maxPending).`), { code: WRITER_FULL }));
      }
      return new Promise<DeploymentRecord>((resolve, reject) => {
        if (pending.length === 0) oldestAt = performance.now();
        pending.push({ deployment, resolve, reject, queued: false });
        stopGathering?.();
        start();
      });
    },
    enqueue(deployment, context) {
      if (closed) {
        reportLost([{ deployment, context, queued: true }], 'closed');
        return false;
      }
      if (full()) {
        reportLost([{ deployment, context, queued: true }], 'queue_full');
        return false;
      }
      if (pending.length === 0) oldestAt = performance.now();
      pending.push({ deployment, context, queued: true });
      if (pending.length >= maxSize) stopGathering?.();
      start();
      return true;
    },
    async flush() {
      flushing++;
      stopGathering?.();
      try {
        await flushAll();
      } finally {
        flushing--;
      }
    },
    async close() {
      closed = true;
      await this.flush();
    },
    stats: () => ({ queued: pending.length + writing + parked.length, recorded, lost }),
  };

  async function flushAll(): Promise<void> {
    for (;;) {
      while (running || pending.length > 0) {
        if (!running) start();
        await running;
      }
      if (parked.length === 0) return;
      // Records whose fate is unknown: one more write each; if it fails, they are reported lost
      // (maybe stored).
      const again = parked.splice(0);
      writing += again.length;
      await writeBatch(again, true);
    }
  }
}
