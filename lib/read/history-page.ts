/**
 * The History page: server-rendered HTML per package (and per version), like ProGet's History tab:
 * Application | Details ("{Target} on {date} by {User}" and the Description) | More Info (the Url),
 * newest first, paged, with the read API's filters as a plain GET form and a "running now" list. No
 * JavaScript; every field is escaped; a Url is a link only when it is http(s).
 */
import type { NextFunction, Request, Response } from 'express';
import { isHttpUrl } from '../record/deployment';
import { splitScopedName } from '../record/scoped-name';
import { DeploymentError } from '../http/errors';
import { extractCredentials } from '../http/credentials';
import { authorizeRead, principalOf } from './authorize';
import type { ReadContext } from './context';
import { listFrom } from './from-store';
import { rawQuery, readParameters, toReadRequest } from './parameters';
import type { DeploymentPage, DeploymentQuery, DeploymentRecord } from '../types';

/** The page's own parameters (its path gives feed, package and, optionally, version). */
export const PAGE_PARAMETERS = ['group', 'version', 'range', 'target', 'targetPrefix', 'application', 'user', 'since', 'until', 'limit', 'cursor'] as const;
/** Running-now targets shown on the page (the API's `/current` pages through all of them). */
export const RUNNING_NOW_LIMIT = 1000;
const DEFAULT_PAGE_ROWS = 50;

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** `2024-05-01 12:00:00 UTC`: an unambiguous date for people. */
export function displayDate(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** What the page shows. */
export interface HistoryPageModel {
  feed: string;
  packageName: string;
  groupName?: string;
  version?: string;
  /** The filter values as typed (the form shows them back). */
  filters: Record<string, string>;
  /** The scheme that reads `range`. */
  scheme: string;
  history?: DeploymentPage;
  runningNow?: DeploymentPage;
  /** A 400's message, shown above the form. */
  error?: string;
  /** The page's own path, without a query. */
  path: string;
  /** The read API's path, for the export links. */
  apiPath: string;
  /** `key` when the request's credential came in the query string, so links keep working; else none. */
  key?: string;
  /** Per record id, how its webhook notifications stand (records without any are left out). */
  notifications?: Record<string, { delivered: number; pending: number; failed: number }>;
}

function href(path: string, params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, v);
  const text = q.toString();
  return text ? `${path}?${text}` : path;
}

/** "Notifications: 2 delivered, 1 pending" for a record that has webhook deliveries. */
function notificationsLine(n: { delivered: number; pending: number; failed: number } | undefined): string {
  if (!n) return '';
  const parts = (['delivered', 'pending', 'failed'] as const).filter((k) => n[k] > 0).map((k) => `${n[k]} ${k}`);
  const state = n.failed > 0 ? 'failed' : n.pending > 0 ? 'pending' : 'delivered';
  return `<div class="notifications" data-state="${state}">Notifications: ${escapeHtml(parts.join(', '))}</div>`;
}

function detailsCell(r: DeploymentRecord, notifications?: HistoryPageModel['notifications']): string {
  return `<td class="details"><div class="line">${r.removed ? '<strong class="removal">Removed</strong> from ' : ''}<span class="target">${escapeHtml(r.target)}</span> on <time datetime="${escapeHtml(r.date.toISOString())}">${escapeHtml(displayDate(r.date))}</time> by <span class="user">${escapeHtml(r.userName)}</span></div>` +
    (r.description ? `<div class="description">${escapeHtml(r.description)}</div>` : '') + notificationsLine(notifications?.[r.id]) + '</td>';
}

function moreInfoCell(r: DeploymentRecord): string {
  if (r.url && isHttpUrl(r.url)) return `<td class="more-info"><a href="${escapeHtml(r.url)}" rel="noopener noreferrer nofollow">${escapeHtml(r.url)}</a></td>`;
  return `<td class="more-info">${r.url ? escapeHtml(r.url) : ''}</td>`;
}

function field(name: string, label: string, value: string | undefined, placeholder = ''): string {
  return `<label>${escapeHtml(label)} <input type="text" name="${name}" value="${escapeHtml(value ?? '')}" placeholder="${escapeHtml(placeholder)}"></label>`;
}

