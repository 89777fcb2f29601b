/** Purges on a schedule (`createDeploymentRouter({ retention })`): for real, audited like any purge. */
import { checkOptionKeys } from '../options';
import { checkPurgePolicy } from '../store/purge';
import type { Logger, RetentionOptions } from '../types';
import type { Auditor } from './audit';

/** The shortest `everyMs` accepted. */
export const MIN_RETENTION_INTERVAL_MS = 60_000;

/** Checks `retention` once, at construction; throws a TypeError saying how to fix it. */
export function checkRetention(what: string, r: RetentionOptions): void {
  if (!r || typeof r !== 'object') throw new TypeError(`${what}: retention must be an object such as { policy: { keepLatest: 50 }, olderThanMs: 90 * 86400000, everyMs: 3600000 }.`);
  checkOptionKeys(`${what}: retention`, r, ['policy', 'olderThanMs', 'everyMs', 'runAtStart']);
  if (!Number.isInteger(r.everyMs) || r.everyMs < MIN_RETENTION_INTERVAL_MS) {
    throw new TypeError(`${what}: retention.everyMs must be a whole number of milliseconds, at least ${MIN_RETENTION_INTERVAL_MS} (got ${String(r.everyMs)}).`);
  }
  if (r.olderThanMs !== undefined && (!Number.isInteger(r.olderThanMs) || r.olderThanMs < 1)) {
    throw new TypeError(`${what}: retention.olderThanMs must be a positive whole number of milliseconds.`);
  }
  if (!r.policy || typeof r.policy !== 'object') throw new TypeError(`${what}: retention.policy is required, such as { keepLatest: 50 }.`);
  checkOptionKeys(`${what}: retention.policy`, r.policy, ['keepLatest', 'keepPrevious', 'feedName', 'groupName', 'packageName', 'target', 'batchSize', 'pauseMs', 'sampleSize']);
  try {
    checkPurgePolicy({ ...r.policy, before: r.olderThanMs !== undefined ? new Date() : undefined });
  } catch (err) {
    throw new TypeError(`${what}: retention: ${(err as Error).message.replace(/^purge: /, '')}`);
  }
}

export interface RetentionSchedule {
  /** Runs one purge now (waits for a run in progress instead of starting a second one). */
  runNow(): Promise<void>;
  stop(): Promise<void>;
}

export function scheduleRetention(r: RetentionOptions, auditor: Auditor, logger: Logger): RetentionSchedule {
  let running: Promise<void> | undefined;
  const run = () => {
    running ??= (async () => {
      try {
        const before = r.olderThanMs !== undefined ? new Date(Date.now() - r.olderThanMs) : undefined;
        await auditor.purge({ ...r.policy, ...(before ? { before } : {}), dryRun: false, sampleSize: r.policy.sampleSize ?? 0 }, 'schedule');
      } catch (err) {
        logger.error(`package-deployments: the scheduled purge failed: ${err instanceof Error ? err.message : String(err)}`, {});
      } finally {
        running = undefined;
      }
    })();
    return running;
  };
  const timer = setInterval(() => void run(), r.everyMs);
  timer.unref();
  if (r.runAtStart) setImmediate(() => void run());
  return {
    runNow: run,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
