/**
 * Helm chart archives, anywhere under `{base}` (default `/helm/{feed}`): `{name}-{version}.tgz`, the
 * version a SemVer 2 version (Helm requires it), so a name may itself hold dashes (`my-chart-1.2.3.tgz`).
 */
import semver from 'semver';
import type { FeedLayout, PathLayoutOptions } from '../../types';
import { compilePrefix, pathSegments, ref, withoutSuffix } from './path';

/** Name and version out of a chart file name, or `undefined`. */
export function parseHelmFile(file: string): { name: string; version: string } | undefined {
  const stem = withoutSuffix(file, '.tgz');
  if (stem === undefined) return undefined;
  for (let i = stem.indexOf('-'); i > 0; i = stem.indexOf('-', i + 1)) {
    const version = stem.slice(i + 1);
    if (/^v?\d/.test(version) && semver.valid(version, { loose: false }) !== null) return { name: stem.slice(0, i), version };
  }
  return undefined;
}

export function helmLayout(options?: PathLayoutOptions): FeedLayout {
  const prefix = compilePrefix('helmLayout', options, '/helm/:feed');
  return {
    feedType: 'helm',
    resolve(req) {
      const segments = pathSegments(req);
      const match = segments && prefix.match(segments);
      if (!match || match.rest.length < 1) return undefined;
      const parsed = parseHelmFile(match.rest[match.rest.length - 1]!);
      return parsed && ref(match.feedName, parsed.name, parsed.version);
    },
  };
}
