/**
 * The read API's query parameters: read from the raw query string (whatever query parser the host
 * configured), each known one at most once, turned into a store query with every problem named.
 */
import { splitScopedName } from '../record/scoped-name';
import type { Request } from 'express';
import { DeploymentError, formatProblems } from '../http/errors';
import { parseDeploymentDate } from '../record/deployment';
import { MAX_PAGE_SIZE } from '../store/queries';
import type { ExportFormat } from './export';
import type { DeploymentQuery, Problem } from '../types';

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

/** A 400 listing the problems, one a line: at most {@link MAX_LISTED_PROBLEMS}, then how many more. */
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
  if (query.packageName !== undefined) {
    // package=@acme/widget is npm's spelling of group=@acme&package=widget.
    const split = splitScopedName(query.packageName, query.groupName);
    query.packageName = split.packageName;
    if (split.groupName !== undefined) query.groupName = split.groupName;
  }
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

