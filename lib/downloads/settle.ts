/**
 * Settling a finished download: 2xx GET? → a layout read it → recording on → headers whole → served
 * version → feed catalogue → principal (the host's, else the auth adapter) → validator → queued. Every
 * download that carried headers ends in exactly one record queued or one skip.
 */
import type { Request, Response } from 'express';
import { Privileges } from '../auth/privileges';
import { randomUUID } from 'node:crypto';
import { extractCredentials } from '../http/credentials';
import { formatProblems } from '../http/errors';
import { requestPath } from '../http/request-path';
import type { FeedResolver } from '../feeds/catalogue';
import { ANONYMOUS, parseDeploymentDate } from '../record/deployment';
import type { Validator } from '../record/validate';
import type { BatchWriter } from '../write/batch-writer';
import { SERVED_PACKAGE_LOCAL } from './events';
import { isPartial, type Intake } from './intake';
import type { Reporter } from './report';
import type { AuthAdapter, DeployedContext, FeedPackageRef, Principal, ServedPackage } from '../types';

/** What settling a download needs from the middleware. */
export interface SettleContext {
  auth: AuthAdapter | undefined;
  initAuth(): Promise<void>;
  principalOf(req: Request): Principal | null | undefined;
  servedOf(req: Request, res: Response): ServedPackage | undefined | null;
  resolveFeed: FeedResolver;
  validate: Validator;
  queue: BatchWriter<DeployedContext>;
  report: Reporter;
}

export async function settleDownload(ctx: SettleContext, req: Request, res: Response, intake: Intake): Promise<void> {
  const skip = ctx.report.skip;
  const status = res.statusCode;
  if (req.method !== 'GET') return skip(req, intake, 'not_get', `${req.method} is not a download; only a GET answered 2xx is recorded.`, { status });
  if (status < 200 || status > 299) return skip(req, intake, 'download_failed', `the download was answered ${status}; only a 2xx download is recorded.`, { status });
  if (!intake.layout || !intake.ref) return skip(req, intake, 'not_a_download', 'the URL matches none of the configured download layouts.', { status });
  if (!intake.enabled) return skip(req, intake, 'disabled', `recording is switched off for feed "${intake.ref.feedName}".`, { status });
  if (intake.headerProblems.length > 0) {
    const problems = intake.headerProblems;
    return skip(req, intake, isPartial(problems) ? 'partial_headers' : 'invalid_headers', formatProblems(problems).replace(/\n/g, ' '), { status, problems });
  }
  const served = ctx.servedOf(req, res) ?? undefined;
  const pkg: FeedPackageRef = { ...intake.ref };
  if (served && typeof served === 'object') {
    for (const key of ['version', 'packageName', 'groupName'] as const) {
      if (typeof served[key] === 'string' && served[key] !== '') pkg[key] = served[key];
    }
  }
  if (pkg.version === undefined) {
    return skip(req, intake, 'latest_unknown', `the URL names no version and the route did not say which it served (set res.locals.${SERVED_PACKAGE_LOCAL} = { version }).`, { status });
  }
  const feedName = await ctx.resolveFeed(pkg.feedName);
  if (feedName === undefined) return skip(req, intake, 'unknown_feed', `feed "${pkg.feedName}" is not one of the configured feeds.`, { status });

  let principal: Principal | null = ctx.principalOf(req) ?? null;
  if (principal === null && ctx.auth) {
    await ctx.initAuth();
    let credentials;
    try {
      credentials = extractCredentials(req);
    } catch (err) {
      // A credential given twice: refused, as the router refuses it.
      return skip(req, intake, 'unauthorized', err instanceof Error ? err.message : String(err), { status });
    }
    const authenticated = await ctx.auth.authenticate(credentials, req);
    if (authenticated === false) return skip(req, intake, 'unauthorized', 'the credentials presented were refused by the auth adapter.', { status });
    principal = authenticated ?? null;
    if (!(await ctx.auth.authorize(principal, Privileges.Record, feedName))) {
      return skip(req, intake, 'unauthorized', `${principal ? `"${principal.name}"` : 'Anonymous'} may not record deployments on feed "${feedName}" (needs ${Privileges.Record}).`, { status });
    }
  }

  const receivedAt = new Date();
  const input: Record<string, string> = { FeedName: feedName, PackageName: pkg.packageName, Version: pkg.version };
  if (pkg.groupName !== undefined) input.GroupName = pkg.groupName;
  for (const [field, value] of Object.entries(intake.headers)) input[field] = value!;
  if (input.Date !== undefined && input.Date.trim() !== '' && parseDeploymentDate(input.Date) === undefined) {
    ctx.report.warn({
      code: 'date_unparseable',
      message: `X-ProGet-Deployment-Date "${input.Date.slice(0, 64)}" is not an ISO 8601 date; the time received was recorded instead.`,
      path: requestPath(req),
    });
    delete input.Date;
  }
  const result = ctx.validate(input, { receivedAt, defaultUserName: principal?.name ?? ANONYMOUS });
  if (!result.ok) {
    return skip(req, intake, 'invalid_package', `the package read from the URL is not valid: ${formatProblems(result.problems).replace(/\n/g, ' ')}`, { status, problems: result.problems });
  }
  // The record's identity, given at intake: the writer's retries can never store it twice.
  result.deployment.uid = randomUUID();
  if (intake.removed) result.deployment.removed = true;
  ctx.queue.enqueue(result.deployment, { source: 'feed', feedType: intake.layout.feedType, principal });
}
