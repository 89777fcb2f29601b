/**
 * The record endpoint, `POST /api/package-deployment/` (wire contract, section 1): HTTP in → body →
 * credentials → the auth adapter decides → feed resolved → validator → the record's identity (uid) →
 * [Idempotency-Key claimed] → batch writer → store → 200 (only after the commit) → `deployed`.
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
import { randomUUID } from 'node:crypto';
import { newRecordUid } from '../util/record-uid';
import {
  callerScope,
  duplicateUid,
  IDEMPOTENCY_HEADER,
  IDEMPOTENCY_IN_FLIGHT_TIMEOUT_MS,
  idempotencyId,
  idempotencyKeyOf,
  idempotentUid,
  payloadFingerprint,
} from './idempotency';
import { removedOf } from './removal';
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
  /** The store that keeps `Idempotency-Key`s (the router's store; `store` may be a writer's wrapper of it). */
  keyStore: DeploymentStore;
  /** `Idempotency-Key` claims in the store, and how long a key is kept; `false`: keys only give the uid. */
  idempotency: false | { expiresAfterMs: number };
  /** The duplicate rule: equal records (feed, group, package, version, target, date) are stored once. */
  ignoreDuplicates: boolean;
  /** The principal the host's own login established (the router's `principal` option), if any. */
  hostPrincipal?: (req: Request) => Principal | null | undefined;
}

/** The FeedName of a body (matched case-insensitively, trimmed), when it is a non-empty string. */
function feedNameOf(body: unknown): string | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const value = pickFields(body).values.FeedName;
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/**
 * Releases a claimed key after a failure, in the background, trying again for a while: the failure is
 * often the database connection itself, and a key left claimed would answer the client's retry 409
 * until it is taken over (IDEMPOTENCY_IN_FLIGHT_TIMEOUT_MS).
 */
function releaseKey(store: DeploymentStore, keyId: string, claim: string): void {
  void (async () => {
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        await store.settleIdempotencyKey!(keyId, claim, null);
        return;
      } catch {
        // Unref'd: a process that is shutting down does not wait for this.
        await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** attempt)).unref());
      }
    }
  })();
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
      const removal = removedOf(req.body);
      if (!result.ok || removal.problem) throw invalidDeployment([...(result.problems ?? []), ...(removal.problem ? [removal.problem] : [])]);
      const deployment = result.deployment;
      if (removal.removed) deployment.removed = true;
      // A valid body always names its feed (FeedName is required), so `feed` is known here.
      if (feed === undefined) throw forbidden();
      deployment.feedName = feed;

      // The record's identity, given here at intake: a retried write of it can never store it twice.
      const key = idempotencyKeyOf(req.headers['idempotency-key']);
      const keyId = key !== undefined ? idempotencyId(callerScope(principal), key) : undefined;
      const fingerprint = keyId !== undefined ? payloadFingerprint(req.body) : '';
      deployment.uid = ctx.ignoreDuplicates ? duplicateUid(deployment) : keyId !== undefined ? idempotentUid(keyId, fingerprint) : newRecordUid();

      const { keyStore: store, idempotency } = ctx;
      const claimed = keyId !== undefined && idempotency !== false && store.claimIdempotencyKey !== undefined && store.settleIdempotencyKey !== undefined;
      const fromStore = async <T>(run: () => T | Promise<T>): Promise<T> => {
        try {
          await ctx.initStore();
          return await run();
        } catch (err) {
          throw storageError(err, ctx.retryAfterSeconds);
        }
      };
      const claim = randomUUID();
      if (claimed) {
        const now = new Date();
        let state;
        try {
          state = await fromStore(() => store.claimIdempotencyKey!({
            id: keyId,
            fingerprint,
            claim,
            now,
            expiresAt: new Date(now.getTime() + idempotency.expiresAfterMs),
            staleBefore: new Date(now.getTime() - IDEMPOTENCY_IN_FLIGHT_TIMEOUT_MS),
          }));
        } catch (err) {
          // The claim may have been stored before the connection broke: release it (only ours).
          releaseKey(store, keyId, claim);
          throw err;
        }
        if (state.state !== 'claimed' && state.fingerprint !== fingerprint) {
          throw new DeploymentError(422, 'idempotency_key_reused', `${IDEMPOTENCY_HEADER}: this key was used with a different payload; use a new key for a new deployment.`);
        }
        if (state.state === 'in_flight') {
          throw new DeploymentError(409, 'idempotency_key_in_use', `${IDEMPOTENCY_HEADER}: a request with this key is still being processed; retry once it has been answered.`, { headers: { 'Retry-After': '1' } });
        }
        if (state.state === 'done') {
          // The first answer, replayed: nothing is stored, no event fires.
          res.status(state.status).end();
          return;
        }
      }

      let stored: DeploymentRecord;
      try {
        stored = await fromStore(() => ctx.writer.write(deployment));
        if (claimed) await fromStore(() => store.settleIdempotencyKey!(keyId, claim, { status: 200, recordId: stored.id }));
      } catch (err) {
        // The key is released, so that the client may retry with it; the record's uid keeps that retry
        // from storing it twice.
        if (claimed) releaseKey(store, keyId, claim);
        throw err;
      }
      // 200 only now: the store has committed the record.
      res.status(200).end();
      // A record the store already had (the duplicate rule, the retry of a write whose answer was lost)
      // was announced when it was first stored: the event fires once per stored record.
      if (stored.receivedAt.getTime() === deployment.receivedAt.getTime()) {
        emitDeployed(ctx.events, ctx.logger, ctx.onRecorded, stored, { source: 'api', principal });
      }
    } catch (err) {
      next(err);
    }
  }
  return [...deploymentBodyParser(ctx.bodyLimit), record];
}
