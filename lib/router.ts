/**
 * createDeploymentRouter(): ProGet's record endpoint, `POST /api/package-deployment/`, and the read API
 * (`GET /api/package-deployment`, `.../current`) and History pages (`/-/deployments/{feed}/{package}`).
 * Composition only: each path's work is in its feature folder (record/, read/).
 */
import { Router } from 'express';
import { apiKeyAuth } from './auth/api-keys';
import { openApiDocument, OPENAPI_PATH } from './openapi/document';
import { hostPrincipal } from './auth/host-principal';
import { answerErrors } from './http/answer-error';
import { createEvents } from './write/events';
import { feedResolver } from './feeds/catalogue';
import { createBatchWriter, resolveBatchOptions } from './write/batch-writer';
import { checkCalledAsFactory, checkMethods, checkOptionKeys, invalidOption, optionNames, OptionsError, readOptions } from './options';
import { createKnexStore } from './store/knex-store';
import { once } from './util/once';
import { createValidator } from './record/validate';
import { RECORD_PATH, recordHandlers } from './record/endpoint';
import { historyPageHandler } from './read/history-page';
import { readHandler, type ReadContext } from './read/read-api';
import { schemeResolver } from './versions/registry';
import { ecosystemResolver } from './advisories/ecosystems';
import { advisoryHandlers, type AdvisoryContext } from './read/advisories';
import { advisoriesPageHandlers } from './read/advisories-page';
import { setupWebhooks, storeForWriter, type WebhookRuntime } from './webhooks/setup';
import { mountWebhookAdminRoutes } from './webhooks/admin-routes';
import type { AuthAdapter, DeploymentEvents, DeploymentRecord, DeploymentRouterOptions, DeploymentStore, Logger, PurgePolicy, PurgeResult } from './types';
import bodyParser from 'body-parser';
import { DEFAULT_IDEMPOTENCY_EXPIRY_MS } from './record/idempotency';
import { createAuditor } from './retention/audit';
import { deleteHandler, purgeHandler } from './retention/purge-api';
import { checkRetention, scheduleRetention } from './retention/schedule';

export { RECORD_PATH };

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

const KNOWN_OPTIONS = optionNames<DeploymentRouterOptions>()(
  'store', 'auth', 'apiKeys', 'feeds', 'bodyLimit', 'limits', 'onRecorded', 'events', 'logger', 'retryAfterSeconds',
  'versionSchemes', 'defaultVersionScheme', 'ecosystems', 'advisoryBodyLimit', 'historyPath', 'batch', 'principal', 'webhooks', 'idempotency', 'ignoreDuplicates', 'retention',
);

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

/**
 * Where the History pages are mounted unless `historyPath` says otherwise. Under `/-/`, where no npm
 * package name can be (names cannot start with `-`): a router mounted at a registry's root never
 * answers a package's URL.
 */
export const DEFAULT_HISTORY_PATH = '/-/deployments';

function resolveAuth(options: DeploymentRouterOptions): AuthAdapter {
  if (options.auth !== undefined && options.apiKeys !== undefined) {
    throw new OptionsError('invalid_option', 'createDeploymentRouter', 'createDeploymentRouter: give either `auth` or `apiKeys`, not both.', { option: 'apiKeys' });
  }
  if (options.apiKeys !== undefined) return apiKeyAuth({ keys: options.apiKeys });
  if (options.auth === undefined) {
    throw new OptionsError(
      'missing_option',
      'createDeploymentRouter',
      'createDeploymentRouter: say who may record deployments. Pass `apiKeys: [{ name, key }]`, ' +
        '`auth: apiKeyAuth({ keys })`, `auth: customAuth({ authenticate })`, or `auth: anonymousAuth()` for an open server.',
      { option: 'auth' },
    );
  }
  checkMethods('createDeploymentRouter: options.auth', options.auth, ['authenticate', 'authorize'], 'Use apiKeyAuth(), anonymousAuth(), customAuth() or an object implementing AuthAdapter.');
  return options.auth;
}

