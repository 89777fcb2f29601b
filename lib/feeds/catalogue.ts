/** Resolves a feed name against the configured catalogue: the canonical name, or undefined (404). */
import type { FeedCatalogue } from '../types';

export type FeedResolver = (name: string) => Promise<string | undefined>;

export function feedResolver(catalogue: FeedCatalogue | undefined): FeedResolver {
  if (catalogue === undefined) return async (name) => name;
  if (Array.isArray(catalogue)) {
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
  throw new TypeError('options.feeds must be an array of feed names or a function (name) => canonicalName | boolean.');
}
