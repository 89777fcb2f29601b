/**
 * NuGet v2 downloads: `/nuget/{feed}/package/{id}/{version}`; `/nuget/{feed}/package/{id}` is the latest
 * version. The id is recorded as the URL spells it.
 */
import type { FeedLayout, PathLayoutOptions } from '../../types';
import { compilePrefix, pathSegments, ref } from './path';

export function nugetV2Layout(options?: PathLayoutOptions): FeedLayout {
  const prefix = compilePrefix('nugetV2Layout', options, '/nuget/:feed/package');
  return {
    feedType: 'nuget',
    resolve(req) {
      const segments = pathSegments(req);
      const match = segments && prefix.match(segments);
      if (!match || match.rest.length < 1 || match.rest.length > 2) return undefined;
      return ref(match.feedName, match.rest[0]!, match.rest[1]);
    },
  };
}