function historyPathOf(setting: string | false | undefined): string | undefined {
  if (setting === false) return undefined;
  if (setting === undefined) return DEFAULT_HISTORY_PATH;
  if (typeof setting !== 'string' || !/^\/[\w./-]*$/.test(setting)) {
    invalidOption('createDeploymentRouter', 'historyPath', 'must be a path such as "/deployments", or false for no History pages.');
  }
  return setting.replace(/\/+$/, '') || DEFAULT_HISTORY_PATH;
}

/**
 * Creates the Express router for recording (and reading) package deployments.
 *
 * @example
 * app.use(createDeploymentRouter({ apiKeys: [{ name: 'ci', key: process.env.DEPLOYMENTS_API_KEY! }] }));
 */
export function createDeploymentRouter(given: DeploymentRouterOptions): DeploymentRouter {
  // eslint-disable-next-line prefer-rest-params
  checkCalledAsFactory('createDeploymentRouter', arguments);
  const options = readOptions('createDeploymentRouter', given, KNOWN_OPTIONS, '{ apiKeys: [{ name: "ci", key: "..." }] }', {
    required: true,
    removed: {
      groupCommit: 'the groupCommit option was removed; use batch: { maxSize } instead (groupCommit.maxBatch is now batch.maxSize; groupCommit: false is batch: { maxSize: 1 }).',
    },
  });
  const auth = resolveAuth(options);
  const ownsStore = options.store === undefined;
  // An adapter passed in may be shared (with feedDeployments(), say): its owner closes it.
  const ownsAuth = options.auth === undefined;
  const logger: Logger = options.logger ?? console;
  checkMethods('createDeploymentRouter: options.logger', logger, ['warn', 'error'], 'Pass console, or an object with warn(message, meta) and error(message, meta).');
  const store = options.store ?? createKnexStore({ versionSchemes: options.versionSchemes, defaultVersionScheme: options.defaultVersionScheme, ...(options.logger ? { logger: options.logger } : {}) });
  checkMethods('createDeploymentRouter: options.store', store, ['record', 'list'], 'Use createKnexStore() or an object implementing DeploymentStore.');
  const events = options.events ?? createEvents();
  checkMethods('createDeploymentRouter: options.events', events, ['emit', 'on'], 'Pass an EventEmitter, such as another router\'s `events`, or leave it out.');
  const resolveFeed = feedResolver('createDeploymentRouter', options.feeds);
  const retryAfterSeconds = options.retryAfterSeconds ?? 5;
  if (!Number.isInteger(retryAfterSeconds) || retryAfterSeconds < 0) invalidOption('createDeploymentRouter', 'retryAfterSeconds', `must be a whole number of seconds; got ${String(retryAfterSeconds)}.`);
  for (const fn of ['onRecorded'] as const) {
    if (options[fn] !== undefined && typeof options[fn] !== 'function') invalidOption('createDeploymentRouter', fn, 'must be a function, or left out.');
  }
  // Webhooks: targets kept in the store, deliveries written with the records, a worker sending them.
  const webhooks: WebhookRuntime | undefined = options.webhooks === undefined ? undefined : setupWebhooks('createDeploymentRouter', store, options.webhooks, logger);
  const writeStore = storeForWriter(store, webhooks);
  const initStore = once(async () => { await writeStore.init?.(); });
  const initAuth = once(async () => { await auth.init?.(); });
  if (options.retention !== undefined) checkRetention('createDeploymentRouter', options.retention);
  // Deliveries left pending by an earlier run (a restart, a crash) resume without waiting for a request.
  webhooks?.init().catch((err) => logger.error(`package-deployments: webhooks could not start yet (retried on the next record): ${(err as Error).message}`));
  if (options.principal !== undefined && typeof options.principal !== 'function') {
    invalidOption('createDeploymentRouter', 'principal', 'must be a function (req) => principal | null, or left out to use req.user.');
  }
  const principalOfHost = options.principal ?? hostPrincipal;
  // Errors are answered on the router's own routes only: an error the host raised before this router (a
  // body parser of its own, a registry's login) passes through untouched, as does every request the
  // router does not answer.
  const answerError = answerErrors(logger);

  const writer = createBatchWriter<never>(writeStore, resolveBatchOptions('createDeploymentRouter', options.batch), {
    committed: () => undefined,
    lost: () => undefined,
  });

  const router = Router({ strict: false });

  router.post(RECORD_PATH, ...recordHandlers({
    store: writeStore,
    auth,
    resolveFeed,
    validate: createValidator({ limits: options.limits }, 'createDeploymentRouter'),
    // Concurrent records share one transaction; each is still answered only after its commit.
    writer,
    events,
    logger,
    onRecorded: options.onRecorded,
    bodyLimit: options.bodyLimit ?? '64kb',
    retryAfterSeconds,
    initStore,
    initAuth,
    hostPrincipal: principalOfHost,
    keyStore: store,
    idempotency: resolveIdempotency(options.idempotency),
    ignoreDuplicates: options.ignoreDuplicates === true,
  }), answerError);

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
    retryAfterSeconds,
    hostPrincipal: principalOfHost,
  };
  if (webhooks !== undefined) {
    mountWebhookAdminRoutes(router, RECORD_PATH, {
      store: webhooks.store,
      auth,
      initAuth,
      initStore,
      retryAfterSeconds,
      nudge: () => webhooks.nudge(),
    }, answerError);
  }
  const ecosystems = ecosystemResolver(options.ecosystems, options.versionSchemes);
  const advisoryContext: AdvisoryContext = {
    ...readContext,
    ecosystemOf: ecosystems.ecosystemOf,
    knownFeeds: [...new Set([...(readContext.feedList ?? []), ...ecosystems.namedFeeds])],
  };
  router.post(`${RECORD_PATH}/advisories`, ...advisoryHandlers(advisoryContext, options.advisoryBodyLimit ?? '10mb'), answerError);
  // Retention: purge (a dry run by default) and delete one record, with Feeds_DeletePackage.
  const auditor = createAuditor(store, events, logger);
  router.post(`${RECORD_PATH}/purge`, bodyParser.json({ limit: '16kb', type: () => true }), purgeHandler(readContext, auditor), answerError);
  router.delete(`${RECORD_PATH}/:id`, deleteHandler(readContext, auditor, store.getRecord ? (id) => store.getRecord!(id) : undefined), answerError);
  const schedule = options.retention !== undefined ? scheduleRetention(options.retention, auditor, logger) : undefined;
  router.get(RECORD_PATH, readHandler(readContext, false), answerError);
  router.get(`${RECORD_PATH}/current`, readHandler(readContext, true), answerError);
  const historyPath = historyPathOf(options.historyPath);
  // The OpenAPI 3.1 document of these endpoints, with the mount point as its server.
  router.get(OPENAPI_PATH, (req, res) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.json(openApiDocument({ historyPath: historyPath ?? false, serverUrl: req.baseUrl || '/', webhooks: webhooks !== undefined }));
  });
  if (historyPath !== undefined) {
    // The Advisories page: paste or upload advisories, see the affected targets (before {feed}/{package}).
    const advisoriesPage = advisoriesPageHandlers(advisoryContext, `${RECORD_PATH}/advisories`, options.advisoryBodyLimit ?? '10mb');
    router.get(`${historyPath}/advisories`, advisoriesPage.get, answerError);
    router.post(`${historyPath}/advisories`, ...advisoriesPage.post, answerError);
    const page = historyPageHandler(readContext, RECORD_PATH);
    // {feed}/{package}[/{version}], {feed}/@scope/{name}[/{version}] and {feed}/@scope%2f{name}[/{version}].
    router.get(`${historyPath}/:feed/:p1`, page, answerError);
    router.get(`${historyPath}/:feed/:p1/:p2`, page, answerError);
    router.get(`${historyPath}/:feed/:p1/:p2/:p3`, page, answerError);
  }

  return Object.assign(router, {
    events,
    store,
    auth,
    purge: (policy: PurgePolicy, by = 'store API') => auditor.purge(policy, by),
    deleteRecord: (id: string, by = 'store API') => auditor.deleteRecord(id, by),
    async close() {
      await schedule?.stop();
      await writer.close();
      await webhooks?.close();
      if (ownsStore) await store.close?.();
      if (ownsAuth) await auth.close?.();
    },
  }) as DeploymentRouter;
}
