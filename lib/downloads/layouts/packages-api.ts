/**
 * ProGet's common packages API: `/api/packages/{feed}/download?group=&name=&version=`, or the package
 * as a package URL: `?purl=pkg:npm/%40scope/name@1.0.0`. No version means "latest".
 */
import type { FeedLayout, FeedPackageRef, PathLayoutOptions } from '../../types';
import { compilePrefix, pathSegments, queryParams, ref } from './path';

/** Reads `pkg:type/namespace/name@version?qualifiers#subpath` (the package-url spec). */
export function parsePurl(purl: string): { groupName?: string; packageName: string; version?: string } | undefined {
  const match = /^pkg:\/*[A-Za-z][A-Za-z0-9.+-]*\/([^?#]+)/.exec(purl.trim());
  if (!match) return undefined;
  let path = match[1]!.replace(/\/+$/, '');
  let version: string | undefined;
  const at = path.lastIndexOf('@');
  if (at > path.lastIndexOf('/')) {
    version = path.slice(at + 1);
    path = path.slice(0, at);
  }
  try {
    const parts = path.split('/').filter((p) => p !== '').map((p) => decodeURIComponent(p));
    const packageName = parts.pop();
    if (!packageName) return undefined;
    return { packageName, groupName: parts.length ? parts.join('/') : undefined, version: version === undefined ? undefined : decodeURIComponent(version) };
  } catch {
    return undefined;
  }
}

export function packagesApiLayout(options?: PathLayoutOptions): FeedLayout {
  const prefix = compilePrefix('packagesApiLayout', options, '/api/packages/:feed/download');
  return {
    feedType: 'packages-api',
    resolve(req): FeedPackageRef | undefined {
      const segments = pathSegments(req);
      const match = segments && prefix.match(segments);
      if (!match || match.rest.length > 0) return undefined;
      const query = queryParams(req);
      const purl = query.get('purl');
      if (purl) {
        const parsed = parsePurl(purl);
        return parsed && ref(match.feedName, parsed.packageName, parsed.version, parsed.groupName);
      }
      return ref(match.feedName, query.get('name') ?? '', query.get('version') ?? undefined, query.get('group') ?? undefined);
    },
  };
}
