/**
 * Universal packages (UPack): `/upack/{feed}/download/{group…}/{name}/{version}`. The group may hold `/`
 * (any number of segments, or none); `?contentOnly=zip|tgz` may follow; `?latest` (no version) asks for
 * the latest version, which the server then names through `res.locals.servedPackage`.
 */
import type { FeedLayout, PathLayoutOptions } from '../../types';
import { compilePrefix, pathSegments, queryParams, ref } from './path';

export function upackLayout(options?: PathLayoutOptions): FeedLayout {
  const prefix = compilePrefix('upackLayout', options, '/upack/:feed/download');
  return {
    feedType: 'upack',
    resolve(req) {
      const segments = pathSegments(req);
      const match = segments && prefix.match(segments);
      if (!match) return undefined;
      const rest = match.rest;
      if (queryParams(req).has('latest')) {
        if (rest.length < 1) return undefined;
        return ref(match.feedName, rest[rest.length - 1]!, undefined, rest.slice(0, -1).join('/'));
      }
      if (rest.length < 2) return undefined;
      return ref(match.feedName, rest[rest.length - 2]!, rest[rest.length - 1]!, rest.slice(0, -2).join('/'));
    },
  };
}
