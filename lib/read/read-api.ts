/**
 * The read API: `GET /api/package-deployment` (the history, newest first) and
 * `GET /api/package-deployment/current` (where a package is running now), as JSON pages with an opaque
 * cursor, or streamed as CSV or NDJSON. Query text → checked filters (400 naming the parameter) →
 * credentials → the auth adapter decides (`Feeds_ViewPackage` on the feed) → store → answer.
 */
import type { NextFunction, Request, Response } from 'express';
import { Privileges } from '../auth/privileges';
import { extractCredentials } from '../http/credentials';
import { parseDeploymentDate } from '../record/deployment';
import { DeploymentError, feedNotFound, forbidden, formatProblems, storageError } from '../http/errors';
import { EXPORT_CONTENT_TYPES, toWire, writeRecords, type ExportFormat } from './export';
import type { FeedResolver } from '../feeds/catalogue';
import { checkPackageQuery, MAX_PAGE_SIZE, streamThroughList } from '../store/queries';
import type { AuthAdapter, DeploymentPage, DeploymentQuery, DeploymentRecord, DeploymentStore, Logger, Principal, Problem, VersionScheme } from '../types';
import { parseVersionRange } from '../versions/registry';

/** What the read handlers (and the History page) need from the router. */
export interface ReadContext {
  store: DeploymentStore;
  auth: AuthAdapter;
  resolveFeed: FeedResolver;
  /** The feed catalogue when it is a list (reads naming no feed cover the listed feeds the caller may view). */
  feedList?: readonly string[];
  schemeFor(feed: string): VersionScheme;
  initStore(): Promise<void>;
  initAuth(): Promise<void>;
  logger: Logger;
  retryAfterSeconds: number;
}

/** Query parameters of the read API (names matched case-insensitively). */
export const READ_PARAMETERS = [
  'feed', 'group', 'package', 'version', 'range', 'target', 'targetPrefix', 'application', 'user', 'since', 'until',
  'limit', 'cursor', 'total', 'format',
] as const;
export type ReadParameter = (typeof READ_PARAMETERS)[number];

/** The raw query string of a request, whatever query parser the host app configured. */
export function rawQuery(req: Request): URLSearchParams {
  const url = req.originalUrl ?? req.url ?? '';
  const q = url.indexOf('?');
  return new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
}

/**
 * Reads the parameters: each known one at most once; unknown ones are a problem (`key` is a credential
 * and ignored). Returns the values by canonical name, and the problems.
 */
export function readParameters(params: URLSearchParams, allowed: readonly string[] = READ_PARAMETERS): { values: Map<string, string>; problems: Problem[] } {
  const byLower = new Map(allowed.map((p) => [p.toLowerCase(), p] as const));
  const values = new Map<string, string>();
  const problems: Problem[] = [];
  let unknown = 0;
  for (const [name, value] of params) {
    const lower = name.toLowerCase();
    if (lower === 'key') continue;
    const canonical = byLower.get(lower);
    if (!canonical) {
      // The known names are listed once, on the first unknown one: 2,000 unknown parameters answer a
      // short 400, not 2,000 copies of the list (badQuery caps the number of lines too).
      problems.push({ field: shortName(name), message: unknown++ === 0 ? `unknown parameter; known ones: ${allowed.join(', ')}.` : 'unknown parameter.' });
      continue;
    }
    if (values.has(canonical)) {
      problems.push({ field: canonical, message: 'given more than once; give it once.' });
      continue;
    }
    values.set(canonical, value);
  }
  return { values, problems };
}

/** A parameter name as a problem names it: at most 64 characters. */
function shortName(name: string): string {
  return name.length > 64 ? `${name.slice(0, 61)}...` : name;
}

/** Problems listed in a 400 at most; the rest are counted. */
export const MAX_LISTED_PROBLEMS = 20;

export function badQuery(problems: readonly Problem[]): DeploymentError {
  const listed = problems.length > MAX_LISTED_PROBLEMS
    ? [...problems.slice(0, MAX_LISTED_PROBLEMS), { message: `... and ${problems.length - MAX_LISTED_PROBLEMS} more problems.` }]
    : problems;
  return new DeploymentError(400, 'bad_query', formatProblems(listed), { problems: listed });
}

/** A checked read request: the store query (feed not yet authorized), and how to answer. */
export interface ReadRequest {
  query: DeploymentQuery;
  /** The range text, read once the feed (and so its scheme) is known. */
  range?: string;
  total: boolean;
  format?: ExportFormat;
}

