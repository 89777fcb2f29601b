/**
 * npm tarballs: `{base}/{@scope/}{name}/-/{name}-{version}.tgz`, base defaulting to `/npm/{feed}`. The
 * scope is the group and keeps its `@` (`@babel`), as the URL and package URLs write it. A scope and name
 * sent as one encoded segment (`@scope%2fname`) are read the same.
 */
import type { FeedLayout, PathLayoutOptions } from '../../types';
import { compilePrefix, pathSegments, ref, withoutSuffix } from './path';

export function npmLayout(options?: PathLayoutOptions): FeedLayout {
  const prefix = compilePrefix('npmLayout', options, '/npm/:feed');
  return {
    feedType: 'npm',
    resolve(req) {
      const segments = pathSegments(req);
      const match = segments && prefix.match(segments);
      if (!match) return undefined;
      let rest = match.rest;
      let scope: string | undefined;
      if (rest[0]?.startsWith('@')) {
        const slash = rest[0].indexOf('/');
        if (slash > 0) rest = [rest[0].slice(slash + 1), ...rest.slice(1)];
        else rest = rest.slice(1);
        scope = slash > 0 ? match.rest[0]!.slice(0, slash) : match.rest[0]!;
        if (scope.length < 2) return undefined;
      }
      if (rest.length !== 3 || rest[1] !== '-') return undefined;
      const [name, , file] = rest as [string, string, string];
      const stem = withoutSuffix(file, '.tgz');
      if (stem === undefined || !stem.startsWith(`${name}-`)) return undefined;
      return ref(match.feedName, name, stem.slice(name.length + 1), scope);
    },
  };
}
