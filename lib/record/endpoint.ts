/**
 * The record endpoint, `POST /api/package-deployment/` (wire contract, section 1): HTTP in → body →
 * credentials → the auth adapter decides → feed resolved → validator → batch writer → store → 200
 * (only after the commit) → `deployed`.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { Privileges } from '../auth/privileges';
import { extractCredentials } from '../http/credentials';
import { DeploymentError, feedNotFound, forbidden, invalidDeployment, storageError } from '../http/errors';
import type { FeedResolver } from '../feeds/catalogue';
import { decideFeed } from '../feeds/decide';
import { emitDeployed } from '../write/events';
import type { BatchWriter } from '../write/batch-writer';
import { deploymentBodyParser } from './body';
import { ANONYMOUS, pickFields } from './deployment';
import type { Validator } from './validate';
import type { AuthAdapter, DeployedContext, DeploymentEvents, DeploymentRecord, DeploymentStore, Logger, Principal } from '../types';

/** The path of the record endpoint and of the read API. */
export const RECORD_PATH = '/api/package-deployment';

/** What the record endpoint needs from the router. */
export interface RecordContext {
  store: DeploymentStore;
  auth: AuthAdapter;
  resolveFeed: FeedResolver;
  validate: Validator;
  /** The batch writer (awaited: resolves once the record is committed). */
  writer: BatchWriter<never>;
  events: DeploymentEvents;
  logger: Logger;
  onRecorded: ((record: DeploymentRecord, context: DeployedContext) => void | Promise<void>) | undefined;
  bodyLimit: number | string;
  retryAfterSeconds: number;
  initStore(): Promise<void>;
  initAuth(): Promise<void>;
  /** The principal the host's own login established (the router's `principal` option), if any. */
  hostPrincipal?: (req: Request) => Principal | null | undefined;
}

/** The FeedName of a body (matched case-insensitively, trimmed), when it is a non-empty string. */
function feedNameOf(body: unknown): string | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const value = pickFields(body).values.get('FeedName');
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** The body parsers and the handler of the record endpoint, to mount at `POST {RECORD_PATH}`. */
export function recordHandlers(ctx: RecordContext): RequestHandler[] {
  async function record(req: Request, res: Response, next: NextFunction): Promise<void> {
    try {
      const receivedAt = new Date();
      // The host's own login first (it is only asked about, below); else the credentials the request presents.
      let principal: Principal | null = ctx.hostPrincipal?.(req) ?? null;
      if (principal === null) {
        await ctx.initAuth();
        const authenticated = await ctx.auth.authenticate(extractCredentials(req), req);
        if (authenticated === false) throw forbidden();
        principal = authenticated ?? null;
      }

      if (req.body === undefined || req.headers['content-length'] === '0') {
        throw new DeploymentError(400, 'malformed_body', 'The request has no body: send the deployment as JSON or as a form (Application, Description, Target, FeedName, PackageName, Version).');
      }
      // One order of decisions (feeds/decide.ts): authorize on the feed the body names, resolve it, and only
      // then validate, so that a caller who may not record learns nothing about the body or the feeds.
      const requestedFeed = feedNameOf(req.body);
      let feed: string | undefined;
      if (requestedFeed !== undefined) {
        const decision = await decideFeed(ctx.auth, principal, Privileges.Record, requestedFeed, ctx.resolveFeed);
        if (!decision.ok) throw decision.reason === 'forbidden' ? forbidden() : feedNotFound(requestedFeed);
        feed = decision.feed;
      }

      const result = ctx.validate(req.body, { receivedAt, defaultUserName: principal?.name ?? ANONYMOUS });
      if (!result.ok) throw invalidDeployment(result.problems);
      const deployment = result.deployment;
      // A valid body always names its feed (FeedName is required), so `feed` is known here.
      if (feed === undefined) throw forbidden();
      deployment.feedName = feed;

      let stored;
      try {
        await ctx.initStore();
        stored = await ctx.writer.write(deployment);
      } catch (err) {
        throw storageError(err, ctx.retryAfterSeconds);
      }
      // 200 only now: the store has committed the record.
      res.status(200).end();
      if (stored) emitDeployed(ctx.events, ctx.logger, ctx.onRecorded, stored, { source: 'api', principal });
    } catch (err) {
      next(err);
    }
  }
  return [...deploymentBodyParser(ctx.bodyLimit), record];
}
