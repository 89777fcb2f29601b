/**
 * feedDeployments(): the `X-ProGet-Deployment-*` middleware for feed download routes (wire contract,
 * sections 3 and 4). Mounted in front of an existing download route, it never touches the response
 * (except in opt-in strict mode, before the route runs): once a GET has been answered 2xx it reads feed,
 * group, name and version from the URL, the deployment from the headers, the principal from the host or
 * the auth adapter, and queues one record for the store.
 *
 * Request → headers? (no: next(), nothing else) → intake (layout reads the URL) → [strict: 400 on bad
 * headers] → next() → response finished → settle (settle.ts) → queue → store → `deployed`. Every request
 * that carried headers ends in exactly one `deployed`, `deployment-skipped` or `deployment-lost`.
 */
import { ServerResponse } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { DeploymentError, formatProblems } from '../http/errors';
import { requestPath } from '../http/request-path';
import { sendError } from '../http/send-error';
import { createEvents, emitDeployed } from '../write/events';
import { feedResolver } from '../feeds/catalogue';
import { checkCalledAsFactory, checkMethods, invalidOption, optionNames, readOptions } from '../options';
import { once } from '../util/once';
import { createBatchWriter, resolveBatchOptions } from '../write/batch-writer';
import { setupWebhooks, storeForWriter } from '../webhooks/setup';
import { createKnexStore } from '../store/knex-store';
import { createFieldValidator } from '../record/validate';
import { deliveredInFull, socketBytes } from './body-bytes';
import { LOST_EVENT, SERVED_PACKAGE_LOCAL } from './events';
import { hasDeploymentHeaders, readHeaders } from './headers';
import { hostPrincipal } from '../auth/host-principal';
import { intakeOf, isPartial, type Intake } from './intake';
import { createReporter } from './report';
import { resolveEnabled, resolveLayouts } from './resolve-options';
import { decideDownload, settleDownload, type SettleContext } from './settle';
import type {
  AuthAdapter,
  DeployedContext,
  DeploymentEvents,
  DeploymentStore,
  FeedDeploymentStats,
  FeedDeploymentsOptions,
  Logger,
  LostDeployments,
  ServedPackage,
} from '../types';

/** The middleware, plus its counters and shutdown. */
export type FeedDeploymentsMiddleware = RequestHandler & {
  readonly events: DeploymentEvents;
  readonly store: DeploymentStore;
  stats(): FeedDeploymentStats;
  /** Resolves once every finished download is recorded, skipped or lost. */
  flush(): Promise<void>;
  /**
   * Flushes, then closes what the middleware created itself (the default store). Call it after
   * `server.close()`: a download finishing after it is counted as lost.
   */
  close(): Promise<void>;
};

/**
 * The watched responses: the socket's bytesWritten when watching began, or one of the two states below.
 * Being in it also marks a download one feedDeployments middleware already watches: a second one mounted on
 * the same path records nothing twice. One map per process (`Symbol.for` on globalThis), so two copies of
 * the library see each other's downloads too.
 *
 * A WeakMap, not a property on `res`: Express gives every request and response a prototype of its own
 * (`Object.setPrototypeOf` in `app.handle`), which takes them out of V8's shared hidden classes, so each
 * property added to one afterwards builds a new hidden class and descriptor array for that one response,
 * in the old generation (bench/README.md, "Memory").
 */
const WATCHED_KEY = Symbol.for('package-deployments.feed-download');
const WATCHED: WeakMap<object, number> = ((globalThis as Record<symbol, unknown>)[WATCHED_KEY] as WeakMap<object, number> | undefined)
  ?? ((globalThis as Record<symbol, unknown>)[WATCHED_KEY] = new WeakMap<object, number>()) as WeakMap<object, number>;
const NO_SOCKET = -1;
const SETTLING = -2;

const KNOWN_OPTIONS = optionNames<FeedDeploymentsOptions>()('store', 'auth', 'principal', 'layouts', 'feeds', 'enabled', 'strict', 'servedPackage', 'limits', 'batch', 'onRecorded', 'events', 'logger', 'webhooks');

/**
 * Creates the feed-download middleware.
 *
 * @example
 * const router = createDeploymentRouter({ store, auth });
 * app.get('/nuget/:feed/package/:id/:version',
 *   feedDeployments({ store, auth, events: router.events, layouts: nugetV2Layout() }),
 *   existingDownloadHandler);
 */
