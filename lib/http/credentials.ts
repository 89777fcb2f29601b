/**
 * Pulls the credentials out of a request, in the order of the wire contract (section 2): the first one
 * present wins. `X-ApiKey` header; `key` in the query string; `key` form field; `API_Key` on the JSON
 * root; HTTP Basic `api:<key>` (scheme matched case-insensitively). Basic with any other user name is a
 * user credential ("pseudo-key") for an adapter's `users` callback.
 */
import type { Request } from 'express';
import type { Credentials } from '../types';
import { DeploymentError } from './errors';

function firstString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return undefined;
}

/**
 * A credential given twice (`?key=a&key=b`, two `key` form fields, `"API_Key": ["a", "b"]`) is refused:
 * reading only the first would let a proxy or a log see another value than the one that was used.
 */
function givenTwice(where: string): DeploymentError {
  return new DeploymentError(400, 'bad_request', `${where}: a credential was given more than once; give it once.`);
}

/** One credential value: a string, or nothing; a list is a credential given twice. */
function single(value: unknown, where: string): string | undefined {
  if (Array.isArray(value)) {
    if (value.length > 1) throw givenTwice(where);
    return firstString(value);
  }
  return typeof value === 'string' ? value : undefined;
}

/** Reads `key` from the raw query string, so it works whatever query parser the host app configured. */
function queryKey(req: Request): string | undefined {
  const url = req.originalUrl ?? req.url ?? '';
  const q = url.indexOf('?');
  if (q < 0) return undefined;
  let keys: string[];
  try {
    keys = new URLSearchParams(url.slice(q + 1)).getAll('key');
  } catch {
    return undefined;
  }
  if (keys.length > 1) throw givenTwice('key (query string)');
  return keys[0];
}

/** The own property of a body object whose name matches `name`, or `undefined`. */
function bodyField(body: unknown, name: string, where: string): string | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  return Object.prototype.hasOwnProperty.call(body, name)
    ? single((body as Record<string, unknown>)[name], where)
    : undefined;
}

export function parseBasic(header: string | undefined): { user: string; password: string } | undefined {
  if (!header) return undefined;
  const match = /^\s*basic\s+([A-Za-z0-9+/=._~-]+)\s*$/i.exec(header);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * The credentials `req` presents, or `null` when it presents none. Throws a 400 {@link DeploymentError}
 * when one is given twice in the same place. Form and JSON keys are only seen once
 * the body has been parsed (the router does that first).
 */
export function extractCredentials(req: Request): Credentials | null {
  const header = firstString(req.headers['x-apikey']);
  if (header !== undefined && header !== '') return { type: 'apiKey', key: header, source: 'header' };

  const query = queryKey(req);
  if (query !== undefined && query !== '') return { type: 'apiKey', key: query, source: 'query' };

  const contentType = String(req.headers['content-type'] ?? '').toLowerCase();
  const isJson = /^application\/([\w.+-]*\+)?json/.test(contentType);
  if (!isJson) {
    const form = bodyField(req.body, 'key', 'key (form field)');
    if (form !== undefined && form !== '') return { type: 'apiKey', key: form, source: 'form' };
  } else {
    const json = bodyField(req.body, 'API_Key', 'API_Key (JSON)');
    if (json !== undefined && json !== '') return { type: 'apiKey', key: json, source: 'json' };
  }

  const basic = parseBasic(firstString(req.headers.authorization));
  if (basic) {
    if (basic.user.toLowerCase() === 'api') return { type: 'apiKey', key: basic.password, source: 'basic' };
    return { type: 'basic', user: basic.user, password: basic.password, source: 'basic' };
  }
  return null;
}
