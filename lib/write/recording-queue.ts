/**
 * The queue between feed downloads and the store: bounded (a full queue loses records rather than
 * memory), written in batches (one `store.record()` transaction each), retried a bounded number of
 * times with a growing delay, and flushed by `close()`. Nothing here ever throws to its caller: failures
 * become counted, reported losses.
 */
import { isUnavailable } from '../http/errors';
import { once } from '../util/once';
import type { DeploymentRecord, DeploymentStore, LostDeployments, NewDeployment, RecordingQueueOptions } from '../types';

export interface QueueCallbacks<C> {
  /** One call per committed record, with the context it was pushed with. */
  committed(record: DeploymentRecord, context: C): void;
  /** One call per group of records given up on. */
  lost(lost: LostDeployments): void;
}

export interface RecordingQueue<C> {
  /** Queues one record; answers false (and reports the loss) when the queue is full or closed. */
  push(deployment: NewDeployment, context: C): boolean;
  /** Resolves once everything queued so far is committed or given up on. */
  flush(): Promise<void>;
  /** Refuses further records, then flushes. */
  close(): Promise<void>;
  stats(): { queued: number; recorded: number; lost: number };
}

export const QUEUE_DEFAULTS: Readonly<Required<RecordingQueueOptions>> = Object.freeze({
  maxQueued: 10_000,
  batchSize: 100,
  retries: 3,
  retryDelayMs: 200,
});

function checkCount(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new TypeError(`queue.${name} must be a whole number of at least ${min}; got ${String(value)}.`);
}

export function resolveQueueOptions(options: RecordingQueueOptions = {}): Required<RecordingQueueOptions> {
  if (!options || typeof options !== 'object') throw new TypeError('queue must be an object such as { batchSize: 100, retries: 3 }.');
  for (const key of Object.keys(options)) {
    if (!(key in QUEUE_DEFAULTS)) throw new TypeError(`queue: unknown option "${key}". Known options: ${Object.keys(QUEUE_DEFAULTS).join(', ')}.`);
  }
  const resolved = { ...QUEUE_DEFAULTS, ...options };
  checkCount('maxQueued', resolved.maxQueued, 1);
  checkCount('batchSize', resolved.batchSize, 1);
  checkCount('retries', resolved.retries, 0);
  checkCount('retryDelayMs', resolved.retryDelayMs, 0);
  return resolved;
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createRecordingQueue<C>(store: DeploymentStore, options: RecordingQueueOptions, callbacks: QueueCallbacks<C>): RecordingQueue<C> {
  const { maxQueued, batchSize, retries, retryDelayMs } = resolveQueueOptions(options);
  const pending: Array<{ deployment: NewDeployment; context: C }> = [];
  let writing = 0;
  let recorded = 0;
  let lost = 0;
  let closed = false;
  let draining: Promise<void> | undefined;
  const initStore = once(async () => { await store.init?.(); });

  /** `inFlight`: the records were being written (counted in `writing`), so they are settled now. */
  function reportLost(deployments: NewDeployment[], reason: LostDeployments['reason'], error?: unknown, inFlight = false): void {
    if (inFlight) writing -= deployments.length;
    lost += deployments.length;
    try {
      callbacks.lost({ deployments, reason, error });
    } catch {
      // The callbacks report; a failing report must not stop the queue.
    }
  }

  async function write(batch: Array<{ deployment: NewDeployment; context: C }>): Promise<DeploymentRecord[]> {
    await initStore();
    const records = await store.record(batch.map((b) => b.deployment));
    if (!Array.isArray(records) || records.length !== batch.length) {
      throw new Error(`store.record() answered ${Array.isArray(records) ? records.length : typeof records} records for ${batch.length} deployments.`);
    }
    return records;
  }

  async function writeWithRetries(batch: Array<{ deployment: NewDeployment; context: C }>): Promise<DeploymentRecord[]> {
    let attempt = 0;
    for (;;) {
      try {
        return await write(batch);
      } catch (err) {
        if (attempt >= retries) throw err;
        await delay(retryDelayMs * 2 ** attempt);
        attempt++;
      }
    }
  }

  function committed(batch: Array<{ deployment: NewDeployment; context: C }>, records: DeploymentRecord[]): void {
    // Settled before anyone hears of it, so that stats() in a listener is already up to date.
    writing -= records.length;
    recorded += records.length;
    records.forEach((record, i) => {
      try {
        callbacks.committed(record, batch[i]!.context);
      } catch {
        // Reported by the callback's own guard.
      }
    });
  }

  async function writeBatch(batch: Array<{ deployment: NewDeployment; context: C }>): Promise<void> {
    try {
      committed(batch, await writeWithRetries(batch));
    } catch (err) {
      // A batch is one transaction: one record the store refuses (rather than a store that is down)
      // would lose the others. Write them one by one, once each, to lose only the bad one.
      if (batch.length > 1 && !isUnavailable(err)) {
        for (const item of batch) {
          try {
            committed([item], await write([item]));
          } catch (single) {
            reportLost([item.deployment], 'store_failed', single, true);
          }
        }
        return;
      }
      reportLost(batch.map((b) => b.deployment), 'store_failed', err, true);
    }
  }

  async function drain(): Promise<void> {
    while (pending.length > 0) {
      const batch = pending.splice(0, batchSize);
      writing += batch.length;
      // writeBatch settles every record of the batch (committed or lost), which takes it out of `writing`.
      await writeBatch(batch);
    }
  }

  function startDrain(): Promise<void> {
    draining ??= new Promise<void>((resolve) => setImmediate(resolve))
      .then(drain)
      .catch(() => undefined)
      .finally(() => {
        draining = undefined;
        // Records pushed while the last batch was being written.
        if (pending.length > 0) void startDrain();
      });
    return draining;
  }

  return {
    push(deployment, context) {
      if (closed) {
        reportLost([deployment], 'closed');
        return false;
      }
      if (pending.length + writing >= maxQueued) {
        reportLost([deployment], 'queue_full');
        return false;
      }
      pending.push({ deployment, context });
      void startDrain();
      return true;
    },
    async flush() {
      while (draining || pending.length > 0) await (draining ?? startDrain());
    },
    async close() {
      closed = true;
      await this.flush();
    },
    stats: () => ({ queued: pending.length + writing, recorded, lost }),
  };
}
