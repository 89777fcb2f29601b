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

/** A header's value as one string (Node joins most repeated headers itself; an array is joined here). */
const text = (raw: string | string[]): string => (Array.isArray(raw) ? raw.join(', ') : String(raw));

/**
 * True when `req` carries any deployment header: what the middleware asks of every download, so it reads
 * the six names and allocates nothing. Names are spelled out (Node gives them in lower case), not looked up
 * from {@link DEPLOYMENT_HEADERS} in a loop: a constant name is a cheaper property read than a computed one
 * (`__tests__/feed-middleware.test.ts` holds the two lists equal).
 */
export function hasDeploymentHeaders(req: Request): boolean {
  const h = req.headers;
  return h['x-proget-deployment-target'] !== undefined
    || h['x-proget-deployment-application'] !== undefined
    || h['x-proget-deployment-description'] !== undefined
    || h['x-proget-deployment-url'] !== undefined
    || h['x-proget-deployment-username'] !== undefined
    || h['x-proget-deployment-date'] !== undefined;
}

/** The deployment headers present on `req`, by field (none: `{}`). */
export function readHeaders(req: Request): HeaderValues {
  const h = req.headers;
  const application = h['x-proget-deployment-application'];
  const description = h['x-proget-deployment-description'];
  const target = h['x-proget-deployment-target'];
  const url = h['x-proget-deployment-url'];
  const userName = h['x-proget-deployment-username'];
  const date = h['x-proget-deployment-date'];
  const values: HeaderValues = {};
  if (application !== undefined) values.Application = text(application);
  if (description !== undefined) values.Description = text(description);
  if (target !== undefined) values.Target = text(target);
  if (url !== undefined) values.Url = text(url);
  if (userName !== undefined) values.UserName = text(userName);
  if (date !== undefined) values.Date = text(date);
  return values;
}
