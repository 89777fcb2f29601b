/**
 * Deciding a read: who is calling (the auth adapter's principal), then the feed resolved and
 * `Feeds_ViewPackage` checked on it, then the range read with the feed's scheme.
 */
import type { Request } from 'express';
import { Privileges } from '../auth/privileges';
import { extractCredentials } from '../http/credentials';
import { feedNotFound, forbidden } from '../http/errors';
import { checkPackageQuery } from '../store/queries';
import { parseVersionRange } from '../versions/registry';
import type { ReadContext } from './context';
import { badQuery, type ReadRequest } from './parameters';
import { decideFeed } from '../feeds/decide';
import type { DeploymentQuery, Principal, Problem } from '../types';

/**
 * Who is calling: the host's principal (the router's `principal` option) when the host established one,
 * else the adapter's principal, or `null`; refused credentials are a 403.
 */
export async function principalOf(ctx: ReadContext, req: Request): Promise<Principal | null> {
  const host = ctx.hostPrincipal?.(req);
  if (host) return host;
  await ctx.initAuth();
  const authenticated = await ctx.auth.authenticate(extractCredentials(req), req);
  if (authenticated === false) throw forbidden();
  return authenticated ?? null;
}

/**
 * The one order of decisions (feeds/decide.ts), for reading: checks the caller may view the feed and
 * resolves it (or, with no feed, restricts the query to the listed feeds they may view); only then are
 * the parameters' `problems` answered (400); then the range is read with the feed's scheme. Mutates and
 * returns `request.query`.
 */
export async function authorizeRead(ctx: ReadContext, principal: Principal | null, request: ReadRequest, problems: readonly Problem[] = []): Promise<DeploymentQuery> {
  const query = request.query;
  if (query.feedName !== undefined) {
    const decision = await decideFeed(ctx.auth, principal, Privileges.View, query.feedName, ctx.resolveFeed);
    if (!decision.ok) throw decision.reason === 'forbidden' ? forbidden() : feedNotFound(query.feedName);
    query.feedName = decision.feed;
  } else if (ctx.feedList) {
    const allowed: string[] = [];
    for (const feed of ctx.feedList) if (await ctx.auth.authorize(principal, Privileges.View, feed)) allowed.push(feed);
    if (allowed.length === 0) throw forbidden();
    query.feedNames = allowed;
  }
  if (problems.length > 0) throw badQuery(problems);
  if (query.feedName === undefined && !ctx.feedList && request.range === undefined && !query.current) {
    throw badQuery([{ field: 'feed', message: 'required: read access is granted per feed, and this server has no list of feeds (the `feeds` option) to read them all.' }]);
  }
  if (request.range !== undefined) {
    checkPackageQuery({ ...query, versionRange: {} as never });
    query.versionRange = parseVersionRange(ctx.schemeFor(query.feedName!), request.range);
  }
  checkPackageQuery(query);
  return query;
}

