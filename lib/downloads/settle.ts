/**
 * Settling a finished download: 2xx GET? → a layout read it → recording on → headers whole → served
 * version → feed catalogue → principal (the host's, else the auth adapter) → validator → queued. Every
 * download that carried headers ends in exactly one record queued or one skip.
 */
import type { Request, Response } from 'express';
import { Privileges } from '../auth/privileges';
import { newRecordUid } from '../util/record-uid';
import { extractCredentials } from '../http/credentials';
import { formatProblems } from '../http/errors';
import { requestPath } from '../http/request-path';
import type { FeedResolver } from '../feeds/catalogue';
import { decideFeed } from '../feeds/decide';
import { ANONYMOUS } from '../record/deployment';
import type { FieldValidator } from '../record/validate';
import type { BatchWriter } from '../write/batch-writer';
import { SERVED_PACKAGE_LOCAL } from './events';
import { downloadInput, headerProblemsOf, isPartial, type Intake } from './intake';
import type { Reporter } from './report';
import type { AuthAdapter, DeployedContext, FeedPackageRef, Principal, ServedPackage } from '../types';

/** What settling a download needs from the middleware. */
export interface SettleContext {
  auth: AuthAdapter | undefined;
  initAuth(): Promise<void>;
  principalOf(req: Request): Principal | null | undefined;
  servedOf(req: Request, res: Response): ServedPackage | undefined | null;
  resolveFeed: FeedResolver;
  validate: FieldValidator;
  queue: BatchWriter<DeployedContext>;
  report: Reporter;
}

/** The caller and the feed of a download, decided in the one order; or why it is not recorded. */
export type DownloadDecision =
  | { ok: true; principal: Principal | null; feed: string }
  | { ok: false; reason: 'unauthorized' | 'unknown_feed'; message: string };

export async function decideDownload(
  ctx: Pick<SettleContext, 'auth' | 'initAuth' | 'principalOf' | 'resolveFeed'>,
  req: Request,
  requestedFeed: string,
): Promise<DownloadDecision> {
  const unknown = { ok: false as const, reason: 'unknown_feed' as const, message: `feed "${requestedFeed}" is not one of the configured feeds.` };
  // A principal the host set is used as is: the download route already authorized it.
  let principal: Principal | null = ctx.principalOf(req) ?? null;
  if (principal !== null || !ctx.auth) {
    const feed = await ctx.resolveFeed(requestedFeed);
    return feed === undefined ? unknown : { ok: true, principal, feed };
  }
  await ctx.initAuth();
  let credentials;
  try {
    credentials = extractCredentials(req);
  } catch (err) {
    // A credential given twice: refused, as the router refuses it.
    return { ok: false, reason: 'unauthorized', message: err instanceof Error ? err.message : String(err) };
  }
  const authenticated = await ctx.auth.authenticate(credentials, req);
  if (authenticated === false) return { ok: false, reason: 'unauthorized', message: 'the credentials presented were refused by the auth adapter.' };
  principal = authenticated ?? null;
  const decision = await decideFeed(ctx.auth, principal, Privileges.Record, requestedFeed, ctx.resolveFeed);
  if (decision.ok) return { ok: true, principal, feed: decision.feed };
  if (decision.reason === 'unknown_feed') return unknown;
  return { ok: false, reason: 'unauthorized', message: `${principal ? `"${principal.name}"` : 'Anonymous'} may not record deployments on feed "${requestedFeed}" (needs ${Privileges.Record}).` };
}

export async function settleDownload(ctx: SettleContext, req: Request, res: Response, intake: Intake): Promise<void> {
  const skip = ctx.report.skip;
  const status = res.statusCode;
  if (req.method !== 'GET') return skip(req, intake, 'not_get', `${req.method} is not a download; only a GET answered 2xx is recorded.`, { status });
  if (status < 200 || status > 299) return skip(req, intake, 'download_failed', `the download was answered ${status}; only a 2xx download is recorded.`, { status });
  if (!intake.layout || !intake.ref) return skip(req, intake, 'not_a_download', 'the URL matches none of the configured download layouts.', { status });
  if (!intake.enabled) return skip(req, intake, 'disabled', `recording is switched off for feed "${intake.ref.feedName}".`, { status });
  // One order of decisions (feeds/decide.ts): who the caller is and whether they may record on the feed,
  // then the feed resolved, and only then the headers and the package validated.
  const decided = intake.decided ?? (await decideDownload(ctx, req, intake.ref.feedName));
  if (!decided.ok) return skip(req, intake, decided.reason, decided.message, { status });
  const { principal, feed: feedName } = decided;
  const served = ctx.servedOf(req, res) ?? undefined;
  const pkg: FeedPackageRef = { ...intake.ref, feedName };
  if (served && typeof served === 'object') {
    for (const key of ['version', 'packageName', 'groupName'] as const) {
      if (typeof served[key] === 'string' && served[key] !== '') pkg[key] = served[key];
    }
  }
  // The one validation pass of the download: the package (URL, route) and the headers together.
  const { values, unparseableDate } = downloadInput(pkg, intake.headers);
  const result = ctx.validate(values, { receivedAt: new Date(), defaultUserName: principal?.name ?? ANONYMOUS });
  const headerProblems = intake.headerProblems ?? [...(result.ok ? [] : headerProblemsOf(result.problems)), ...(intake.removalProblem ? [intake.removalProblem] : [])];
  if (headerProblems.length > 0) {
    return skip(req, intake, isPartial(headerProblems) ? 'partial_headers' : 'invalid_headers', formatProblems(headerProblems).replace(/\n/g, ' '), { status, problems: headerProblems });
  }
  if (pkg.version === undefined) {
    return skip(req, intake, 'latest_unknown', `the URL names no version and the route did not say which it served (set res.locals.${SERVED_PACKAGE_LOCAL} = { version }).`, { status });
  }
  if (!result.ok) {
    return skip(req, intake, 'invalid_package', `the package read from the URL is not valid: ${formatProblems(result.problems).replace(/\n/g, ' ')}`, { status, problems: result.problems });
  }
  if (unparseableDate !== undefined) {
    ctx.report.warn({
      code: 'date_unparseable',
      message: `X-ProGet-Deployment-Date "${unparseableDate.slice(0, 64)}" is not an ISO 8601 date; the time received was recorded instead.`,
      path: requestPath(req),
    });
  }
  // The record's identity, given at intake: the writer's retries can never store it twice.
  result.deployment.uid = newRecordUid();
  if (intake.removed) result.deployment.removed = true;
  ctx.queue.enqueue(result.deployment, { source: 'feed', feedType: intake.layout.feedType, principal });
}