/** Renders the page (pure: a model in, HTML out). */
export function renderHistoryPage(m: HistoryPageModel): string {
  const title = `${m.groupName ? `${m.groupName}/` : ''}${m.packageName}${m.version ? ` ${m.version}` : ''}`;
  const f = m.filters;
  const keep = { key: m.key, group: m.groupName };
  const exportParams = { ...keep, feed: m.feed, package: m.packageName, ...f, version: m.version ?? f.version, limit: undefined, cursor: undefined };
  const running = m.runningNow?.records ?? [];
  const history = m.history?.records ?? [];
  const out: string[] = [];
  out.push('<!doctype html>', '<html lang="en"><head><meta charset="utf-8">', '<meta name="viewport" content="width=device-width, initial-scale=1">');
  out.push(`<title>${escapeHtml(title)} · deployments · ${escapeHtml(m.feed)}</title>`);
  out.push('<style>body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#222}table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}th,td{border-bottom:1px solid #ddd;padding:.4rem .6rem;text-align:left;vertical-align:top}th{background:#f4f4f4}.description{color:#555;white-space:pre-wrap}form{display:flex;flex-wrap:wrap;gap:.5rem 1rem;margin:1rem 0}.error{background:#fee;border:1px solid #c00;padding:.5rem;white-space:pre-wrap}nav a{margin-right:1rem}</style>');
  out.push('</head><body>');
  out.push(`<h1>Deployments of <span class="package">${escapeHtml(title)}</span></h1>`);
  out.push(`<p>Feed <strong>${escapeHtml(m.feed)}</strong>${m.groupName ? `, group <strong>${escapeHtml(m.groupName)}</strong>` : ''}. Versions are compared as <strong>${escapeHtml(m.scheme)}</strong>.</p>`);
  if (m.error) out.push(`<p class="error" role="alert">${escapeHtml(m.error)}</p>`);

  out.push(`<form method="get" action="${escapeHtml(m.path)}" aria-label="Filters">`);
  if (m.key) out.push(`<input type="hidden" name="key" value="${escapeHtml(m.key)}">`);
  if (m.groupName !== undefined) out.push(`<input type="hidden" name="group" value="${escapeHtml(m.groupName)}">`);
  out.push(field('range', 'Version range', f.range, m.scheme === 'nuget' ? '(,13.0.1)' : m.scheme === 'maven' ? '[1.0,2.0)' : '<13.0.1'));
  if (!m.version || f.version !== undefined) out.push(field('version', 'Exact version', f.version));
  out.push(field('targetPrefix', 'Target starts with', f.targetPrefix), field('target', 'Target', f.target));
  out.push(field('application', 'Application', f.application), field('user', 'User', f.user));
  out.push(field('since', 'Since', f.since, '2024-01-01'), field('until', 'Until', f.until, '2024-12-31T23:59:59Z'));
  out.push(`<button type="submit">Filter</button> <a href="${escapeHtml(href(m.path, keep))}">Clear</a>`);
  out.push('</form>');

  out.push('<section id="running-now"><h2>Running now</h2>');
  out.push('<p>Each target\'s latest deployment of this package (by date; filters apply to that latest one).</p>');
  if (running.length === 0) out.push('<p class="empty">No target matches.</p>');
  else {
    out.push('<table><thead><tr><th>Target</th><th>Version</th><th>Deployed</th><th>Application</th><th>User</th></tr></thead><tbody>');
    for (const r of running) {
      out.push(`<tr><td class="target">${escapeHtml(r.target)}</td><td class="version">${escapeHtml(r.version)}</td><td><time datetime="${escapeHtml(r.date.toISOString())}">${escapeHtml(displayDate(r.date))}</time></td><td>${escapeHtml(r.application)}</td><td>${escapeHtml(r.userName)}</td></tr>`);
    }
    out.push('</tbody></table>');
    if (m.runningNow?.nextCursor) out.push(`<p>More than ${running.length} targets: see the export.</p>`);
  }
  out.push(`<p>Export: <a href="${escapeHtml(href(`${m.apiPath}/current`, { ...exportParams, format: 'csv' }))}">CSV</a> · <a href="${escapeHtml(href(`${m.apiPath}/current`, { ...exportParams, format: 'ndjson' }))}">NDJSON</a> · <a href="${escapeHtml(href(`${m.apiPath}/current`, exportParams))}">JSON</a></p>`);
  out.push('</section>');

  out.push('<section id="history"><h2>History</h2>');
  if (history.length === 0) out.push('<p class="empty">No deployments match.</p>');
  else {
    out.push('<table><thead><tr><th>Application</th><th>Details</th><th>More Info</th></tr></thead><tbody>');
    for (const r of history) {
      out.push(`<tr><td class="application">${escapeHtml(r.application)}${m.version ? '' : ` <span class="version">${escapeHtml(r.version)}</span>`}</td>${detailsCell(r, m.notifications)}${moreInfoCell(r)}</tr>`);
    }
    out.push('</tbody></table>');
  }
  const pageParams = { ...keep, ...f, cursor: undefined };
  out.push('<nav aria-label="Pages">');
  if (f.cursor) out.push(`<a href="${escapeHtml(href(m.path, pageParams))}" rel="first">Newest</a>`);
  if (m.history?.nextCursor) out.push(`<a href="${escapeHtml(href(m.path, { ...pageParams, cursor: m.history.nextCursor }))}" rel="next">Older</a>`);
  out.push('</nav>');
  out.push(`<p>Export: <a href="${escapeHtml(href(m.apiPath, { ...exportParams, format: 'csv' }))}">CSV</a> · <a href="${escapeHtml(href(m.apiPath, { ...exportParams, format: 'ndjson' }))}">NDJSON</a></p>`);
  out.push('</section></body></html>');
  return out.join('\n');
}

