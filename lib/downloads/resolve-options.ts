/** Reading the middleware's `enabled` and `layouts` options, once, at construction. */
import { checkMethods, invalidOption } from '../options';
import { progetLayouts } from './layouts';
import type { FeedDeploymentsOptions, FeedLayout } from '../types';

export function resolveEnabled(enabled: FeedDeploymentsOptions['enabled']): (feed: string) => boolean {
  if (enabled === undefined || enabled === true) return () => true;
  if (enabled === false) return () => false;
  if (Array.isArray(enabled)) {
    const names = new Set(enabled.map((f: string) => String(f).toLowerCase()));
    return (feed) => names.has(feed.toLowerCase());
  }
  if (typeof enabled === 'function') return (feed) => enabled(feed) === true;
  return invalidOption('feedDeployments', 'enabled', 'must be a boolean, a list of feed names, or a function (feedName) => boolean.');
}

export function resolveLayouts(layouts: FeedDeploymentsOptions['layouts']): readonly FeedLayout[] {
  if (layouts === undefined) return progetLayouts();
  const list = (Array.isArray(layouts) ? layouts : [layouts]) as FeedLayout[];
  if (list.length === 0) invalidOption('feedDeployments', 'layouts', 'is empty; give at least one, such as [nugetV2Layout()], or leave it out for every ProGet layout.');
  list.forEach((l, i) => checkMethods(`feedDeployments: layouts[${i}]`, l, ['resolve'], 'Use upackLayout(), npmLayout(), routeParamsLayout(), customLayout(fn)... (called, not bare).'));
  return list;
}
