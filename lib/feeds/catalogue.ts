/** Resolves a feed name against the configured catalogue: the canonical name, or undefined (404). */
import { invalidOption } from '../options';
import type { FeedCatalogue } from '../types';

export type FeedResolver = (name: string) => Promise<string | undefined>;

/** Reads the `feeds` option of `factory` once. */
export function feedResolver(factory: string, catalogue: FeedCatalogue | undefined): FeedResolver {
  if (catalogue === undefined) return async (name) => name;
  if (Array.isArray(catalogue)) {
    if (!catalogue.every((f) => typeof f === 'string' && f.trim() !== '')) invalidOption(factory, 'feeds', 'must list feed names as non-empty strings.');
    const byLower = new Map(catalogue.map((f: string) => [f.toLowerCase(), f] as const));
    return async (name) => byLower.get(name.toLowerCase());
  }
  if (typeof catalogue === 'function') {
    return async (name) => {
      const answer = await (catalogue as (n: string) => unknown)(name);
      if (typeof answer === 'string' && answer !== '') return answer;
      return answer === true ? name : undefined;
    };
  }
  return invalidOption(factory, 'feeds', 'must be an array of feed names or a function (name) => canonicalName | boolean.');
}
