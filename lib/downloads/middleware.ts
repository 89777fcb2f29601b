/**
 * feedDeployments(): the `X-ProGet-Deployment-*` middleware for feed download routes (wire contract,
 * sections 3 and 4). Mounted in front of an existing download route, it never touches the response
 * (except in opt-in strict mode, before the route runs): once a GET has been answered 2xx it reads feed,
 * group, name and version from the URL, the deployment from the headers, the principal from the host or
 * the auth adapter, and queues one record for the store.
 *
 * Request → headers? (no: next(), nothing else) → layout reads the URL → [strict: 400 on bad headers]
 * → next() → response finished → 2xx GET? → served version → feed catalogue → per-feed switch → principal
 * → validator → queue → store → `deployed`. Every request that carried headers ends in exactly one
 * `deployed`, `deployment-skipped` or `deployment-lost`.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { Privileges } from '../auth/privileges';
import { extractCredentials } from '../http/credentials';
import { ANONYMOUS, parseDeploymentDate } from '../record/deployment';
import { DeploymentError, formatProblems } from '../http/errors';
import { createEvents, emitDeployed } from '../write/events';
import { feedResolver } from '../feeds/catalogue';
import { progetLayouts } from './layouts';
import { checkCalledAsFactory, checkMethods, checkOptionKeys } from '../options';
import { once } from '../util/once';
import { createRecordingQueue } from '../write/recording-queue';
import { sendError } from '../http/send-error';
import { createKnexStore } from '../store/knex-store';
import { createValidator } from '../record/validate';
import { parseRemoved, REMOVED_HEADER } from '../record/removal';
import { randomUUID } from 'node:crypto';
import type {
  AuthAdapter,
  DeployedContext,
  DeploymentEvents,
  DeploymentField,
  DeploymentStore,
  DeploymentWarning,
  FeedDeploymentStats,
  FeedDeploymentsOptions,
  FeedLayout,
  FeedPackageRef,
  Logger,
  LostDeployments,
  Principal,
  Problem,
  ServedPackage,
  SkipReason,
  SkippedDeployment,
} from '../types';

export const SKIPPED_EVENT = 'deployment-skipped';
export const LOST_EVENT = 'deployment-lost';
export const WARNING_EVENT = 'deployment-warning';
/** The `res.locals` field a download route sets to say what it served ({@link ServedPackage}). */
export const SERVED_PACKAGE_LOCAL = 'servedPackage';

/** The deployment headers, and the field each fills. Node gives header names in lower case. */
export const DEPLOYMENT_HEADERS: ReadonlyArray<{ header: string; field: DeploymentField }> = [
  { header: 'X-ProGet-Deployment-Application', field: 'Application' },
  { header: 'X-ProGet-Deployment-Description', field: 'Description' },
  { header: 'X-ProGet-Deployment-Target', field: 'Target' },
  { header: 'X-ProGet-Deployment-Url', field: 'Url' },
  { header: 'X-ProGet-Deployment-UserName', field: 'UserName' },
  { header: 'X-ProGet-Deployment-Date', field: 'Date' },
];
const HEADER_OF = new Map<string, string>(DEPLOYMENT_HEADERS.map((h) => [h.field, h.header]));

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

/** Marks a request one feedDeployments middleware already watches: a second one mounted on the same path records nothing twice. */
const WATCHED = Symbol.for('package-deployments.feed-download');

const KNOWN_OPTIONS = ['store', 'auth', 'principal', 'layouts', 'feeds', 'enabled', 'strict', 'servedPackage', 'limits', 'queue', 'onRecorded', 'events', 'logger'] as const;

type HeaderValues = Partial<Record<DeploymentField, string>>;

/** The deployment headers present on `req`, or `undefined` when there is none. */
function readHeaders(req: Request): HeaderValues | undefined {
  let values: HeaderValues | undefined;
  for (const { header, field } of DEPLOYMENT_HEADERS) {
    const raw = req.headers[header.toLowerCase()];
    if (raw === undefined) continue;
    values ??= {};
    values[field] = Array.isArray(raw) ? raw.join(', ') : String(raw);
  }
  return values;
}

