/**
 * Storage: the DeploymentStore plug-in interface and its queries.
 */
import type { DeploymentRecord, NewDeployment } from './record';
import type { VersionRange } from './versions';
import type { IdempotencyClaim, IdempotencyOutcome, IdempotencyState, PurgePolicy, PurgeResult } from './lifecycle';

/** Which package a query is about. `groupName` `undefined` or `""` means "no group". */
export interface PackageRef {
  feedName: string;
  groupName?: string;
  packageName: string;
}

/** Filters for {@link DeploymentStore.list}. Every field is optional; all given ones must match. */
export interface DeploymentQuery {
  feedName?: string;
  /** `""` matches records without a group. */
  groupName?: string;
  packageName?: string;
  /** Exact version. */
  version?: string;
  /** Exact target. */
  target?: string;
  /** Targets starting with this text. */
  targetPrefix?: string;
  application?: string;
  userName?: string;
  /** Deployed at or after. */
  since?: Date;
  /** Deployed before. */
  until?: Date;
  /** Any of these feeds (exact names); the router uses it for reads that name no feed. */
  feedNames?: readonly string[];
  /**
   * Only records whose version falls in this range, read by {@link parseVersionRange} with the feed's
   * scheme. Needs `feedName` and `packageName`. With `current`, it applies to each target's current
   * version. Defaults to no range.
   */
  versionRange?: VersionRange;
  /**
   * Only each target's current record: the latest deployment of the package on that target, by
   * deployment date (then id), never the highest version. The other filters (and `versionRange`) then
   * apply to that current record, so an older record on a target never makes the target match. Needs
   * `feedName` and `packageName`. Defaults to `false` (the whole history).
   */
  current?: boolean;
  /** Page size. Defaults to 100; at most 1000. */
  limit?: number;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
}

export interface DeploymentPage {
  records: DeploymentRecord[];
  /** Pass as `cursor` for the next page; `undefined` on the last page. */
  nextCursor?: string;
}

/**
 * Where deployments are kept. The library calls `init()` (when present) before first use and `close()`
 * on shutdown. Any method may return a promise.
 */
export interface DeploymentStore {
  init?(): void | Promise<void>;
  /**
   * Stores every deployment in one transaction and resolves only once they are committed; rejects
   * (storing none of them) on failure. Returns the stored records, in order.
   */
  record(deployments: readonly NewDeployment[]): Promise<DeploymentRecord[]>;
  /** Records matching `query`, newest first (deployment date, then id). */
  list(query: DeploymentQuery): Promise<DeploymentPage>;
  /**
   * Where a package is running now: `list({ ...query, current: true })`, the latest record per target.
   * Optional; the read API uses `list` when it is missing.
   */
  current?(query: DeploymentQuery & PackageRef): Promise<DeploymentPage>;
  /**
   * Every record matching `query` (from `query.cursor` on; `limit` ignored), newest first, fetched a
   * batch at a time so that memory stays flat however many there are. Optional; the read API pages
   * through `list` when it is missing.
   */
  stream?(query: DeploymentQuery): AsyncIterable<DeploymentRecord>;
  /** How many records match `query` (`limit` and `cursor` ignored). Optional; see `stream`. */
  count?(query: DeploymentQuery): Promise<number>;
  /**
   * Claims an `Idempotency-Key` for the first request that uses it, or says how it was used before.
   * Optional: without it (and `settleIdempotencyKey`), a key still makes a retried record be stored once
   * (its `uid` derives from the key and the payload), but answers are not replayed and a different
   * payload under the same key is not detected.
   */
  claimIdempotencyKey?(claim: IdempotencyClaim): Promise<IdempotencyState>;
  /**
   * Saves the answer of a key this `claim` holds (to replay it), or releases the key (`null`) after a
   * failure; a key another claim holds is left alone.
   */
  settleIdempotencyKey?(id: string, claim: string, outcome: IdempotencyOutcome | null): Promise<void>;
  /**
   * Applies a retention policy: a dry run (counts and a sample, nothing deleted) unless
   * `policy.dryRun === false`. Optional; the purge API and `retention` need it.
   */
  purge?(policy: PurgePolicy): Promise<PurgeResult>;
  /** The record with this id, or `undefined`. Optional; deleting by id needs it. */
  getRecord?(id: string): Promise<DeploymentRecord | undefined>;
  /** Deletes the record with this id; answers it, or `undefined` when there was none. Optional. */
  deleteRecord?(id: string): Promise<DeploymentRecord | undefined>;
  close?(): void | Promise<void>;
}