/** Webhook delivery states of the shown records, when the store keeps a webhook outbox; never fails the page. */
async function notificationsOf(ctx: ReadContext, records: readonly DeploymentRecord[]): Promise<HistoryPageModel['notifications']> {
  const store = ctx.store as { summarizeWebhookDeliveries?: (ids: string[]) => Promise<NonNullable<HistoryPageModel['notifications']>> };
  if (typeof store.summarizeWebhookDeliveries !== 'function' || records.length === 0) return undefined;
  try {
    return await store.summarizeWebhookDeliveries(records.map((r) => r.id));
  } catch (err) {
    ctx.logger.warn(`package-deployments: the History page could not read webhook delivery states: ${(err as Error).message}`);
    return undefined;
  }
}

/** What a History page URL names: `{feed}/{package}[/{version}]`, the package possibly `@scope/name`. */
interface PageTarget {
  feed: string;
  groupName?: string;
  packageName: string;
  version?: string;
}

/**
 * Reads the route parameters `feed`, `p1`, `p2`, `p3`: `{feed}/{name}[/{version}]`,
 * `{feed}/@scope/{name}[/{version}]` or `{feed}/@scope%2f{name}[/{version}]`. `undefined` for anything
 * else, such as an npm tarball path (`{name}/-/{file}`): the page never answers a URL it does not own.
 */
export function pageTarget(req: Request): PageTarget | undefined {
  const feed = String(req.params.feed ?? '');
  const parts = [req.params.p1, req.params.p2, req.params.p3].filter((p): p is string => typeof p === 'string');
  if (feed === '' || feed === '-' || parts.length === 0 || parts.some((p) => p === '' || p === '-')) return undefined;
  let groupName: string | undefined;
  let rest = parts;
  const first = parts[0]!;
  if (first.startsWith('@')) {
    const slash = first.indexOf('/');
    if (slash > 0) {
      const split = splitScopedName(first);
      if (split.groupName === undefined) return undefined;
      groupName = split.groupName;
      rest = [split.packageName, ...parts.slice(1)];
    } else if (parts.length >= 2) {
      groupName = first;
      rest = parts.slice(1);
    }
  }
  if (rest.length > 2 || rest.some((p) => p.includes('/'))) return undefined;
  return { feed, groupName, packageName: rest[0]!, version: rest[1] };
}

/** The handler of `GET {historyPath}/:feed/:p1[/:p2[/:p3]]` (see {@link pageTarget}). */
export function historyPageHandler(ctx: ReadContext, apiPath: string) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      const target = pageTarget(req);
      if (target === undefined) {
        // Not a History page URL (an npm tarball path such as {name}/-/{file}, say): the host answers it.
        next();
        return;
      }
      const params = rawQuery(req);
      const feedParam = target.feed;
      const packageName = target.packageName;
      const pathVersion = target.version;
      const { values, problems } = readParameters(params, PAGE_PARAMETERS);
      const filters: Record<string, string> = {};
      for (const [k, v] of values) if (v !== '' || k === 'group') filters[k] = v;
      delete filters.group;
      values.set('feed', feedParam);
      values.set('package', packageName);
      if (target.groupName !== undefined) values.set('group', target.groupName);
      if (pathVersion !== undefined && !values.has('version')) values.set('version', pathVersion);
      if (!values.has('limit')) values.set('limit', String(DEFAULT_PAGE_ROWS));
      // Empty form fields mean "no filter" on the page.
      for (const [k, v] of [...values]) if (v.trim() === '' && k !== 'group') values.delete(k);
      const request = toReadRequest(values, problems);

      const principal = await principalOf(ctx, req);
      // The credential this request used, when it was not the host's own login.
      const credentials = ctx.hostPrincipal?.(req) ? null : extractCredentials(req);
      const model: HistoryPageModel = {
        feed: feedParam,
        packageName,
        groupName: values.get('group'),
        version: pathVersion,
        filters,
        scheme: '',
        path: `${req.baseUrl}${req.path}`,
        apiPath: `${req.baseUrl}${apiPath}`,
        // Echoed into the page's links and form only when it is the credential this request used (so a
        // browser that came with ?key= can filter and page); never when another credential was used.
        key: credentials?.type === 'apiKey' && credentials.source === 'query' ? credentials.key : undefined,
      };
      let status = 200;
      try {
        const query = await authorizeRead(ctx, principal, request, problems);
        model.feed = query.feedName!;
        model.scheme = ctx.schemeFor(model.feed).name;
        const currentQuery: DeploymentQuery = { ...query, current: true, cursor: undefined, limit: RUNNING_NOW_LIMIT };
        [model.history, model.runningNow] = await Promise.all([listFrom(ctx, query), listFrom(ctx, currentQuery)]);
        model.notifications = await notificationsOf(ctx, model.history.records);
      } catch (err) {
        if (!(err instanceof DeploymentError) || err.status !== 400) throw err;
        status = 400;
        model.error = err.message;
        model.scheme ||= ctx.schemeFor(feedParam).name;
      }
      res.status(status).type('text/html; charset=utf-8');
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'");
      res.send(renderHistoryPage(model));
    } catch (err) {
      next(err);
    }
  };
}
