/**
 * createDeploymentRouter(): ProGet's record endpoint, `POST /api/package-deployment/`, and the read API
 * (`GET /api/package-deployment`, `.../current`) and History pages (`/deployments/{feed}/{package}`).
 * HTTP in → body → credentials → the auth adapter decides → validator → store → answer.
 */
import { Router, type NextFunction, type Request, type Response } from 'express';
import { apiKeyAuth } from './auth/api-keys';
import { Privileges } from './auth/privileges';
import { deploymentBodyParser } from './record/body';
import { extractCredentials } from './http/credentials';
import { ANONYMOUS, pickFields } from './record/deployment';
import { randomUUID } from 'node:crypto';
import {
  callerScope,
  DEFAULT_IDEMPOTENCY_EXPIRY_MS,
  duplicateUid,
  IDEMPOTENCY_HEADER,
  IDEMPOTENCY_IN_FLIGHT_TIMEOUT_MS,
  idempotencyId,
  idempotencyKeyOf,
  idempotentUid,
  payloadFingerprint,
} from './record/idempotency';
import { removedOf } from './record/removal';
import bodyParser from 'body-parser';
import { createAuditor } from './retention/audit';
import { deleteHandler, purgeHandler } from './retention/purge-api';
import { checkRetention, scheduleRetention } from './retention/schedule';
import { sendError } from './http/send-error';
import { DeploymentError, feedNotFound, forbidden, invalidDeployment, storageError, toDeploymentError } from './http/errors';
import { createEvents, emitDeployed } from './write/events';
import { feedResolver } from './feeds/catalogue';
import { createGroupCommit, resolveMaxBatch } from './write/group-commit';
import { checkCalledAsFactory, checkMethods, checkOptionKeys } from './options';
import { createKnexStore } from './store/knex-store';
import { once } from './util/once';
import { createValidator } from './record/validate';
import { historyPageHandler } from './read/history-page';
import { readHandler, type ReadContext } from './read/read-api';
import { schemeResolver } from './versions/registry';
import type { AuthAdapter, DeploymentEvents, DeploymentRecord, DeploymentRouterOptions, DeploymentStore, Logger, Principal, PurgePolicy, PurgeResult } from './types';

/** The router, plus what it was built with. */
export type DeploymentRouter = Router & {
  /** Emits `deployed` (record, context) after each committed record. */
  readonly events: DeploymentEvents;
  readonly store: DeploymentStore;
  readonly auth: AuthAdapter;
  /**
   * Applies a retention policy (a dry run unless `dryRun: false`), as the purge API does: a `purged`
   * event and a log line naming `by` (defaults to `"store API"`).
   */
  purge(policy: PurgePolicy, by?: string): Promise<PurgeResult>;
  /** Deletes one record by id, with a `deployment-deleted` event and a log line; `undefined` when there was none. */
  deleteRecord(id: string, by?: string): Promise<DeploymentRecord | undefined>;
  /** Closes what the router created itself (the default store, the `apiKeys` adapter); what you passed in stays open. */
  close(): Promise<void>;
};

const KNOWN_OPTIONS = [
  'store', 'auth', 'apiKeys', 'feeds', 'bodyLimit', 'limits', 'onRecorded', 'events', 'logger', 'retryAfterSeconds',
  'versionSchemes', 'defaultVersionScheme', 'historyPath', 'groupCommit', 'idempotency', 'ignoreDuplicates', 'retention',
] as const;

function resolveIdempotency(setting: DeploymentRouterOptions['idempotency']): false | { expiresAfterMs: number } {
  if (setting === false) return false;
  if (setting === undefined) return { expiresAfterMs: DEFAULT_IDEMPOTENCY_EXPIRY_MS };
  if (setting === null || typeof setting !== 'object') {
    throw new TypeError('createDeploymentRouter: idempotency must be an object such as { expiresAfterMs: 86400000 }, or false.');
  }
  checkOptionKeys('createDeploymentRouter: idempotency', setting, ['expiresAfterMs']);
  const ms = setting.expiresAfterMs ?? DEFAULT_IDEMPOTENCY_EXPIRY_MS;
  if (!Number.isInteger(ms) || ms < 1000) {
    throw new TypeError(`createDeploymentRouter: idempotency.expiresAfterMs must be a whole number of milliseconds, at least 1000 (got ${String(ms)}).`);
  }
  return { expiresAfterMs: ms };
}

/** Where the History pages are mounted unless `historyPath` says otherwise. */
export const DEFAULT_HISTORY_PATH = '/deployments';

export const RECORD_PATH = '/api/package-deployment';

/** The FeedName of a body (matched case-insensitively, trimmed), when it is a non-empty string. */
function feedNameOf(body: unknown): string | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const value = pickFields(body).values.get('FeedName');
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}


