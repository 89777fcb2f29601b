/** Mapping between records and the knex store's rows. */
import { newRecordUid } from '../util/record-uid';
import type { DeploymentRecord, NewDeployment } from '../types';

export interface DeploymentRow {
  id?: number | string;
  feed_name: string;
  group_name: string;
  package_name: string;
  version: string;
  application: string;
  description: string;
  target: string;
  user_name: string;
  url: string | null;
  deployed_at: string;
  received_at: string;
  /** The record's identity (migration 020); `null` for rows stored before it. */
  uid?: string | null;
  /** A removal record (migration 021): `true`/`1`, else `false`/`0`. */
  removed?: boolean | number | null;
  /** The version's key in its feed's scheme (see versions/keys.ts); "~" when it has none. */
  version_key?: string;
  /** The package's identity as its ecosystem compares names (advisories/package-keys.ts). */
  package_key?: string;
}

/** The columns every write path stores for a record (the id is the database's), in one order. */
export const ROW_COLUMNS = ['feed_name', 'group_name', 'package_name', 'version', 'application', 'description', 'target', 'user_name', 'url', 'deployed_at', 'received_at', 'version_key', 'package_key', 'uid', 'removed'] as const;

/**
 * A date as the store keeps it (ISO 8601, UTC, milliseconds). The last one is remembered: a download's
 * `date` is usually its `receivedAt`, and a batch's records are mostly received within the same
 * millisecond, so most calls answer without formatting (`toISOString` costs about 0.4 µs).
 */
let lastTime = Number.NaN;
let lastIso = '';
function isoOf(date: Date): string {
  const time = date.getTime();
  // An invalid date (NaN) never equals the last one: toISOString throws its RangeError, as before.
  if (time !== lastTime) {
    lastIso = date.toISOString();
    lastTime = time;
  }
  return lastIso;
}

export function toRow(d: NewDeployment, versionKey?: string, packageKey?: string): DeploymentRow {
  const row: DeploymentRow = {
    feed_name: d.feedName,
    group_name: d.groupName ?? '',
    package_name: d.packageName,
    version: d.version,
    application: d.application,
    description: d.description,
    target: d.target,
    user_name: d.userName,
    url: d.url ?? null,
    deployed_at: isoOf(d.date),
    received_at: isoOf(d.receivedAt),
    uid: d.uid ?? newRecordUid(),
    removed: d.removed === true,
  };
  if (versionKey !== undefined) row.version_key = versionKey;
  if (packageKey !== undefined) row.package_key = packageKey;
  return row;
}

export function fromRow(row: DeploymentRow): DeploymentRecord {
  const record: DeploymentRecord = {
    id: String(row.id),
    application: row.application,
    description: row.description,
    target: row.target,
    feedName: row.feed_name,
    packageName: row.package_name,
    version: row.version,
    userName: row.user_name,
    date: new Date(row.deployed_at),
    receivedAt: new Date(row.received_at),
  };
  if (row.group_name) record.groupName = row.group_name;
  if (row.url) record.url = row.url;
  if (row.uid) record.uid = row.uid;
  if (row.removed === true || Number(row.removed) === 1) record.removed = true;
  return record;
}

/**
 * The record a write inserted, from the deployment it was given and its stored `row` (for the id and
 * the uid `toRow` gave it): the same record `fromRow(row)` gives, without parsing the two dates back
 * (`__tests__/record-answers.test.ts` holds the two equal).
 */
export function recordOf(d: NewDeployment, row: DeploymentRow): DeploymentRecord {
  const record: DeploymentRecord = {
    id: String(row.id),
    application: d.application,
    description: d.description,
    target: d.target,
    feedName: d.feedName,
    packageName: d.packageName,
    version: d.version,
    userName: d.userName,
    date: new Date(d.date.getTime()),
    receivedAt: new Date(d.receivedAt.getTime()),
  };
  if (d.groupName) record.groupName = d.groupName;
  if (d.url) record.url = d.url;
  if (row.uid) record.uid = row.uid;
  if (d.removed === true) record.removed = true;
  return record;
}

/**
 * The records of a write, in order: those it inserted from their deployments ({@link recordOf}), the
 * others (stored before: a retried batch, or the same uid twice in one batch) as the database has them.
 */
export function recordsOf(deployments: readonly NewDeployment[], written: { rows: readonly DeploymentRow[]; inserted: readonly boolean[] }): DeploymentRecord[] {
  const out = new Array<DeploymentRecord>(written.rows.length);
  for (let i = 0; i < written.rows.length; i++) {
    const row = written.rows[i]!;
    out[i] = written.inserted[i] ? recordOf(deployments[i]!, row) : fromRow(row);
  }
  return out;
}
