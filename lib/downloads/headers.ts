/** The `X-ProGet-Deployment-*` request headers (wire contract, section 3): which there are, and reading them. */
import type { Request } from 'express';
import type { DeploymentField } from '../types';

/** The deployment headers, and the field each fills. Node gives header names in lower case. */
export const DEPLOYMENT_HEADERS: ReadonlyArray<{ header: string; field: DeploymentField }> = [
  { header: 'X-ProGet-Deployment-Application', field: 'Application' },
  { header: 'X-ProGet-Deployment-Description', field: 'Description' },
  { header: 'X-ProGet-Deployment-Target', field: 'Target' },
  { header: 'X-ProGet-Deployment-Url', field: 'Url' },
  { header: 'X-ProGet-Deployment-UserName', field: 'UserName' },
  { header: 'X-ProGet-Deployment-Date', field: 'Date' },
];

/** The header that carries a field, by field name. */
export const HEADER_OF: ReadonlyMap<string, string> = new Map(DEPLOYMENT_HEADERS.map((h) => [h.field, h.header]));

/** The deployment header values of one request, by field. */
export type HeaderValues = Partial<Record<DeploymentField, string>>;

/** The deployment headers present on `req`, or `undefined` when there is none. */
/** Node gives header names in lower case: the names looked up on every download, computed once. */
const LOOKUPS: ReadonlyArray<{ name: string; field: DeploymentField }> = DEPLOYMENT_HEADERS.map((h) => ({ name: h.header.toLowerCase(), field: h.field }));

export function readHeaders(req: Request): HeaderValues | undefined {
  let values: HeaderValues | undefined;
  const headers = req.headers;
  for (let i = 0; i < LOOKUPS.length; i++) {
    const { name, field } = LOOKUPS[i]!;
    const raw = headers[name];
    if (raw === undefined) continue;
    values ??= {};
    values[field] = Array.isArray(raw) ? raw.join(', ') : String(raw);
  }
  return values;
}
