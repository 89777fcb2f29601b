/**
 * NuGet v3 package content (flat container):
 * `{base}/{lower-id}/{lower-version}/{lower-id}.{lower-version}.nupkg`, base defaulting to
 * `/nuget/{feed}/v3/flatcontainer`. The URL holds the id in lower case, and so does the record, unless
 * the server names the package's own spelling in `res.locals.servedPackage.packageName`.
 */
import type { FeedLayout, PathLayoutOptions } from '../../types';
import { compilePrefix, pathSegments, ref } from './path';

export function nugetV3Layout(options?: PathLayoutOptions): FeedLayout {
  const prefix = compilePrefix('nugetV3Layout', options, '/nuget/:feed/v3/flatcontainer');
  return {
    feedType: 'nuget',
    resolve(req) {
      const segments = pathSegments(req);
      const match = segments && prefix.match(segments);
      if (!match || match.rest.length !== 3) return undefined;
      const [id, version, file] = match.rest as [string, string, string];
      if (file.toLowerCase() !== `${id}.${version}.nupkg`.toLowerCase()) return undefined;
      return ref(match.feedName, id, version);
    },
  };
}
