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
export function readHeaders(req: Request): HeaderValues | undefined {
  let values: HeaderValues | undefined;
  for (const { header, field } of DEPLOYMENT_HEADERS) {
    const raw = req.headers[header.toLowerCase()];
    if (raw === undefined) continue;
    values ??= {};
    values[field] = Array.isArray(raw) ? raw.join(', ') : String(raw);
  }
  return values;
}
