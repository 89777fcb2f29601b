/**
 * Express route parameters: mount the middleware in the route's own stack
 * (`app.get('/files/:feed/:name/:version', feedDeployments(...), serveFile)`) and name which parameter
 * holds what. Wildcard parameters (Express 5 `*group` arrays) are joined with `/`.
 */
import type { Request } from 'express';
import type { FeedLayout, RouteParamsLayoutOptions } from '../../types';
import { ref } from './path';

function param(req: Request, name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const value = (req.params as Record<string, unknown> | undefined)?.[name];
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join('/');
  return undefined;
}

export function routeParamsLayout(options: RouteParamsLayoutOptions = {}): FeedLayout {
  const { feedType = 'custom', feed, params = {} } = options;
  const names = { feed: 'feed', group: 'group', name: 'name', version: 'version', ...params };
  if (feed !== undefined && (typeof feed !== 'string' || feed.trim() === '')) {
    throw new TypeError('routeParamsLayout: feed must be a non-empty feed name, or left out to read it from the ":feed" parameter.');
  }
  return {
    feedType,
    resolve(req) {
      const feedName = feed ?? param(req, names.feed);
      const packageName = param(req, names.name);
      if (!feedName || !packageName) return undefined;
      return ref(feedName, packageName, param(req, names.version), param(req, names.group));
    },
  };
}
