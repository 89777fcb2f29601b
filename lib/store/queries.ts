/**
 * The knex store's read queries: history listings, "running now" (the latest record per target), version
 * ranges, streaming and counting. A range of a built-in scheme comes with version-key intervals: the
 * database selects the rows whose `version_key` falls in them (or is "~", unkeyed) by index range scans,
 * and the range's own test then decides on those candidates only (it drops what the intervals cannot
 * express exactly: `!=`, PEP 440's pre-release rules, unkeyed versions). Without keys (a scheme of your
 * own, or a range read with another scheme than the store keys the feed with) the range is tested on every
 * row of the package. Either way pages are filled from further database pages as needed: the cursor stays
 * the (date, id) of the last record returned, so paging is stable with a range too.
 */
import type { Knex } from 'knex';
import { DeploymentError } from '../http/errors';
import type { DeploymentPage, DeploymentQuery, DeploymentRecord, KeyInterval } from '../types';
import { UNKEYED } from '../versions/keys';
import { decodeCursor, encodeCursor, type CursorPosition } from './cursor';
import { fromRow, type DeploymentRow } from './rows';
import { CURRENT_TABLE, DEPLOYMENTS_TABLE } from './tables';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;
/** Rows fetched per round trip when a range is tested in JavaScript, and per batch of a stream. */
export const SCAN_BATCH = 1000;

/** Validates a page size (the router checks it first too). */
export function pageSize(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new DeploymentError(400, 'bad_query', `limit: must be a whole number from 1 to ${MAX_PAGE_SIZE}.`);
  }
  return limit;
}

/** Throws a 400 when a query needs a package (a range, "running now") and does not name one. */
export function checkPackageQuery(query: DeploymentQuery): void {
  const needs = query.current ? 'where a package is running now' : query.versionRange ? 'a version range' : undefined;
  if (!needs) return;
  for (const [field, param] of [['feedName', 'feed'], ['packageName', 'package']] as const) {
    if (query[field] === undefined || query[field] === '') {
      throw new DeploymentError(400, 'bad_query', `${param}: required for ${needs}: give feed, package (and group when the package has one).`);
    }
  }
}

/**
 * Applies a query's filters (not paging, not the range) to a query on the deployments table. `column`
 * names where each column is read (qualified names in a join); by default the bare names.
 */
export function applyFilters(q: Knex.QueryBuilder, query: DeploymentQuery, column: (name: string) => string = (name) => name): Knex.QueryBuilder {
  if (query.feedName !== undefined) q.where(column('feed_name'), query.feedName);
  if (query.feedNames !== undefined) q.whereIn(column('feed_name'), [...query.feedNames]);
  if (query.groupName !== undefined) q.where(column('group_name'), query.groupName);
  if (query.packageName !== undefined) q.where(column('package_name'), query.packageName);
  if (query.version !== undefined) q.where(column('version'), query.version);
  if (query.target !== undefined) q.where(column('target'), query.target);
  if (query.targetPrefix !== undefined && query.targetPrefix !== '') {
    // substr, not LIKE: case-sensitive and free of wildcard escaping on all three databases.
    // The length in characters (code points), as the databases count them; not in UTF-16 units, which
    // count a character outside the Basic Multilingual Plane (😀) twice.
    q.whereRaw('substr(??, 1, ?) = ?', [column('target'), [...query.targetPrefix].length, query.targetPrefix]);
  }
  if (query.application !== undefined) q.where(column('application'), query.application);
  if (query.userName !== undefined) q.where(column('user_name'), query.userName);
  if (query.since !== undefined) q.where(column('deployed_at'), '>=', query.since.toISOString());
  if (query.until !== undefined) q.where(column('deployed_at'), '<', query.until.toISOString());
  return q;
}

/** Columns the current table holds as the record has them: "running now" filters on them there. */
const IN_CURRENT = new Set(['feed_name', 'group_name', 'package_name', 'target', 'deployed_at', 'version_key']);
const currentColumn = (name: string) => (IN_CURRENT.has(name) ? `c.${name}` : `d.${name}`);

/**
 * The records a query selects, before paging: the filters, and for `current` the records that are their
 * target's current record (the current table, current-records.ts: one row per target of the package, by
 * index, each joined to its record by id), the removals left out.
 */
export function selectRows(db: Knex, query: DeploymentQuery, keys?: readonly KeyInterval[]): Knex.QueryBuilder {
  if (query.current) {
    const q = db({ c: CURRENT_TABLE }).join({ d: DEPLOYMENTS_TABLE }, 'd.id', 'c.record_id').select('d.*');
    applyFilters(q, query, currentColumn);
    if (keys) whereKeys(q, keys, 'c.version_key');
    // A target whose latest record is a removal no longer runs the package.
    q.where('c.removed', false);
    return q;
  }
  const q = applyFilters(db({ d: DEPLOYMENTS_TABLE }).select('d.*'), query);
  if (keys) whereKeys(q, keys);
  return q;
}

/** Rows whose version key is in one of the intervals, or unkeyed: index range scans on version_key. */
export function whereKeys(q: Knex.QueryBuilder, keys: readonly KeyInterval[], column = 'd.version_key'): Knex.QueryBuilder {
  return q.where((w) => {
    for (const k of keys) {
      w.orWhere((x) => {
        if (k.from !== undefined) x.where(column, k.fromInclusive ? '>=' : '>', k.from);
        // Keys sort before "~": an open upper end stops short of the unkeyed rows (matched below).
        x.where(column, k.to !== undefined && k.toInclusive ? '<=' : '<', k.to ?? UNKEYED);
      });
    }
    w.orWhere(column, UNKEYED);
  });
}