function resolveAuth(options: DeploymentRouterOptions): AuthAdapter {
  if (options.auth !== undefined && options.apiKeys !== undefined) {
    throw new TypeError('createDeploymentRouter: give either `auth` or `apiKeys`, not both.');
  }
  if (options.apiKeys !== undefined) return apiKeyAuth({ keys: options.apiKeys });
  if (options.auth === undefined) {
    throw new TypeError(
      'createDeploymentRouter: say who may record deployments. Pass `apiKeys: [{ name, key }]`, ' +
        '`auth: apiKeyAuth({ keys })`, `auth: customAuth({ authenticate })`, or `auth: anonymousAuth()` for an open server.',
    );
  }
  checkMethods('createDeploymentRouter: options.auth', options.auth, ['authenticate', 'authorize'], 'Use apiKeyAuth(), anonymousAuth(), customAuth() or an object implementing AuthAdapter.');
  return options.auth;
}

function historyPathOf(setting: string | false | undefined): string | undefined {
  if (setting === false) return undefined;
  if (setting === undefined) return DEFAULT_HISTORY_PATH;
  if (typeof setting !== 'string' || !/^\/[\w./-]*$/.test(setting)) {
    throw new TypeError('createDeploymentRouter: options.historyPath must be a path such as "/deployments", or false for no History pages.');
  }
  return setting.replace(/\/+$/, '') || DEFAULT_HISTORY_PATH;
}

/**
 * Creates the Express router for recording (and reading) package deployments.
 *
 * @example
 * app.use(createDeploymentRouter({ apiKeys: [{ name: 'ci', key: process.env.DEPLOYMENTS_API_KEY! }] }));
 */
