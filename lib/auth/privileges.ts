import type { DeletePrivilege, Privilege, RecordPrivilege, ViewPrivilege } from '../types';

/** The privileges the library asks adapters about. */
export const Privileges: { readonly Record: RecordPrivilege; readonly View: ViewPrivilege; readonly Delete: DeletePrivilege } = Object.freeze({
  /** Needed to record a deployment on a feed (ProGet's `Feeds_DownloadPackage`). */
  Record: 'Feeds_DownloadPackage',
  /** Needed to read a feed's deployment records. */
  View: 'Feeds_ViewPackage',
  /** Needed to purge a feed's records or delete one record (ProGet's `Feeds_DeletePackage`). Never granted by default. */
  Delete: 'Feeds_DeletePackage',
});

export const ALL_PRIVILEGES: readonly Privilege[] = [Privileges.Record, Privileges.View];

/** True when `feeds` (undefined = every feed) holds `feed`, case-insensitively. */
export function feedAllowed(feeds: readonly string[] | undefined, feed: string): boolean {
  if (feeds === undefined) return true;
  const wanted = feed.toLowerCase();
  return feeds.some((f) => f === '*' || f.toLowerCase() === wanted);
}