function requestPath(req: Request): string {
  const url = req.originalUrl ?? req.url ?? '';
  const q = url.search(/[?#]/);
  return q < 0 ? url : url.slice(0, q);
}

/** The host's own principal: `req.user` as a string, or an object with a string `name` or `username`. */
export function hostPrincipal(req: Request): Principal | undefined {
  const user = (req as Request & { user?: unknown }).user;
  if (typeof user === 'string' && user !== '') return { name: user, kind: 'host' };
  if (user && typeof user === 'object') {
    const u = user as { name?: unknown; username?: unknown };
    const name = typeof u.name === 'string' && u.name !== '' ? u.name : typeof u.username === 'string' && u.username !== '' ? u.username : undefined;
    if (name !== undefined) return { ...(user as object), name, kind: (user as { kind?: string }).kind ?? 'host' };
  }
  return undefined;
}

function resolveEnabled(enabled: FeedDeploymentsOptions['enabled']): (feed: string) => boolean {
  if (enabled === undefined || enabled === true) return () => true;
  if (enabled === false) return () => false;
  if (Array.isArray(enabled)) {
    const names = new Set(enabled.map((f: string) => String(f).toLowerCase()));
    return (feed) => names.has(feed.toLowerCase());
  }
  if (typeof enabled === 'function') return (feed) => enabled(feed) === true;
  throw new TypeError('feedDeployments: enabled must be a boolean, a list of feed names, or a function (feedName) => boolean.');
}

function resolveLayouts(layouts: FeedDeploymentsOptions['layouts']): readonly FeedLayout[] {
  if (layouts === undefined) return progetLayouts();
  const list = (Array.isArray(layouts) ? layouts : [layouts]) as FeedLayout[];
  if (list.length === 0) throw new TypeError('feedDeployments: layouts is empty; give at least one, such as [nugetV2Layout()], or leave it out for every ProGet layout.');
  list.forEach((l, i) => checkMethods(`feedDeployments: layouts[${i}]`, l, ['resolve'], 'Use upackLayout(), npmLayout(), routeParamsLayout(), customLayout(fn)... (called, not bare).'));
  return list;
}

/** What the middleware learnt when the request came in. */
interface Intake {
  headers: HeaderValues;
  layout?: FeedLayout;
  ref?: FeedPackageRef;
  enabled: boolean;
  headerProblems: Problem[];
  /** `X-Deployment-Removed: true`: a removal record (this library's extension). */
  removed: boolean;
}

/**
 * Creates the feed-download middleware.
 *
 * @example
 * const router = createDeploymentRouter({ store, auth });
 * app.get('/nuget/:feed/package/:id/:version',
 *   feedDeployments({ store, auth, events: router.events, layouts: nugetV2Layout() }),
 *   existingDownloadHandler);
 */
export function feedDeployments(options: FeedDeploymentsOptions = {}): FeedDeploymentsMiddleware {
  // eslint-disable-next-line prefer-rest-params
  checkCalledAsFactory('feedDeployments', arguments);
  if (!options || typeof options !== 'object') {
    throw new TypeError('feedDeployments(options) needs an options object, for example { store, auth, events: router.events }.');
  }
  checkOptionKeys('feedDeployments', options, KNOWN_OPTIONS);
  const ownsStore = options.store === undefined;
  const store = options.store ?? createKnexStore();
  checkMethods('feedDeployments: options.store', store, ['record'], 'Use createKnexStore() or an object implementing DeploymentStore.');
  const auth: AuthAdapter | undefined = options.auth;
  if (auth !== undefined) {
    checkMethods('feedDeployments: options.auth', auth, ['authenticate', 'authorize'], 'Use apiKeyAuth(), anonymousAuth(), customAuth() or leave it out to let the download route decide.');
  }
  for (const fn of ['principal', 'servedPackage', 'onRecorded'] as const) {
    if (options[fn] !== undefined && typeof options[fn] !== 'function') throw new TypeError(`feedDeployments: ${fn} must be a function, or left out.`);
  }
  const logger: Logger = options.logger ?? console;
  const events = options.events ?? createEvents();
  const layouts = resolveLayouts(options.layouts);
  const isEnabled = resolveEnabled(options.enabled);
  const resolveFeed = feedResolver(options.feeds);
  const validate = createValidator({ limits: options.limits });
  const strict = options.strict === true;
  const principalOf = options.principal ?? hostPrincipal;
  const servedOf = options.servedPackage ?? ((_req: Request, res: Response) => res.locals?.[SERVED_PACKAGE_LOCAL] as ServedPackage | undefined);
  const initAuth = once(async () => { await auth?.init?.(); });

  let skipped = 0;
  let warnings = 0;
  const settling = new Set<Promise<void>>();

  function emit(event: string, payload: unknown): void {
    try {
      events.emit(event, payload);
    } catch (err) {
      logger.error(`package-deployments: a "${event}" listener threw.`, { error: String(err) });
    }
  }

  const queue = createRecordingQueue<DeployedContext>(store, options.queue ?? {}, {
    committed(record, context) {
      emitDeployed(events, logger, options.onRecorded, record, context);
    },
    lost(lost: LostDeployments) {
      const why = lost.reason === 'store_failed' ? `the store failed: ${lost.error instanceof Error ? lost.error.message : String(lost.error)}` : lost.reason === 'queue_full' ? 'the recording queue is full' : 'the middleware is closed';
      logger.error(`package-deployments: ${lost.deployments.length} feed deployment record(s) lost: ${why}.`, { reason: lost.reason });
      emit(LOST_EVENT, lost);
    },
  });

  const WARN_REASONS: ReadonlySet<SkipReason> = new Set(['partial_headers', 'invalid_headers', 'invalid_package', 'unauthorized', 'latest_unknown', 'unknown_feed']);

  function skip(req: Request, intake: Intake, reason: SkipReason, message: string, extra: Partial<SkippedDeployment> = {}): void {
    skipped++;
    const info: SkippedDeployment = {
      reason,
      message,
      method: req.method,
      path: requestPath(req),
      feedType: intake.layout?.feedType,
      feedName: intake.ref?.feedName,
      ...extra,
    };
    if (WARN_REASONS.has(reason)) logger.warn(`package-deployments: download of ${info.path} not recorded: ${message}`, { reason });
    emit(SKIPPED_EVENT, info);
  }

  /** Header problems (missing, empty, too long, control characters, bad Url); an unparseable Date is not one. */
  function checkHeaders(headers: HeaderValues): Problem[] {
    const input: Record<string, string> = { FeedName: 'f', PackageName: 'p', Version: 'v' };
    for (const [field, value] of Object.entries(headers)) if (field !== 'Date') input[field] = value!;
    const result = validate(input);
    if (result.ok) return [];
    return result.problems.map((p) => ({ field: HEADER_OF.get(p.field ?? '') ?? p.field, message: p.message }));
  }

  function intakeOf(req: Request, headers: HeaderValues): Intake {
    let layout: FeedLayout | undefined;
    let ref: FeedPackageRef | undefined;
    for (const candidate of layouts) {
      ref = candidate.resolve(req) ?? undefined;
      if (ref) {
        layout = candidate;
        break;
      }
    }
    const headerProblems = checkHeaders(headers);
    const removedHeader = req.headers[REMOVED_HEADER.toLowerCase()];
    const removal = parseRemoved(Array.isArray(removedHeader) ? removedHeader : removedHeader?.trim() ?? undefined, REMOVED_HEADER);
    if (removal.problem) headerProblems.push(removal.problem);
    return { headers, layout, ref, enabled: ref ? isEnabled(ref.feedName) : false, headerProblems, removed: removal.removed === true };
  }

  async function settle(req: Request, res: Response, intake: Intake): Promise<void> {
    const status = res.statusCode;
    if (req.method !== 'GET') return skip(req, intake, 'not_get', `${req.method} is not a download; only a GET answered 2xx is recorded.`, { status });
    if (status < 200 || status > 299) return skip(req, intake, 'download_failed', `the download was answered ${status}; only a 2xx download is recorded.`, { status });
    if (!intake.layout || !intake.ref) return skip(req, intake, 'not_a_download', 'the URL matches none of the configured download layouts.', { status });
    if (!intake.enabled) return skip(req, intake, 'disabled', `recording is switched off for feed "${intake.ref.feedName}".`, { status });
    if (intake.headerProblems.length > 0) {
      const partial = intake.headerProblems.some((p) => /is required|must not be empty/.test(p.message));
      return skip(req, intake, partial ? 'partial_headers' : 'invalid_headers', formatProblems(intake.headerProblems).replace(/\n/g, ' '), { status, problems: intake.headerProblems });
    }
    const served = servedOf(req, res) ?? undefined;
    const pkg: FeedPackageRef = { ...intake.ref };
    if (served && typeof served === 'object') {
      for (const key of ['version', 'packageName', 'groupName'] as const) {
        if (typeof served[key] === 'string' && served[key] !== '') pkg[key] = served[key];
      }
    }
    if (pkg.version === undefined) {
      return skip(req, intake, 'latest_unknown', `the URL names no version and the route did not say which it served (set res.locals.${SERVED_PACKAGE_LOCAL} = { version }).`, { status });
    }
    const feedName = await resolveFeed(pkg.feedName);
    if (feedName === undefined) return skip(req, intake, 'unknown_feed', `feed "${pkg.feedName}" is not one of the configured feeds.`, { status });

    let principal: Principal | null = principalOf(req) ?? null;
    if (principal === null && auth) {
      await initAuth();
      let credentials;
      try {
        credentials = extractCredentials(req);
      } catch (err) {
        // A credential given twice: refused, as the router refuses it.
        return skip(req, intake, 'unauthorized', err instanceof Error ? err.message : String(err), { status });
      }
      const authenticated = await auth.authenticate(credentials, req);
      if (authenticated === false) return skip(req, intake, 'unauthorized', 'the credentials presented were refused by the auth adapter.', { status });
      principal = authenticated ?? null;
      if (!(await auth.authorize(principal, Privileges.Record, feedName))) {
        return skip(req, intake, 'unauthorized', `${principal ? `"${principal.name}"` : 'Anonymous'} may not record deployments on feed "${feedName}" (needs ${Privileges.Record}).`, { status });
      }
    }

    const receivedAt = new Date();
    const input: Record<string, string> = { FeedName: feedName, PackageName: pkg.packageName, Version: pkg.version };
    if (pkg.groupName !== undefined) input.GroupName = pkg.groupName;
    for (const [field, value] of Object.entries(intake.headers)) input[field] = value!;
    if (input.Date !== undefined && input.Date.trim() !== '' && parseDeploymentDate(input.Date) === undefined) {
      const warning: DeploymentWarning = {
        code: 'date_unparseable',
        message: `X-ProGet-Deployment-Date "${input.Date.slice(0, 64)}" is not an ISO 8601 date; the time received was recorded instead.`,
        path: requestPath(req),
      };
      delete input.Date;
      warnings++;
      logger.warn(`package-deployments: ${warning.message}`, { path: warning.path });
      emit(WARNING_EVENT, warning);
    }
    const result = validate(input, { receivedAt, defaultUserName: principal?.name ?? ANONYMOUS });
    if (!result.ok) {
      return skip(req, intake, 'invalid_package', `the package read from the URL is not valid: ${formatProblems(result.problems).replace(/\n/g, ' ')}`, { status, problems: result.problems });
    }
    // The record's identity, given at intake: the queue's retries can never store it twice.
    result.deployment.uid = randomUUID();
    if (intake.removed) result.deployment.removed = true;
    queue.push(result.deployment, { source: 'feed', feedType: intake.layout.feedType, principal });
  }

  /**
   * Counts the body bytes the route hands to `res`. A streaming route (`fs.createReadStream(f).pipe(res)`)
   * writes its last bytes before it calls `end()`, and a client that stops reading at `Content-Length`
   * closes the connection in between: the response then closes without `finish` although every byte was
   * delivered. The count lets `close` tell that case from a download cut short. The wrappers pass every
   * argument through and return what the host's own `write`/`end` return.
   */
  function countBodyBytes(res: Response): () => number {
    let bytes = 0;
    const add = (chunk: unknown, encoding: unknown) => {
      if (typeof chunk === 'string') bytes += Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
      else if (chunk instanceof Uint8Array) bytes += chunk.byteLength;
    };
    const write = res.write;
    const end = res.end;
    res.write = function (this: Response, chunk: unknown, ...rest: unknown[]) {
      add(chunk, rest[0]);
      return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    } as Response['write'];
    res.end = function (this: Response, chunk?: unknown, ...rest: unknown[]) {
      if (typeof chunk !== 'function') add(chunk, rest[0]);
      return (end as (...a: unknown[]) => Response).call(this, chunk, ...rest);
    } as Response['end'];
    return () => bytes;
  }

  /** True when a response that closed before `finish` had handed the client every byte its Content-Length promised. */
  function deliveredInFull(res: Response, written: number): boolean {
    if (!res.headersSent) return false;
    const declared = Number(res.getHeader('content-length'));
    return Number.isSafeInteger(declared) && declared >= 0 && written >= declared;
  }

  function watch(req: Request, res: Response, intake: Intake): void {
    const written = countBodyBytes(res);
    let done = false;
    const finish = (complete: boolean) => {
      if (done) return;
      done = true;
      const work = (complete
        ? settle(req, res, intake)
        : Promise.resolve(skip(req, intake, 'download_incomplete', 'the connection closed before the download was finished.', { status: res.statusCode })))
        .catch((err: unknown) => {
          // A throwing auth adapter, catalogue or servedPackage callback: reported, never thrown.
          logger.error('package-deployments: recording a feed download failed; the download was not affected.', { error: String(err), path: requestPath(req) });
          skip(req, intake, 'error', `recording failed: ${err instanceof Error ? err.message : String(err)}`, { status: res.statusCode });
        });
      settling.add(work);
      void work.finally(() => settling.delete(work));
    };
    res.once('finish', () => finish(true));
    res.once('close', () => finish(res.writableFinished || deliveredInFull(res, written())));
  }

  const middleware = function feedDeploymentsMiddleware(req: Request, res: Response, next: NextFunction): void {
    let intake: Intake | undefined;
    if ((req as unknown as Record<symbol, unknown>)[WATCHED]) {
      next();
      return;
    }
    try {
      const headers = readHeaders(req);
      if (headers !== undefined) intake = intakeOf(req, headers);
    } catch (err) {
      // A layout or switch that throws must not break the download.
      logger.error('package-deployments: reading a feed download failed; it is not recorded.', { error: String(err), path: requestPath(req) });
      intake = undefined;
    }
    if (intake === undefined) {
      next();
      return;
    }
    if (strict && req.method === 'GET' && intake.ref && intake.enabled && intake.headerProblems.length > 0) {
      const problems = intake.headerProblems;
      skip(req, intake, problems.some((p) => /is required|must not be empty/.test(p.message)) ? 'partial_headers' : 'invalid_headers', formatProblems(problems).replace(/\n/g, ' '), { status: 400, problems });
      sendError(res, new DeploymentError(400, 'invalid_deployment', formatProblems(problems), { problems }));
      return;
    }
    (req as unknown as Record<symbol, unknown>)[WATCHED] = true;
    watch(req, res, intake);
    next();
  };

  async function flush(): Promise<void> {
    while (settling.size > 0) await Promise.all([...settling]);
    await queue.flush();
  }

  return Object.assign(middleware, {
    events,
    store,
    stats: (): FeedDeploymentStats => ({ ...queue.stats(), skipped, warnings }),
    flush,
    async close() {
      await flush();
      await queue.close();
      // A store or auth adapter passed in belongs to the caller (usually shared with the router).
      if (ownsStore) await store.close?.();
    },
  }) as FeedDeploymentsMiddleware;
}
