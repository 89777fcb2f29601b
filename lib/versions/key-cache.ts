/**
 * A bounded memo of {@link versionKey}: deployments repeat versions (one release goes to many targets, a
 * feed serves the same version over and over), and a key costs a parse of the version (0.4-0.5 µs for
 * SemVer or NuGet) on the thread that writes the batch. Keys are pure functions of (scheme, version), so a
 * memo never goes stale; it is emptied when full instead of tracking use, which keeps a hit to one Map
 * lookup.
 */
import { versionKey } from './keys';

/** Versions remembered before the memo is emptied. */
export const VERSION_KEY_CACHE_SIZE = 1024;

export function createVersionKeyCache(size = VERSION_KEY_CACHE_SIZE): (schemeName: string, version: string) => string {
  const keys = new Map<string, string>();
  return (schemeName, version) => {
    const id = `${schemeName}\u0000${version}`;
    let key = keys.get(id);
    if (key === undefined) {
      key = versionKey(schemeName, version);
      if (keys.size >= size) keys.clear();
      keys.set(id, key);
    }
    return key;
  };
}
