/**
 * A record's whole life: idempotent writes (`Idempotency-Key`), retention (purge and delete) and their
 * audit events. Everything a store method takes or returns here is plain data (it may cross a thread).
 */
import type { DeploymentRecord } from './record';

/** What {@link DeploymentStore.claimIdempotencyKey} is given. */
export interface IdempotencyClaim {
  /** SHA-256 (hex) of the caller's scope and the key. */
  id: string;
  /** SHA-256 (hex) of the request's payload. */
  fingerprint: string;
  /** A random token of this request's claim: only it settles or releases the key. */
  claim: string;
  now: Date;
  /** When the key may be forgotten. */
  expiresAt: Date;
  /** A first request still in flight since before this is taken to have died; its key is taken over. */
  staleBefore: Date;
}

/** How a key stands: just claimed, held by a request in flight, or answered before. */
export type IdempotencyState =
  | { state: 'claimed' }
  | { state: 'in_flight'; fingerprint: string }
  | { state: 'done'; fingerprint: string; status: number; recordId?: string };

/** The answer saved for a key. */
export interface IdempotencyOutcome {
  status: number;
  recordId?: string;
}

/**
 * A retention policy. Give `keepLatest` and/or `before`: a record is dropped when it is not among the
 * latest `keepLatest` of its package on its target AND (with `before`) was deployed before `before`. A
 * target's current record is never dropped.
 */
export interface PurgePolicy {
  /** Records kept per package and target, newest first (by deployment date, then id). At least 1. Defaults to keeping only what `before` spares. */
  keepLatest?: number;
  /** Drop records deployed before this date. Defaults to no date limit. */
  before?: Date;
  /** Keep the record before each target's current one too, so a rollback stays visible. Defaults to `false`. */
  keepPrevious?: boolean;
  /** Only this feed. Defaults to every feed. */
  feedName?: string;
  /** Only this group (`""`: packages without a group). Defaults to every group. */
  groupName?: string;
  /** Only this package. Defaults to every package. */
  packageName?: string;
  /** Only this target. Defaults to every target. */
  target?: string;
  /** `false` deletes; anything else only counts. Defaults to `true` (a dry run). */
  dryRun?: boolean;
  /**
   * Records deleted per statement at most (bounded, so recording never waits long): the purge starts at 50
   * and halves or doubles the batch so that one delete takes about 10 ms. From 1 to 5000. Defaults to 200.
   */
  batchSize?: number;
  /**
   * Milliseconds to pause between two delete statements (0: one turn of the event loop). Defaults to as long
   * as the last delete took, so that a purge takes at most about half of the database's time.
   */
  pauseMs?: number;
  /** Records shown in the answer's `sample`. From 0 to 1000. Defaults to 20. */
  sampleSize?: number;
  /**
   * How long one `store.purge()` call works, in milliseconds, before it answers with `next` (so that no
   * call outlives a store's deadline, such as the embedded SQLite worker's). Defaults to 5000.
   */
  timeBudgetMs?: number;
  /** Where a previous call stopped: its answer's `next`. Defaults to the start. */
  resume?: PurgeResume;
}

/** Where a purge stopped (plain data): the last record it looked at, and that record's rank on its target. */
export interface PurgeResume {
  feedName: string;
  groupName: string;
  packageName: string;
  target: string;
  deployedAt: string;
  id: number;
  rank: number;
}

/** How many records of one package a purge drops (or would drop). */
export interface PurgePackageCount {
  feedName: string;
  groupName?: string;
  packageName: string;
  count: number;
}

/** What a purge did, or (a dry run) would do. */
export interface PurgeResult {
  dryRun: boolean;
  /** Records the policy drops. */
  matched: number;
  /** Records deleted (0 in a dry run). */
  deleted: number;
  /** Records looked at. */
  scanned: number;
  byFeed: Array<{ feedName: string; count: number }>;
  /** Per package, most first. */
  byPackage: PurgePackageCount[];
  /** Some of the records dropped, read before they were deleted. */
  sample: DeploymentRecord[];
  /**
   * Set when `store.purge()` stopped at its time budget with more to look at: call it again with
   * `{ ...policy, resume: next }`. (`router.purge()` and the purge API do so until it is done.)
   */
  next?: PurgeResume;
}

/** What the `purged` event carries (also after a scheduled purge). */
export interface PurgeEvent {
  /** Who asked: the principal's name, `"schedule"` or `"store API"`. */
  by: string;
  policy: PurgePolicy;
  result: Omit<PurgeResult, 'sample'>;
}

/** What the `deployment-deleted` event carries. */
export interface DeletedEvent {
  by: string;
  record: DeploymentRecord;
}

/** A scheduled purge (`createDeploymentRouter({ retention })`). */
export interface RetentionOptions {
  /** The policy, without `before` and `dryRun`. Required. */
  policy: Omit<PurgePolicy, 'before' | 'dryRun'>;
  /** Drop records deployed more than this many milliseconds before each run. Defaults to no age limit. */
  olderThanMs?: number;
  /** Milliseconds between two runs; at least 60000. Required. */
  everyMs: number;
  /** Run once at start-up too. Defaults to `false`. */
  runAtStart?: boolean;
}
