/**
 * package-deployments/client: a typed client of the record endpoint and the read API, on Node's own
 * `fetch` (Node 20+), with no dependencies. Errors come back as {@link DeploymentsClientError} with the
 * server's status and its `text/plain` reason.
 */
import type { WireRecord } from '../read/export';

export type { WireRecord };

/** A deployment to record: ProGet's fields. `Date` may be a Date or ISO 8601 text. */
export interface DeploymentInput {
  Application: string;
  /** May be empty. */
  Description: string;
  Target: string;
  FeedName: string;
  PackageName: string;
  Version: string;
  GroupName?: string;
  UserName?: string;
  Url?: string;
  Date?: string | Date;
  /** Ours, not ProGet's: `true` records a removal (the package was removed from the target). */
  Removed?: boolean;
}

/** A purge (`POST /api/package-deployment/purge`): a dry run unless `dryRun: false`. */
export interface PurgeRequest {
  feed: string;
  group?: string;
  package?: string;
  target?: string;
  keepLatest?: number;
  /** `"90d"`, `"12h"`, `"2w"`, `"P90D"`. */
  olderThan?: string;
  /** ISO 8601. */
  before?: string | Date;
  keepPrevious?: boolean;
  dryRun?: boolean;
  sampleSize?: number;
}

/** What a purge did (or, a dry run, would do). */
export interface PurgeAnswer {
  dryRun: boolean;
  matched: number;
  deleted: number;
  scanned: number;
  byFeed: Array<{ feedName: string; count: number }>;
  byPackage: Array<{ feedName: string; groupName?: string; packageName: string; count: number }>;
  sample: WireRecord[];
}

/** Filters of the read API (all optional; `feed` is needed unless the server lists its feeds). */
export interface ReadQuery {
  feed?: string;
  group?: string;
  /** `@scope/name` is read as group `@scope`, package `name`. */
  package?: string;
  version?: string;
  range?: string;
  target?: string;
  targetPrefix?: string;
  application?: string;
  user?: string;
  since?: string | Date;
  until?: string | Date;
  limit?: number;
  cursor?: string;
  total?: boolean;
}

export interface RecordPage {
  records: WireRecord[];
  nextCursor: string | null;
  total?: number;
}

export interface DeploymentsClientOptions {
  /** The server's base URL, where the router is mounted (`https://feeds.example`, `http://verdaccio:4873/-/deployments`). Required. */
  url: string;
  /** An API key, sent as `X-ApiKey`. Defaults to none. */
  apiKey?: string;
  /** A host login token, sent as `Authorization: Bearer ...` (a Verdaccio token). Defaults to none. */
  bearer?: string;
  /** The fetch to use. Defaults to the global `fetch`. */
  fetch?: typeof fetch;
}

/** A refused or failed request: `status` 0 when the server could not be reached. */
export class DeploymentsClientError extends Error {
  readonly status: number;
  /** The server's text (never holds the key the client sent). */
  readonly body: string;
  constructor(status: number, body: string, message: string) {
    super(message);
    this.name = 'DeploymentsClientError';
    this.status = status;
    this.body = body;
  }
}

export interface DeploymentsClient {
  /**
   * Records one deployment; resolves once the server committed it (200). With `idempotencyKey`, a retry
   * with the same key stores it once (the `Idempotency-Key` header).
   */
  record(deployment: DeploymentInput, options?: { idempotencyKey?: string }): Promise<void>;
  /** Applies a retention policy (needs `Feeds_DeletePackage`); a dry run unless `dryRun: false`. */
  purge(request: PurgeRequest): Promise<PurgeAnswer>;
  /** Deletes one record by id (needs `Feeds_DeletePackage`); resolves with it. */
  deleteRecord(id: string): Promise<WireRecord>;
  /** One page of the history, newest first. */
  history(query?: ReadQuery): Promise<RecordPage>;
  /** Where a package is running now: one page of each target's latest record. */
  current(query: ReadQuery & { feed: string; package: string }): Promise<RecordPage>;
  /** Every record matching `query`, page after page. */
  all(query?: ReadQuery, options?: { current?: boolean }): AsyncIterable<WireRecord>;
  /** An export as the server streams it (CSV or NDJSON): read `body` as a web stream. */
  export(query: ReadQuery, options: { format: 'csv' | 'ndjson'; current?: boolean }): Promise<Response>;
  /** The server's OpenAPI document. */
  openapi(): Promise<Record<string, unknown>>;
  /**
   * Which targets run an affected version now: `advisories` is OSV JSON (one, an array, `{ vulns }`) or
   * `{ purl, range }`. JSON resolves to `{ matches, reports }`; CSV and NDJSON to the server's text.
   */
  advisories(advisories: unknown, options?: { format?: 'json' | 'csv' | 'ndjson' }): Promise<{ matches: Array<Record<string, unknown>>; reports: Array<Record<string, unknown>> } | string>;
}

