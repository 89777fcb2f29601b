/**
 * Retention: the knex store's purge. It walks the records in the order of the target index (package and
 * target, newest first) a bounded batch at a time (keyset pagination), ranks each record within its
 * package and target as it goes, and deletes the ones the policy drops in bounded `DELETE ... WHERE id IN`
 * batches, yielding to the event loop between statements: no statement holds a lock (or SQLite's one
 * connection) for long, so recording never waits behind a purge. A target's current record (rank 1) is
 * never deleted, nor the one before it with `keepPrevious`.
 */
import type { Knex } from 'knex';
import { DeploymentError } from '../http/errors';
import type { PurgePackageCount, PurgePolicy, PurgeResult, PurgeResume } from '../types';
import { fromRow, type DeploymentRow } from './rows';
import { DEPLOYMENTS_TABLE } from './tables';
import { repairCurrent } from './current-records';
import { retryDeadlocksOf } from './insert';

/** Records deleted per statement unless the policy says otherwise. */
export const DEFAULT_PURGE_BATCH = 200;
export const MAX_PURGE_BATCH = 5000;
/** Records in a dry run's sample unless the policy says otherwise. */
export const DEFAULT_PURGE_SAMPLE = 20;
/** How long one purge() call works before it answers with `next`, unless the policy says otherwise. */
export const DEFAULT_PURGE_TIME_BUDGET_MS = 5000;
/** Rows read per scan statement. */
const SCAN_ROWS = 1000;

/** Checks a policy; throws a 400-style error naming the problem. */
export function checkPurgePolicy(policy: PurgePolicy): void {
  if (!policy || typeof policy !== 'object') throw new DeploymentError(400, 'bad_request', 'purge: give a policy such as { keepLatest: 10 } or { before: new Date(...) }.');
  const { keepLatest, before, batchSize, sampleSize } = policy;
  if (keepLatest === undefined && before === undefined) {
    throw new DeploymentError(400, 'bad_request', 'purge: say what to drop: keepLatest (records kept per package and target) and/or before (drop records deployed before this date).');
  }
  if (keepLatest !== undefined && (!Number.isInteger(keepLatest) || keepLatest < 1)) {
    throw new DeploymentError(400, 'bad_request', 'purge: keepLatest must be a whole number, at least 1 (a target\'s current record is always kept).');
  }
  if (before !== undefined && (!(before instanceof Date) || Number.isNaN(before.getTime()))) {
    throw new DeploymentError(400, 'bad_request', 'purge: before must be a valid Date.');
  }
  if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_PURGE_BATCH)) {
    throw new DeploymentError(400, 'bad_request', `purge: batchSize must be a whole number from 1 to ${MAX_PURGE_BATCH}.`);
  }
  if (policy.timeBudgetMs !== undefined && (!Number.isInteger(policy.timeBudgetMs) || policy.timeBudgetMs < 1)) {
    throw new DeploymentError(400, 'bad_request', 'purge: timeBudgetMs must be a whole number of milliseconds, at least 1.');
  }
  if (sampleSize !== undefined && (!Number.isInteger(sampleSize) || sampleSize < 0 || sampleSize > 1000)) {
    throw new DeploymentError(400, 'bad_request', 'purge: sampleSize must be a whole number from 0 to 1000.');
  }
}

type ScanRow = Pick<DeploymentRow, 'feed_name' | 'group_name' | 'package_name' | 'target' | 'deployed_at'> & { id: number | string };

/** The scan's order, the target index's columns. */
const SCAN_KEY = ['feed_name', 'group_name', 'package_name', 'target', 'deployed_at', 'id'] as const;

/** How many leading columns of {@link SCAN_KEY} the policy fixes with an equality. */
function fixedLeadingColumns(policy: PurgePolicy): number {
  const fixed = [policy.feedName, policy.groupName, policy.packageName, policy.target];
  let n = 0;
  while (n < fixed.length && fixed[n] !== undefined) n++;
  return n;
}

/** How long one delete step should take, in milliseconds; the batch halves above it and doubles below half of it. */
const STEP_MS = 10;
const FIRST_STEP_RECORDS = 50;
const MIN_STEP_RECORDS = 10;

const yieldTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs a purge (a dry run unless `policy.dryRun === false`) on the deployments table. */
export async function purgeRecords(db: Knex, policy: PurgePolicy): Promise<PurgeResult> {
  checkPurgePolicy(policy);
  const dryRun = policy.dryRun !== false;
  const maxBatch = policy.batchSize ?? DEFAULT_PURGE_BATCH;
  // Each delete is one step that recording waits behind (on SQLite the one writer; in-process, the event
  // loop too). Its size adapts so that a step takes about STEP_MS, whatever the database's size and
  // cache: on a 1,000,000-record SQLite file a 200-record delete took 20-50 ms.
  let batchSize = Math.min(maxBatch, FIRST_STEP_RECORDS);
  const sampleSize = policy.sampleSize ?? DEFAULT_PURGE_SAMPLE;
  const protect = policy.keepPrevious ? 2 : 1;
  const keep = Math.max(protect, policy.keepLatest ?? protect);
  const before = policy.before?.toISOString();
  const pauseMs = policy.pauseMs;
  const budgetMs = policy.timeBudgetMs ?? DEFAULT_PURGE_TIME_BUDGET_MS;
  const startedAt = Date.now();

  const counts = new Map<string, PurgePackageCount>();
  let sampled = 0;
  let matched = 0;
  let deleted = 0;
  let scanned = 0;
  let pending: ScanRow[] = [];

  // The sample is read before its records are deleted, so that a real run shows what it removed too.
  const sample: PurgeResult['sample'] = [];
  let unfetched: number[] = [];
  const fetchSample = async () => {
    if (unfetched.length === 0) return;
    const ids = unfetched;
    unfetched = [];
    sample.push(...((await db(DEPLOYMENTS_TABLE).whereIn('id', ids).orderBy('id', 'desc')) as DeploymentRow[]).map(fromRow));
  };

  const flush = async () => {
    await fetchSample();
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    if (!dryRun) {
      // The current table (current-records.ts) is checked in the same transaction: a purge never deletes
      // a target's current record as it scanned it, but a delete by id meanwhile may have made one of
      // these current.
      const started = performance.now();
      deleted += await retryDeadlocksOf(() => db.transaction(async (trx) => {
        const n = Number(await trx(DEPLOYMENTS_TABLE).whereIn('id', batch.map((r) => Number(r.id))).delete());
        await repairCurrent(trx, batch);
        return n;
      }));
      const took = performance.now() - started;
      if (took > STEP_MS) batchSize = Math.max(MIN_STEP_RECORDS, Math.floor(batchSize / 2));
      else if (took < STEP_MS / 2) batchSize = Math.min(maxBatch, batchSize * 2);
      // Between two deletes, recording gets the database (and SQLite's one connection): by default for as
      // long as the delete took, so a purge takes at most about half of the database's time.
      const rest = pauseMs ?? took;
      if (rest >= 1) await sleep(rest);
      else await yieldTurn();
    }
  };

  const r = policy.resume;
  let cursor: ScanRow | undefined = r ? { feed_name: r.feedName, group_name: r.groupName, package_name: r.packageName, target: r.target, deployed_at: r.deployedAt, id: r.id } : undefined;
  const partitionOf = (row: Pick<ScanRow, 'feed_name' | 'group_name' | 'package_name' | 'target'>) => `${row.feed_name}\u0000${row.group_name}\u0000${row.package_name}\u0000${row.target}`;
  let partition = cursor ? partitionOf(cursor) : '';
  let rank = r ? r.rank : 0;
  let next: PurgeResume | undefined;
  for (;;) {
    const q = db(DEPLOYMENTS_TABLE).select('id', 'feed_name', 'group_name', 'package_name', 'target', 'deployed_at');
    if (policy.feedName !== undefined) q.where('feed_name', policy.feedName);
    if (policy.groupName !== undefined) q.where('group_name', policy.groupName);
    if (policy.packageName !== undefined) q.where('package_name', policy.packageName);
    if (policy.target !== undefined) q.where('target', policy.target);
    if (cursor) {
      // The row value starts after the leading columns the filters fix: with `feed_name = ?` AND
      // `(feed_name, ...) < (...)`, SQLite used only the equality on the index and read every row
      // before the cursor again on each scan (quadratic: 35 ms a scan at the end of 200,000 rows; with
      // the fixed columns left out, 1.4 ms each).
      const values: Record<(typeof SCAN_KEY)[number], string | number> = { ...cursor, id: Number(cursor.id) };
      const columns = SCAN_KEY.slice(fixedLeadingColumns(policy));
      q.whereRaw(`(${columns.join(', ')}) < (${columns.map(() => '?').join(', ')})`, columns.map((c) => values[c]));
    }
    q.orderBy(SCAN_KEY.map((column) => ({ column, order: 'desc' as const }))).limit(SCAN_ROWS);
    const rows = (await q) as ScanRow[];
    scanned += rows.length;
    for (const row of rows) {
      const key = partitionOf(row);
      if (key !== partition) {
        partition = key;
        rank = 0;
      }
      rank++;
      if (rank <= keep && (policy.keepLatest !== undefined || rank <= protect)) continue;
      if (before !== undefined && row.deployed_at >= before) continue;
      matched++;
      const pkgKey = `${row.feed_name}\u0000${row.group_name}\u0000${row.package_name}`;
      let c = counts.get(pkgKey);
      if (!c) {
        c = { feedName: row.feed_name, packageName: row.package_name, count: 0, ...(row.group_name ? { groupName: row.group_name } : {}) };
        counts.set(pkgKey, c);
      }
      c.count++;
      if (sampled < sampleSize) {
        sampled++;
        unfetched.push(Number(row.id));
      }
      pending.push(row);
      if (pending.length >= batchSize) await flush();
    }
    if (rows.length < SCAN_ROWS) break;
    cursor = rows[rows.length - 1];
    if (Date.now() - startedAt >= budgetMs) {
      const c = cursor!;
      next = { feedName: c.feed_name, groupName: c.group_name, packageName: c.package_name, target: c.target, deployedAt: c.deployed_at, id: Number(c.id), rank };
      break;
    }
    await yieldTurn();
  }

  await flush();

  const byPackage = [...counts.values()].sort((a, b) => b.count - a.count || a.feedName.localeCompare(b.feedName) || a.packageName.localeCompare(b.packageName));
  const byFeed = new Map<string, number>();
  for (const c of byPackage) byFeed.set(c.feedName, (byFeed.get(c.feedName) ?? 0) + c.count);
  return {
    dryRun,
    matched,
    deleted: dryRun ? 0 : deleted,
    scanned,
    byFeed: [...byFeed].map(([feedName, count]) => ({ feedName, count })),
    byPackage,
    sample,
    ...(next ? { next } : {}),
  };
}

/** Adds up the answers of several `store.purge()` calls of one purge (see `next`). */
export function mergePurgeResults(a: PurgeResult, b: PurgeResult): PurgeResult {
  const byPackage = new Map<string, PurgePackageCount>();
  for (const c of [...a.byPackage, ...b.byPackage]) {
    const key = `${c.feedName}\u0000${c.groupName ?? ''}\u0000${c.packageName}`;
    const had = byPackage.get(key);
    if (had) had.count += c.count;
    else byPackage.set(key, { ...c });
  }
  const packages = [...byPackage.values()].sort((x, y) => y.count - x.count || x.feedName.localeCompare(y.feedName) || x.packageName.localeCompare(y.packageName));
  const byFeed = new Map<string, number>();
  for (const c of packages) byFeed.set(c.feedName, (byFeed.get(c.feedName) ?? 0) + c.count);
  return {
    dryRun: a.dryRun,
    matched: a.matched + b.matched,
    deleted: a.deleted + b.deleted,
    scanned: a.scanned + b.scanned,
    byFeed: [...byFeed].map(([feedName, count]) => ({ feedName, count })),
    byPackage: packages,
    sample: [...a.sample, ...b.sample],
    ...(b.next ? { next: b.next } : {}),
  };
}
