/**
 * Recomputing the stored version keys and package keys (after a feed's version scheme changed, or once
 * after upgrading from a version without keys), a batch of rows per transaction, in id order; a record's
 * current row (current-records.ts) gets the same keys in the same transaction.
 */
import type { Knex } from 'knex';
import { CURRENT_TABLE, DEPLOYMENTS_TABLE } from './tables';

/** What the knex store's `rebuildVersionKeys()` is given. */
export interface RebuildVersionKeysOptions {
  /** Only this feed's records (exact name). Defaults to every feed. */
  feedName?: string;
  /** Rows read and updated per transaction. Defaults to 1000. */
  batchSize?: number;
}

/** Rewrites the keys that differ from `keyOf` / `packageKeyOf`; resolves to how many rows changed. */
export async function rebuildVersionKeys(
  db: Knex,
  rebuild: RebuildVersionKeysOptions,
  keyOf: (feed: string, version: string) => string,
  packageKeyOf: (feed: string, group: string, name: string) => string,
): Promise<number> {
  const size = rebuild.batchSize ?? 1000;
  let last = 0;
  let changed = 0;
  for (;;) {
    const q = db(DEPLOYMENTS_TABLE).select('id', 'feed_name', 'group_name', 'package_name', 'target', 'version', 'version_key', 'package_key').where('id', '>', last).orderBy('id').limit(size);
    if (rebuild.feedName !== undefined) q.where('feed_name', rebuild.feedName);
    const rows = (await q) as Array<{ id: number | string; feed_name: string; group_name: string; package_name: string; target: string; version: string; version_key: string; package_key: string }>;
    const updates = rows
      .map((r) => ({ id: r.id, key: keyOf(r.feed_name, r.version), pkg: packageKeyOf(r.feed_name, r.group_name, r.package_name), r }))
      .filter((u) => u.key !== u.r.version_key || u.pkg !== u.r.package_key);
    if (updates.length > 0) {
      await db.transaction(async (trx) => {
        for (const u of updates) {
          await trx(DEPLOYMENTS_TABLE).where('id', u.id).update({ version_key: u.key, package_key: u.pkg });
          // The target's current row holds the keys of its record (a lookup by its primary key).
          const { feed_name, group_name, package_name, target } = u.r;
          await trx(CURRENT_TABLE).where({ feed_name, group_name, package_name, target }).where('record_id', u.id).update({ version_key: u.key, package_key: u.pkg });
        }
      });
      changed += updates.length;
    }
    if (rows.length < size) return changed;
    last = Number(rows[rows.length - 1]!.id);
  }
}