export function createDeploymentRouter(options: DeploymentRouterOptions): DeploymentRouter {
  // eslint-disable-next-line prefer-rest-params
  checkCalledAsFactory('createDeploymentRouter', arguments);
  if (!options || typeof options !== 'object') {
    throw new TypeError('createDeploymentRouter(options) needs an options object, for example { apiKeys: [{ name: "ci", key: "..." }] }.');
  }
  checkOptionKeys('createDeploymentRouter', options, KNOWN_OPTIONS);
  const auth = resolveAuth(options);
  const ownsStore = options.store === undefined;
  // An adapter passed in may be shared (with feedDeployments(), say): its owner closes it.
  const ownsAuth = options.auth === undefined;
  const store = options.store ?? createKnexStore();
  checkMethods('createDeploymentRouter: options.store', store, ['record', 'list'], 'Use createKnexStore() or an object implementing DeploymentStore.');
  const logger: Logger = options.logger ?? console;
  const events = options.events ?? createEvents();
  const validate = createValidator({ limits: options.limits });
  const resolveFeed = feedResolver(options.feeds);
  const retryAfter = options.retryAfterSeconds ?? 5;
  const initStore = once(async () => { await store.init?.(); });
  const initAuth = once(async () => { await auth.init?.(); });
  const ignoreDuplicates = options.ignoreDuplicates === true;
  if (options.retention !== undefined) checkRetention('createDeploymentRouter', options.retention);
  const idempotency = resolveIdempotency(options.idempotency);
  const fromStoreWrite = async <T>(run: () => T | Promise<T>): Promise<T> => {
    try {
      await initStore();
      return await run();
    } catch (err) {
      throw storageError(err, retryAfter);
    }
  };
  // Group commit: concurrent records share one transaction; each is still answered only after its commit.
  const commits = options.groupCommit === false
    ? undefined
    : createGroupCommit(store, { maxBatch: resolveMaxBatch('createDeploymentRouter', options.groupCommit) });

  const router = Router({ strict: false });

  async function record(req: Request, res: Response, next: NextFunction): Promise<void> {
    try {
      const receivedAt = new Date();
      await initAuth();
      const authenticated = await auth.authenticate(extractCredentials(req), req);
      if (authenticated === false) throw forbidden();
      const principal: Principal | null = authenticated ?? null;

      if (req.body === undefined || req.headers['content-length'] === '0') {
        throw new DeploymentError(400, 'malformed_body', 'The request has no body: send the deployment as JSON or as a form (Application, Description, Target, FeedName, PackageName, Version).');
      }
      // Authorize before reporting validation problems, so that a caller who may not record learns
      // nothing about the body: 403 comes first whenever the feed can be read from the body.
      const requestedFeed = feedNameOf(req.body);
      if (requestedFeed !== undefined && !(await auth.authorize(principal, Privileges.Record, requestedFeed))) throw forbidden();

      const result = validate(req.body, { receivedAt, defaultUserName: principal?.name ?? ANONYMOUS });
      const removal = removedOf(req.body);
      if (!result.ok || removal.problem) throw invalidDeployment([...(result.problems ?? []), ...(removal.problem ? [removal.problem] : [])]);
      const deployment = result.deployment;
      if (removal.removed) deployment.removed = true;

      if (requestedFeed !== deployment.feedName && !(await auth.authorize(principal, Privileges.Record, deployment.feedName))) throw forbidden();
      const feed = await resolveFeed(deployment.feedName);
      if (feed === undefined) throw feedNotFound(deployment.feedName);
      deployment.feedName = feed;

      // The record's identity, given here at intake: a retried write of it can never store it twice.
      const key = idempotencyKeyOf(req.headers['idempotency-key']);
      const keyId = key !== undefined ? idempotencyId(callerScope(principal), key) : undefined;
      const fingerprint = keyId !== undefined ? payloadFingerprint(req.body) : '';
      deployment.uid = ignoreDuplicates ? duplicateUid(deployment) : keyId !== undefined ? idempotentUid(keyId, fingerprint) : randomUUID();

      const claimed = keyId !== undefined && idempotency !== false && store.claimIdempotencyKey && store.settleIdempotencyKey;
      if (claimed) {
        const now = new Date();
        const state = await fromStoreWrite(() => store.claimIdempotencyKey!({
          id: keyId, fingerprint, now, expiresAt: new Date(now.getTime() + idempotency.expiresAfterMs), staleBefore: new Date(now.getTime() - IDEMPOTENCY_IN_FLIGHT_TIMEOUT_MS),
        }));
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

      let stored: DeploymentRecord | undefined;
      try {
        try {
          await initStore();
          stored = commits ? await commits.record(deployment) : (await store.record([deployment]))[0];
        } catch (err) {
          throw storageError(err, retryAfter);
        }
        if (claimed) await fromStoreWrite(() => store.settleIdempotencyKey!(keyId, { status: 200, ...(stored ? { recordId: stored.id } : {}) }));
      } catch (err) {
        // The key is released, so the client may retry with it; the record's uid keeps that retry from
        // storing it twice.
        if (claimed) await Promise.resolve(store.settleIdempotencyKey!(keyId, null)).catch(() => undefined);
        throw err;
      }
      // 200 only now: the store has committed the record.
      res.status(200).end();
      // A record the store already had (the duplicate rule, a retry of an ambiguous failure) was
      // announced when it was first stored.
      const isNew = stored && stored.receivedAt.getTime() === deployment.receivedAt.getTime();
      if (stored && isNew) emitDeployed(events, logger, options.onRecorded, stored, { source: 'api', principal });
    } catch (err) {
      next(err);
    }
  }

  router.post(RECORD_PATH, ...deploymentBodyParser(options.bodyLimit ?? '64kb'), record);

  // Reading: the read API and the History page, behind the same auth adapter (Feeds_ViewPackage).
  const readContext: ReadContext = {
    store,
    auth,
    resolveFeed,
    feedList: Array.isArray(options.feeds) ? [...(options.feeds as readonly string[])] : undefined,
    schemeFor: schemeResolver(options.versionSchemes, options.defaultVersionScheme),
    initStore,
    initAuth,
    logger,
    retryAfterSeconds: retryAfter,
  };
  // Retention: purge (a dry run by default) and delete one record, with Feeds_DeletePackage.
  const auditor = createAuditor(store, events, logger);
  router.post(`${RECORD_PATH}/purge`, bodyParser.json({ limit: '16kb', type: () => true }), purgeHandler(readContext, auditor));
  router.delete(`${RECORD_PATH}/:id`, deleteHandler(readContext, auditor, store.getRecord ? (id) => store.getRecord!(id) : undefined));
  const schedule = options.retention !== undefined ? scheduleRetention(options.retention, auditor, logger) : undefined;
  router.get(RECORD_PATH, readHandler(readContext, false));
  router.get(`${RECORD_PATH}/current`, readHandler(readContext, true));
  const historyPath = historyPathOf(options.historyPath);
  if (historyPath !== undefined) {
    const page = historyPageHandler(readContext, RECORD_PATH);
    router.get(`${historyPath}/:feed/:package`, page);
    router.get(`${historyPath}/:feed/:package/:version`, page);
  }

  const answerError = (err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const error = toDeploymentError(err);
    if (error.status >= 500) logger.error(`package-deployments: ${error.message}`, { code: error.code });
    sendError(res, error);
  };
  router.use(RECORD_PATH, answerError);
  if (historyPath !== undefined) router.use(historyPath, answerError);

  return Object.assign(router, {
    events,
    store,
    auth,
    purge: (policy: PurgePolicy, by = 'store API') => auditor.purge(policy, by),
    deleteRecord: (id: string, by = 'store API') => auditor.deleteRecord(id, by),
    async close() {
      await schedule?.stop();
      if (ownsStore) await store.close?.();
      if (ownsAuth) await auth.close?.();
    },
  }) as DeploymentRouter;
}