const TRUE = /^(1|true|yes)$/i;
const FALSE = /^(0|false|no)?$/i;

/** Turns parameter values into a {@link ReadRequest}, collecting every problem. */
export function toReadRequest(values: Map<string, string>, problems: Problem[] = []): ReadRequest {
  const query: DeploymentQuery = {};
  const text = (name: ReadParameter, nonEmpty = true): string | undefined => {
    const value = values.get(name);
    if (value === undefined) return undefined;
    if (nonEmpty && value.trim() === '') {
      problems.push({ field: name, message: 'is empty; leave it out, or give a value.' });
      return undefined;
    }
    return value.trim();
  };
  query.feedName = text('feed');
  // group= (empty) asks for packages without a group.
  query.groupName = text('group', false);
  query.packageName = text('package');
  query.version = text('version');
  query.target = text('target');
  query.targetPrefix = text('targetPrefix');
  query.application = text('application');
  query.userName = text('user');
  for (const name of ['since', 'until'] as const) {
    const value = text(name);
    if (value === undefined) continue;
    const date = parseDeploymentDate(value);
    if (date === undefined) problems.push({ field: name, message: `"${value}" is not an ISO 8601 date, such as 2024-05-01 or 2024-05-01T12:00:00Z (no offset means UTC).` });
    else query[name] = date;
  }
  const limit = text('limit');
  if (limit !== undefined) {
    if (!/^\d+$/.test(limit) || Number(limit) < 1 || Number(limit) > MAX_PAGE_SIZE) {
      problems.push({ field: 'limit', message: `must be a whole number from 1 to ${MAX_PAGE_SIZE}.` });
    } else query.limit = Number(limit);
  }
  query.cursor = text('cursor');
  const range = text('range');
  const totalText = values.get('total');
  let total = false;
  if (totalText !== undefined) {
    if (TRUE.test(totalText.trim())) total = true;
    else if (!FALSE.test(totalText.trim())) problems.push({ field: 'total', message: 'must be true or false.' });
  }
  let format: ExportFormat | undefined;
  const formatText = text('format');
  if (formatText !== undefined) {
    const f = formatText.toLowerCase();
    if (f === 'json' || f === 'csv' || f === 'ndjson') format = f;
    else problems.push({ field: 'format', message: 'must be json, csv or ndjson.' });
  }
  for (const key of Object.keys(query) as (keyof DeploymentQuery)[]) if (query[key] === undefined) delete query[key];
  return { query, range, total, format };
}

/** The answer format: `format=` first, else the Accept header (text/csv, application/x-ndjson), else JSON. */
export function negotiateFormat(req: Request, explicit: ExportFormat | undefined): ExportFormat {
  if (explicit) return explicit;
  const accept = String(req.headers.accept ?? '').toLowerCase();
  if (/\btext\/csv\b/.test(accept)) return 'csv';
  if (/\bapplication\/(x-)?ndjson\b|\bapplication\/jsonl\b|\bapplication\/x-jsonlines\b/.test(accept)) return 'ndjson';
  return 'json';
}

/** Who is calling: the adapter's principal, or `null`; refused credentials are a 403. */
export async function principalOf(ctx: ReadContext, req: Request): Promise<Principal | null> {
  await ctx.initAuth();
  const authenticated = await ctx.auth.authenticate(extractCredentials(req), req);
  if (authenticated === false) throw forbidden();
  return authenticated ?? null;
}

/**
 * Resolves the feed, checks the caller may view it (or, with no feed, restricts the query to the listed
 * feeds they may view), and reads the range with the feed's scheme. Mutates and returns `request.query`.
 */
export async function authorizeRead(ctx: ReadContext, principal: Principal | null, request: ReadRequest): Promise<DeploymentQuery> {
  const query = request.query;
  if (query.feedName !== undefined) {
    const feed = await ctx.resolveFeed(query.feedName);
    if (feed === undefined) throw feedNotFound(query.feedName);
    if (!(await ctx.auth.authorize(principal, Privileges.View, feed))) throw forbidden();
    query.feedName = feed;
  } else if (ctx.feedList) {
    const allowed: string[] = [];
    for (const feed of ctx.feedList) if (await ctx.auth.authorize(principal, Privileges.View, feed)) allowed.push(feed);
    if (allowed.length === 0) throw forbidden();
    query.feedNames = allowed;
  } else if (request.range === undefined && !query.current) {
    throw badQuery([{ field: 'feed', message: 'required: read access is granted per feed, and this server has no list of feeds (the `feeds` option) to read them all.' }]);
  }
  if (request.range !== undefined) {
    checkPackageQuery({ ...query, versionRange: {} as never });
    query.versionRange = parseVersionRange(ctx.schemeFor(query.feedName!), request.range);
  }
  checkPackageQuery(query);
  return query;
}

