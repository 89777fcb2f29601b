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
import { setupWebhooks, storeForWriter, type WebhookRuntime } from './webhooks/setup';
import { mountWebhookAdminRoutes } from './webhooks/admin-routes';
import type { AuthAdapter, DeploymentEvents, DeploymentRouterOptions, DeploymentStore, Logger, Principal } from './types';

/** The router, plus what it was built with. */
export type DeploymentRouter = Router & {
  /** Emits `deployed` (record, context) after each committed record. */
  readonly events: DeploymentEvents;
  readonly store: DeploymentStore;
  readonly auth: AuthAdapter;
  /** Closes what the router created itself (the default store, the `apiKeys` adapter); what you passed in stays open. */
  close(): Promise<void>;
};

const KNOWN_OPTIONS = [
  'store', 'auth', 'apiKeys', 'feeds', 'bodyLimit', 'limits', 'onRecorded', 'events', 'logger', 'retryAfterSeconds',
  'versionSchemes', 'defaultVersionScheme', 'historyPath', 'groupCommit', 'webhooks',
] as const;

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
  // Webhooks: targets kept in the store, deliveries written with the records, a worker sending them.
  const webhooks: WebhookRuntime | undefined = options.webhooks === undefined ? undefined : setupWebhooks('createDeploymentRouter', store, options.webhooks, logger);
  const writer = storeForWriter(store, webhooks);
  const initStore = once(async () => { await writer.init?.(); });
  const initAuth = once(async () => { await auth.init?.(); });
  // Group commit: concurrent records share one transaction; each is still answered only after its commit.
  const commits = options.groupCommit === false
    ? undefined
    : createGroupCommit(writer, { maxBatch: resolveMaxBatch('createDeploymentRouter', options.groupCommit) });
  // Deliveries left pending by an earlier run (a restart, a crash) resume without waiting for a request.
  webhooks?.init().catch((err) => logger.error(`package-deployments: webhooks could not start yet (retried on the next record): ${(err as Error).message}`));

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
      if (!result.ok) throw invalidDeployment(result.problems);
      const deployment = result.deployment;

      if (requestedFeed !== deployment.feedName && !(await auth.authorize(principal, Privileges.Record, deployment.feedName))) throw forbidden();
      const feed = await resolveFeed(deployment.feedName);
      if (feed === undefined) throw feedNotFound(deployment.feedName);
      deployment.feedName = feed;

      let stored;
      try {
        await initStore();
        stored = commits ? await commits.record(deployment) : (await writer.record([deployment]))[0];
      } catch (err) {
        throw storageError(err, retryAfter);
      }
      // 200 only now: the store has committed the record.
      res.status(200).end();
      if (stored) emitDeployed(events, logger, options.onRecorded, stored, { source: 'api', principal });
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
  if (webhooks !== undefined) {
    mountWebhookAdminRoutes(router, RECORD_PATH, {
      store: webhooks.store,
      auth,
      initAuth,
      initStore,
      retryAfterSeconds: retryAfter,
      nudge: () => webhooks.nudge(),
    });
  }
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
    async close() {
      await webhooks?.close();
      if (ownsStore) await store.close?.();
      if (ownsAuth) await auth.close?.();
    },
  }) as DeploymentRouter;
}