function queryString(query: ReadQuery, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    params.set(name, value instanceof Date ? value.toISOString() : String(value));
  }
  for (const [name, value] of Object.entries(extra)) params.set(name, value);
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** Creates a client. */
export function createDeploymentsClient(options: DeploymentsClientOptions): DeploymentsClient {
  if (!options || typeof options.url !== 'string' || !/^https?:\/\//i.test(options.url)) {
    throw new TypeError('createDeploymentsClient({ url }): url must be the server\'s http(s) base URL, such as "https://feeds.example".');
  }
  const base = options.url.replace(/\/+$/, '');
  const doFetch = options.fetch ?? globalThis.fetch;
  const headers: Record<string, string> = {};
  if (options.apiKey) headers['X-ApiKey'] = options.apiKey;
  if (options.bearer) headers.Authorization = `Bearer ${options.bearer}`;

  async function send(path: string, init: RequestInit = {}): Promise<Response> {
    let res: Response;
    try {
      res = await doFetch(`${base}${path}`, { ...init, headers: { ...headers, ...(init.headers as Record<string, string> | undefined) } });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new DeploymentsClientError(0, '', `Could not reach ${base}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
    }
    if (res.ok) return res;
    const body = await res.text().catch(() => '');
    throw new DeploymentsClientError(res.status, body, `${init.method ?? 'GET'} ${path.split('?')[0]} answered ${res.status}: ${body.trim() || res.statusText}`);
  }

  async function page(path: string, query: ReadQuery): Promise<RecordPage> {
    const res = await send(`${path}${queryString(query)}`, { headers: { Accept: 'application/json' } });
    return (await res.json()) as RecordPage;
  }

  return {
    async record(deployment, options = {}) {
      const body: Record<string, string | boolean> = {};
      for (const [name, value] of Object.entries(deployment)) {
        if (value === undefined) continue;
        body[name] = value instanceof Date ? value.toISOString() : typeof value === 'boolean' ? value : String(value);
      }
      const extra: Record<string, string> = options.idempotencyKey !== undefined ? { 'Idempotency-Key': options.idempotencyKey } : {};
      const res = await send('/api/package-deployment/', { method: 'POST', headers: { 'Content-Type': 'application/json', ...extra }, body: JSON.stringify(body) });
      await res.arrayBuffer();
    },
    async purge(request) {
      const body = { ...request, ...(request.before instanceof Date ? { before: request.before.toISOString() } : {}) };
      const res = await send('/api/package-deployment/purge', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      return (await res.json()) as PurgeAnswer;
    },
    async deleteRecord(id) {
      const res = await send(`/api/package-deployment/${encodeURIComponent(id)}`, { method: 'DELETE' });
      return (await res.json()) as WireRecord;
    },
    history: (query = {}) => page('/api/package-deployment', query),
    current: (query) => page('/api/package-deployment/current', query),
    async *all(query = {}, { current = false } = {}) {
      let cursor = query.cursor;
      do {
        const result = await page(current ? '/api/package-deployment/current' : '/api/package-deployment', { ...query, cursor });
        yield* result.records;
        cursor = result.nextCursor ?? undefined;
      } while (cursor);
    },
    export(query, { format, current = false }) {
      return send(`${current ? '/api/package-deployment/current' : '/api/package-deployment'}${queryString(query, { format })}`);
    },
    async advisories(advisories, { format = 'json' } = {}) {
      const res = await send(`/api/package-deployment/advisories${format === 'json' ? '' : `?format=${format}`}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(advisories) });
      return format === 'json' ? ((await res.json()) as { matches: Array<Record<string, unknown>>; reports: Array<Record<string, unknown>> }) : res.text();
    },
    async openapi() {
      return (await (await send('/api/package-deployment/openapi.json')).json()) as Record<string, unknown>;
    },
  };
}
