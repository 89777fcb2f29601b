/** Your own function reads feed, group, name and version from the request. */
import type { Request } from 'express';
import type { FeedLayout, FeedPackageRef } from '../../types';
import { ref } from './path';

export function customLayout(resolve: (req: Request) => FeedPackageRef | undefined | null, options: { feedType?: string } = {}): FeedLayout {
  if (typeof resolve !== 'function') {
    throw new TypeError('customLayout(resolve): resolve must be a function (req) => ({ feedName, packageName, version?, groupName? }) or undefined.');
  }
  return {
    feedType: options.feedType ?? 'custom',
    resolve(req) {
      const found = resolve(req);
      if (!found || typeof found.feedName !== 'string' || typeof found.packageName !== 'string' || found.feedName === '') return undefined;
      return ref(found.feedName, found.packageName, found.version ?? undefined, found.groupName ?? undefined);
    },
  };
}