/**
 * Newest first from the cursor on. "Running now" orders by the current table's copy of (date, id), the
 * same values, so that the database reads the current rows first and each record by id.
 */
function after(q: Knex.QueryBuilder, cursor: CursorPosition | undefined, current = false): Knex.QueryBuilder {
  const [date, id] = current ? ['c.deployed_at', 'c.record_id'] : ['d.deployed_at', 'd.id'];
  if (cursor) {
    q.where((w) => w.where(date, '<', cursor.date).orWhere((x) => x.where(date, cursor.date).andWhere(id, '<', cursor.id)));
  }
  return q.orderBy([{ column: date, order: 'desc' }, { column: id, order: 'desc' }]);
}

const positionOf = (row: DeploymentRow): CursorPosition => ({ date: row.deployed_at, id: Number(row.id) });

/** One page of a query, newest first, with the range tested on as many database pages as it takes. */
export async function listPage(db: Knex, query: DeploymentQuery, keys?: readonly KeyInterval[]): Promise<DeploymentPage> {
  const limit = pageSize(query.limit);
  checkPackageQuery(query);
  let cursor = query.cursor !== undefined ? decodeCursor(query.cursor) : undefined;
  const range = query.versionRange;
  // With key intervals the database already selects the range's rows (but unkeyed ones): a page's worth
  // is enough; without them the range is tested here, on as many rows as it takes.
  const batch = range && !keys ? Math.max(limit + 1, SCAN_BATCH) : limit + 1;
  const found: DeploymentRow[] = [];
  for (;;) {
    const rows = (await after(selectRows(db, query, range ? keys : undefined), cursor, query.current === true).limit(batch)) as DeploymentRow[];
    for (const row of rows) {
      if (range && !range.test(row.version)) continue;
      found.push(row);
      if (found.length > limit) break;
    }
    if (found.length > limit || rows.length < batch) break;
    cursor = positionOf(rows[rows.length - 1]!);
  }
  const last = found.length > limit ? found[limit - 1] : undefined;
  return { records: found.slice(0, limit).map(fromRow), nextCursor: last ? encodeCursor(positionOf(last)) : undefined };
}

/** Every record of a query from its cursor on, a batch of rows at a time (keyset pagination). */
export async function* streamRows(
  db: Knex,
  query: DeploymentQuery,
  keys?: readonly KeyInterval[],
  guard: <T>(batch: Promise<T>) => Promise<T> = (b) => b,
): AsyncGenerator<DeploymentRecord> {
  checkPackageQuery(query);
  let cursor = query.cursor !== undefined ? decodeCursor(query.cursor) : undefined;
  const range = query.versionRange;
  for (;;) {
    const rows = (await guard(Promise.resolve(after(selectRows(db, query, range ? keys : undefined), cursor, query.current === true).limit(SCAN_BATCH)))) as DeploymentRow[];
    for (const row of rows) {
      if (!range || range.test(row.version)) yield fromRow(row);
    }
    if (rows.length < SCAN_BATCH) return;
    cursor = positionOf(rows[rows.length - 1]!);
  }
}

/** How many records a query selects: COUNT in SQL, or the range tested on a stream of versions. */
export async function countRows(db: Knex, query: DeploymentQuery, keys?: readonly KeyInterval[]): Promise<number> {
  checkPackageQuery(query);
  if (!query.versionRange) {
    const [row] = (await db.count({ n: '*' }).from(selectRows(db, { ...query, cursor: undefined }).as('q'))) as Array<{ n: number | string }>;
    return Number(row?.n ?? 0);
  }
  let n = 0;
  for await (const _ of streamRows(db, { ...query, cursor: undefined }, keys)) n++;
  return n;
}

/**
 * `stream` and `count` for any store, through its `list` (for stores that implement only `list`).
 */
export async function* streamThroughList(list: (q: DeploymentQuery) => Promise<DeploymentPage>, query: DeploymentQuery): AsyncGenerator<DeploymentRecord> {
  let cursor = query.cursor;
  do {
    const page = await list({ ...query, cursor, limit: MAX_PAGE_SIZE });
    yield* page.records;
    cursor = page.nextCursor;
  } while (cursor !== undefined);
}

/** What the store's `currentOfPackage` is given: plain data (the store may run in another thread). */
export interface PackageOfEcosystemQuery {
  feedName: string;
  /** The package's group and name as the ecosystem's name reads (`@babel` + `traverse`); `''` for no group. */
  groupName: string;
  packageName: string;
  /** The scheme the caller reads the feed's versions with; `keys` are used only when it is the store's. */
  scheme: string;
  /** Only rows whose version key is in one of these intervals, or unkeyed; all rows when absent. */
  keys?: readonly KeyInterval[];
}

/** What {@link currentByPackageKey} is given. */
export interface PackageKeyQuery {
  feedName: string;
  /** The package key (advisories/package-keys.ts). */
  packageKey: string;
  keys?: readonly KeyInterval[];
}

/**
 * The current record of every target running a package (by package key), whose version key is in the
 * intervals: index range scans on the current table's (feed, package_key, version_key), each row joined to
 * its record by id.
 */
export async function currentByPackageKey(db: Knex, query: PackageKeyQuery): Promise<DeploymentRecord[]> {
  const q = db({ c: CURRENT_TABLE }).join({ d: DEPLOYMENTS_TABLE }, 'd.id', 'c.record_id').select('d.*').where('c.feed_name', query.feedName).where('c.package_key', query.packageKey);
  if (query.keys) whereKeys(q, query.keys, 'c.version_key');
  // A target whose latest record is a removal no longer runs the package.
  q.where('c.removed', false);
  const rows = (await q.orderBy([{ column: 'd.target' }, { column: 'd.id' }])) as DeploymentRow[];
  return rows.map(fromRow);
}
