/**
 * The delivery worker: claims due deliveries from the outbox, sends them (a bounded number at once) and
 * writes what happened. It polls when idle and is nudged after each local commit, so a delivery usually
 * leaves within milliseconds of its record's 200. A claim is a lease longer than one attempt can take, so
 * no other worker sends the same delivery while this one may still be sending it; a worker that dies
 * leaves its deliveries to fall due again when the lease ends.
 */
import http from 'node:http';
import https from 'node:https';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import type { Logger } from '../types';
import type { ResolvedWebhookOptions } from './config';
import { sendDelivery } from './send';
import type { WebhookAttemptOutcome, WebhookOutboxStore } from './types';

export interface WebhookDispatcher {
  /** Starts the loop (idempotent). */
  start(): void;
  /** Looks for due deliveries now instead of at the next poll. */
  nudge(): void;
  /** Stops claiming, waits for attempts in flight to be written, closes idle connections. */
  stop(): Promise<void>;
  /** Resolves when no delivery is due (or being sent) by this worker: for tests and benchmarks. */
  idle(): Promise<void>;
}

/**
 * Recording comes first. When records were committed in this process during a round and the process is
 * busy (its event loop busy more than this share of the time since the last round), the worker rests
 * BACK_SEAT_FACTOR times as long as its round took before the next one: it then takes about a tenth of
 * the time, and the outbox absorbs the burst. A worker draining a backlog alone, or beside light
 * recording, runs at full speed; deliveries catch up as soon as the load drops.
 */
export const BUSY_UTILIZATION = 0.5;
export const BACK_SEAT_FACTOR = 9;
/** The longest rest under load, in milliseconds, so that deliveries keep moving. */
const MAX_REST_MS = 1000;

/** Claimed per round: enough to keep `concurrency` attempts busy without holding many leases. */
const claimSize = (concurrency: number) => Math.max(concurrency * 4, 32);

export function createWebhookDispatcher(store: WebhookOutboxStore, options: ResolvedWebhookOptions, logger: Logger): WebhookDispatcher {
  const agents = {
    http: new http.Agent({ keepAlive: true, maxSockets: options.concurrency }),
    https: new https.Agent({ keepAlive: true, maxSockets: options.concurrency }),
  };
  const sendOptions = {
    timeoutMs: options.timeoutMs,
    allowPrivateTargets: options.allowPrivateTargets,
    maxRetryAfterMs: options.maxRetryAfterMs,
    agents,
    userAgent: 'package-deployments-webhooks',
  };
  // Longer than an attempt can take (its timeout) plus the time to write the outcome.
  const leaseMs = options.timeoutMs * 2 + 5_000;
  let running = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  let nudged = false;
  /** Commits in this process (each nudges the worker): how the worker knows recording is busy. */
  let commits = 0;
  let idleWaiters: Array<() => void> = [];

  function sleep(ms: number): Promise<void> {
    if (nudged) {
      nudged = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      wake = () => {
        wake = undefined;
        clearTimeout(timer);
        resolve();
      };
      timer = setTimeout(() => wake?.(), ms);
    });
  }

  async function sendAll(): Promise<number> {
    const claimed = await store.claimWebhookDeliveries({ limit: claimSize(options.concurrency), leaseMs });
    if (claimed.length === 0) return 0;
    const outcomes: WebhookAttemptOutcome[] = [];
    let next = 0;
    const lane = async () => {
      while (next < claimed.length) {
        const delivery = claimed[next++]!;
        outcomes.push(await sendDelivery(delivery, sendOptions));
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.concurrency, claimed.length) }, lane));
    await store.settleWebhookDeliveries(outcomes, options.retrySchedule);
    for (const o of outcomes) {
      if (o.gone) logger.warn(`package-deployments: webhook target "${o.target}" answered 410 Gone and is disabled; add it again to re-enable it.`, { target: o.target });
    }
    return claimed.length;
  }

  async function run(): Promise<void> {
    let failures = 0;
    let elu: EventLoopUtilization = performance.eventLoopUtilization();
    while (running) {
      let sent = 0;
      const roundStarted = performance.now();
      const commitsBefore = commits;
      try {
        sent = await sendAll();
        failures = 0;
        if (sent > 0) {
          const now = performance.eventLoopUtilization();
          const busy = performance.eventLoopUtilization(now, elu).utilization;
          elu = now;
          // A plain timer: commits nudge the worker, and under load they must not cut its rest short.
          if (commits > commitsBefore && busy > BUSY_UTILIZATION) await new Promise((r) => setTimeout(r, Math.min((performance.now() - roundStarted) * BACK_SEAT_FACTOR, MAX_REST_MS)));
        }
      } catch (err) {
        failures++;
        // The store is unreachable: deliveries wait in the outbox; try again, backing off.
        if (failures === 1 || failures % 60 === 0) logger.error(`package-deployments: webhook delivery worker: ${(err as Error).message}`, { failures });
      }
      if (sent === 0) {
        const waiters = idleWaiters;
        idleWaiters = [];
        for (const w of waiters) w();
        if (!running) break;
        await sleep(failures > 0 ? Math.min(options.pollIntervalMs * 2 ** Math.min(failures, 5), 30_000) : options.pollIntervalMs);
      }
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      loop = run();
    },
    nudge() {
      commits++;
      if (wake) wake();
      else nudged = true;
    },
    async stop() {
      running = false;
      wake?.();
      await loop;
      loop = undefined;
      for (const w of idleWaiters.splice(0)) w();
      agents.http.destroy();
      agents.https.destroy();
    },
    idle() {
      if (!running) return Promise.resolve();
      const done = new Promise<void>((resolve) => idleWaiters.push(resolve));
      if (wake) wake();
      else nudged = true;
      return done;
    },
  };
}
