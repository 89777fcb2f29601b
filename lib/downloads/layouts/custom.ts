/** Your own function reads feed, group, name and version from the request. */
import type { Request } from 'express';
import type { FeedLayout, FeedPackageRef } from '../../types';
import { invalidOption, readOptions } from '../../options';
import { ref } from './path';

export function customLayout(resolve: (req: Request) => FeedPackageRef | undefined | null, given?: { feedType?: string }): FeedLayout {
  if (typeof resolve !== 'function') {
    invalidOption('customLayout', 'resolve', 'must be a function (req) => ({ feedName, packageName, version?, groupName? }) or undefined.');
  }
  const options = readOptions('customLayout', given, ['feedType'], '{ feedType: "nuget" }');
  if (options.feedType !== undefined && (typeof options.feedType !== 'string' || options.feedType === '')) invalidOption('customLayout', 'feedType', 'must be a non-empty string such as "nuget".');
  return {
    feedType: options.feedType ?? 'custom',
    resolve(req) {
      const found = resolve(req);
      if (!found || typeof found.feedName !== 'string' || typeof found.packageName !== 'string' || found.feedName === '') return undefined;
      return ref(found.feedName, found.packageName, found.version ?? undefined, found.groupName ?? undefined);
    },
  };
}
