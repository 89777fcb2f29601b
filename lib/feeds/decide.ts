/**
 * The one order of decisions every path takes once the caller is authenticated: authorize on the feed
 * as the request names it, then resolve it in the catalogue, then (when the catalogue spells it
 * differently) authorize on the catalogue's name too. Only then is the input validated.
 *
 * So an unknown feed has one answer everywhere: a caller without the privilege on that name is refused
 * (403 on the record endpoint and the read API, `unauthorized` for a download) whatever the feed, and
 * learns nothing about which feeds exist; a caller with the privilege is told the feed does not exist
 * (404, `unknown_feed`).
 */
import type { AuthAdapter, Principal, Privilege } from '../types';
import type { FeedResolver } from './catalogue';

export type FeedDecision =
  | { ok: true; feed: string }
  | { ok: false; reason: 'forbidden' | 'unknown_feed' };

export async function decideFeed(
  auth: AuthAdapter,
  principal: Principal | null,
  privilege: Privilege,
  requested: string,
  resolveFeed: FeedResolver,
): Promise<FeedDecision> {
  if (!(await auth.authorize(principal, privilege, requested))) return { ok: false, reason: 'forbidden' };
  const feed = await resolveFeed(requested);
  if (feed === undefined) return { ok: false, reason: 'unknown_feed' };
  if (feed !== requested && !(await auth.authorize(principal, privilege, feed))) return { ok: false, reason: 'forbidden' };
  return { ok: true, feed };
}
