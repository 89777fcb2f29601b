/**
 * Express route parameters: mount the middleware in the route's own stack
 * (`app.get('/files/:feed/:name/:version', feedDeployments(...), serveFile)`) and name which parameter
 * holds what. Wildcard parameters (Express 5 `*group` arrays) are joined with `/`.
 */
import type { Request } from 'express';
import type { FeedLayout, RouteParamsLayoutOptions } from '../../types';
import { checkOptionKeys, invalidOption, optionNames, readOptions } from '../../options';
import { ref } from './path';

const KNOWN_OPTIONS = optionNames<RouteParamsLayoutOptions>()('feedType', 'feed', 'params');
const PARAM_NAMES = ['feed', 'group', 'name', 'version'] as const;

function param(req: Request, name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const value = (req.params as Record<string, unknown> | undefined)?.[name];
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join('/');
  return undefined;
}

export function routeParamsLayout(options?: RouteParamsLayoutOptions): FeedLayout {
  const { feedType = 'custom', feed, params = {} } = readOptions('routeParamsLayout', options, KNOWN_OPTIONS, "{ params: { name: 'id', version: 'version' } }");
  if (typeof feedType !== 'string' || feedType === '') invalidOption('routeParamsLayout', 'feedType', 'must be a non-empty string such as "nuget".');
  if (!params || typeof params !== 'object') invalidOption('routeParamsLayout', 'params', "must be an object such as { name: 'id' }.");
  checkOptionKeys('routeParamsLayout: params', params, PARAM_NAMES);
  const names = { feed: 'feed', group: 'group', name: 'name', version: 'version', ...params };
  if (feed !== undefined && (typeof feed !== 'string' || feed.trim() === '')) {
    invalidOption('routeParamsLayout', 'feed', 'must be a non-empty feed name, or left out to read it from the ":feed" parameter.');
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