/** Runs a store call, turning its failures into 503 (unreachable) or 500 answers. */
export async function fromStore<T>(ctx: ReadContext, run: () => Promise<T>): Promise<T> {
  try {
    await ctx.initStore();
    return await run();
  } catch (err) {
    throw storageError(err, ctx.retryAfterSeconds);
  }
}

export function listFrom(ctx: ReadContext, query: DeploymentQuery): Promise<DeploymentPage> {
  return fromStore(ctx, () => (query.current && ctx.store.current ? ctx.store.current(query as never) : ctx.store.list(query)));
}

function streamFrom(ctx: ReadContext, query: DeploymentQuery): AsyncIterable<DeploymentRecord> {
  return ctx.store.stream ? ctx.store.stream(query) : streamThroughList((q) => ctx.store.list(q), query);
}

async function countFrom(ctx: ReadContext, query: DeploymentQuery): Promise<number> {
  return fromStore(ctx, async () => {
    if (ctx.store.count) return ctx.store.count(query);
    let n = 0;
    for await (const _ of streamFrom(ctx, { ...query, cursor: undefined })) n++;
    return n;
  });
}

/** The first record is read before the answer starts, so a failing store still gets a proper status. */
async function startStream(ctx: ReadContext, query: DeploymentQuery, cap: number | undefined): Promise<AsyncIterable<DeploymentRecord>> {
  const iterator = streamFrom(ctx, query)[Symbol.asyncIterator]();
  const first = await fromStore(ctx, () => iterator.next());
  return {
    [Symbol.asyncIterator]() {
      let pending: IteratorResult<DeploymentRecord> | undefined = first;
      let count = 0;
      return {
        async next() {
          if (cap !== undefined && count >= cap) {
            await iterator.return?.();
            return { done: true, value: undefined };
          }
          const result = pending ?? (await iterator.next());
          pending = undefined;
          if (!result.done) count++;
          return result;
        },
        async return() {
          await iterator.return?.();
          return { done: true, value: undefined };
        },
      };
    },
  };
}

/** The handler of `GET /api/package-deployment` (`current: false`) and `.../current` (`current: true`). */
export function readHandler(ctx: ReadContext, current: boolean) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      const { values, problems } = readParameters(rawQuery(req));
      const request = toReadRequest(values, problems);
      if (current) request.query.current = true;
      const format = negotiateFormat(req, request.format);
      if (request.total && format !== 'json') problems.push({ field: 'total', message: 'is only given in JSON answers; leave it out for CSV and NDJSON.' });
      if (problems.length > 0) throw badQuery(problems);
      const principal = await principalOf(ctx, req);
      const query = await authorizeRead(ctx, principal, request);

      if (format === 'json') {
        const [page, total] = await Promise.all([listFrom(ctx, query), request.total ? countFrom(ctx, query) : undefined]);
        res.status(200).json({ records: page.records.map(toWire), nextCursor: page.nextCursor ?? null, ...(total !== undefined ? { total } : {}) });
        return;
      }
      // An export: every record from the cursor on; `limit`, when given, caps it.
      const records = await startStream(ctx, { ...query, limit: undefined }, query.limit);
      res.status(200).setHeader('Content-Type', EXPORT_CONTENT_TYPES[format]);
      res.setHeader('Cache-Control', 'no-store');
      if (format === 'csv') {
        const name = `${query.packageName ?? 'package'}-${current ? 'running-now' : 'deployments'}.csv`.replace(/[^\w.-]+/g, '_');
        res.setHeader('Content-Disposition', `attachment; filename="${name}"`);
      }
      if (req.method === 'HEAD') {
        // Headers only: do not run the whole export for nothing.
        await records[Symbol.asyncIterator]().return?.();
        res.end();
        return;
      }
      try {
        await writeRecords(records, res, format);
      } catch (err) {
        // The answer has started: all that can be done is to cut it short, so the client sees it broken.
        ctx.logger.error(`package-deployments: export failed part-way: ${err instanceof Error ? err.message : String(err)}`);
        res.destroy();
        return;
      }
      res.end();
    } catch (err) {
      next(err);
    }
  };
}