export function feedDeployments(given?: FeedDeploymentsOptions): FeedDeploymentsMiddleware {
  // eslint-disable-next-line prefer-rest-params
  checkCalledAsFactory('feedDeployments', arguments);
  const options = readOptions('feedDeployments', given, KNOWN_OPTIONS, '{ store, auth, events: router.events }', {
    removed: {
      queue: 'the queue option was removed; use batch: { maxSize, maxPending, retries, retryDelayMs } instead (queue.batchSize is now batch.maxSize, queue.maxQueued is batch.maxPending).',
    },
  });
  const ownsStore = options.store === undefined;
  const logger: Logger = options.logger ?? console;
  checkMethods('feedDeployments: options.logger', logger, ['warn', 'error'], 'Pass console, or an object with warn(message, meta) and error(message, meta).');
  const store = options.store ?? createKnexStore(options.logger ? { logger: options.logger } : {});
  checkMethods('feedDeployments: options.store', store, ['record'], 'Use createKnexStore() or an object implementing DeploymentStore.');
  const auth: AuthAdapter | undefined = options.auth;
  if (auth !== undefined) {
    checkMethods('feedDeployments: options.auth', auth, ['authenticate', 'authorize'], 'Use apiKeyAuth(), anonymousAuth(), customAuth() or leave it out to let the download route decide.');
  }
  for (const fn of ['principal', 'servedPackage', 'onRecorded'] as const) {
    if (options[fn] !== undefined && typeof options[fn] !== 'function') invalidOption('feedDeployments', fn, 'must be a function, or left out.');
  }
  if (options.strict !== undefined && typeof options.strict !== 'boolean') invalidOption('feedDeployments', 'strict', 'must be true or false.');
  const events = options.events ?? createEvents();
  checkMethods('feedDeployments: options.events', events, ['emit', 'on'], 'Pass an EventEmitter, such as the router\'s `events`, or leave it out.');
  const layouts = resolveLayouts(options.layouts);
  const isEnabled = resolveEnabled(options.enabled);
  const validate = createFieldValidator({ limits: options.limits }, 'feedDeployments');
  const strict = options.strict === true;
  const report = createReporter(events, logger);
  const settling = new Set<Promise<void>>();

  // Webhooks: as the router's (share its `webhooks` option; run the worker in one of the two).
  const webhooks = options.webhooks === undefined ? undefined : setupWebhooks('feedDeployments', store, options.webhooks, logger);
  webhooks?.init().catch((err) => logger.error(`package-deployments: webhooks could not start yet (retried on the next record): ${(err as Error).message}`));
  const queue = createBatchWriter<DeployedContext>(storeForWriter(store, webhooks), resolveBatchOptions('feedDeployments', options.batch), {
    committed(record, context) {
      emitDeployed(events, logger, options.onRecorded, record, context);
    },
    lost(lost: LostDeployments) {
      const why = lost.reason === 'store_failed' ? `the store failed: ${lost.error instanceof Error ? lost.error.message : String(lost.error)}` : lost.reason === 'queue_full' ? 'the recording queue is full' : 'the middleware is closed';
      const maybe = lost.maybeStored ? ' They may have been stored (the connection broke while they were being written): each is stored once at most.' : '';
      logger.error(`package-deployments: ${lost.deployments.length} feed deployment record(s) lost: ${why}.${maybe}`, { reason: lost.reason });
      report.emit(LOST_EVENT, lost);
    },
  });

  const settle: SettleContext = {
    auth,
    initAuth: once(async () => { await auth?.init?.(); }),
    principalOf: options.principal ?? hostPrincipal,
    servedOf: options.servedPackage ?? ((_req: Request, res: Response) => res.locals?.[SERVED_PACKAGE_LOCAL] as ServedPackage | undefined),
    resolveFeed: feedResolver('feedDeployments', options.feeds),
    validate,
    queue,
    report,
  };

  // Watching a download costs as little as it can on the request: two listeners shared by every
  // response (no closure per download) and one number on `res`. Everything else (the URL layouts, the
  // caller, the validation, the queue) runs after the response, a batch of finished downloads at a time
  // (setImmediate): the batch keeps that code warm, which measured cheaper than settling each download
  // on its own between two responses (bench/README.md, "Feed middleware").
  let finishedRes: Response[] = [];
  let finishedComplete: boolean[] = [];
  let scheduled = false;
  /** Intakes made before the route ran (strict mode), for settling. */
  const earlyIntakes = new WeakMap<Response, Intake>();

  /** A layout, switch or header read that throws must not break anything: logged, not recorded. */
  function notReadable(req: Request, err: unknown): void {
    logger.error('package-deployments: reading a feed download failed; it is not recorded.', { error: String(err), path: requestPath(req) });
  }

  function finished(res: Response, complete: boolean): void {
    if (WATCHED.get(res) === SETTLING) return;
    WATCHED.set(res, SETTLING);
    finishedRes.push(res);
    finishedComplete.push(complete);
    if (!scheduled) {
      scheduled = true;
      setImmediate(settleFinished);
    }
  }
  function onFinish(this: Response): void {
    finished(this, true);
  }
  function onClose(this: Response): void {
    const start = WATCHED.get(this);
    if (start === SETTLING) return;
    finished(this, this.writableFinished || deliveredInFull(this, start === NO_SOCKET ? undefined : start));
  }

  function settleOne(res: Response, complete: boolean): Promise<void> | undefined {
    const req = res.req as Request;
    let intake = earlyIntakes.get(res);
    if (intake === undefined) {
      try {
        intake = intakeOf(req, readHeaders(req), layouts, isEnabled, validate, false);
      } catch (err) {
        notReadable(req, err);
        return undefined;
      }
    }
    const settled = intake;
    if (!complete) {
      report.skip(req, settled, 'download_incomplete', 'the connection closed before the download was finished.', { status: res.statusCode });
      return undefined;
    }
    return settleDownload(settle, req, res, settled).catch((err: unknown) => {
      // A throwing auth adapter, catalogue or servedPackage callback: reported, never thrown.
      logger.error('package-deployments: recording a feed download failed; the download was not affected.', { error: String(err), path: requestPath(req) });
      report.skip(req, settled, 'error', `recording failed: ${err instanceof Error ? err.message : String(err)}`, { status: res.statusCode });
    });
  }

  function settleFinished(): void {
    scheduled = false;
    const list = finishedRes;
    const complete = finishedComplete;
    finishedRes = [];
    finishedComplete = [];
    const works: Promise<void>[] = [];
    for (let i = 0; i < list.length; i++) {
      const work = settleOne(list[i]!, complete[i]!);
      if (work !== undefined) works.push(work);
    }
    if (works.length === 0) return;
    const all = Promise.all(works).then(() => undefined);
    settling.add(all);
    void all.finally(() => settling.delete(all));
  }

  function watch(res: Response): void {
    WATCHED.set(res, socketBytes(res) ?? NO_SOCKET);
    // Node's ServerResponse always emits 'close' after 'finish' (and alone when the connection drops), and
    // already has a 'finish' listener of its own: a second one would make every 'finish' copy a listener
    // array. Other response objects (a host's own) are watched on both.
    res.on('close', onClose);
    if (!((res as unknown) instanceof ServerResponse)) res.on('finish', onFinish);
  }

  const middleware = function feedDeploymentsMiddleware(req: Request, res: Response, next: NextFunction): void {
    if (WATCHED.has(res)) {
      next();
      return;
    }
    let present = false;
    try {
      present = hasDeploymentHeaders(req);
    } catch (err) {
      notReadable(req, err);
    }
    if (!present) {
      next();
      return;
    }
    if (!strict || req.method !== 'GET') {
      // Everything but the headers' presence is read once the response is over.
      watch(res);
      next();
      return;
    }
    // Strict mode answers 400 before the route runs, so it reads the URL and the headers now.
    let intake: Intake;
    try {
      intake = intakeOf(req, readHeaders(req), layouts, isEnabled, validate, strict);
    } catch (err) {
      // A layout or switch that throws must not break the download.
      notReadable(req, err);
      next();
      return;
    }
    const watched = intake;
    const proceed = () => {
      earlyIntakes.set(res, watched);
      watch(res);
      next();
    };
    if (intake.ref && intake.enabled && intake.headerProblems !== undefined && intake.headerProblems.length > 0) {
      // Strict mode answers 400 before the route runs, but in the one order of decisions: only a caller
      // who may record on a feed that exists is told about the headers. Anyone else downloads as usual
      // (the route decides who may download) and the download is skipped after it.
      const problems = intake.headerProblems;
      decideDownload(settle, req, intake.ref.feedName).then(
        (decided) => {
          watched.decided = decided;
          if (!decided.ok) return proceed();
          report.skip(req, watched, isPartial(problems) ? 'partial_headers' : 'invalid_headers', formatProblems(problems).replace(/\n/g, ' '), { status: 400, problems });
          sendError(res, new DeploymentError(400, 'invalid_deployment', formatProblems(problems), { problems }));
        },
        (err: unknown) => {
          // A throwing adapter or catalogue never breaks the download; settling asks again and reports it.
          logger.error('package-deployments: deciding a strict download failed; it is served as usual.', { error: String(err), path: requestPath(req) });
          proceed();
        },
      );
      return;
    }
    proceed();
  };

  async function flush(): Promise<void> {
    if (scheduled) settleFinished();
    while (settling.size > 0) await Promise.all([...settling]);
    await queue.flush();
  }

  return Object.assign(middleware, {
    events,
    store,
    stats: (): FeedDeploymentStats => ({ ...queue.stats(), ...report.counts() }),
    flush,
    async close() {
      await flush();
      await queue.close();
      await webhooks?.close();
      // A store or auth adapter passed in belongs to the caller (usually shared with the router).
      if (ownsStore) await store.close?.();
    },
  }) as FeedDeploymentsMiddleware;
}
