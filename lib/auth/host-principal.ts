/**
 * The principal the host's own login established: what the router and the feed middleware use, before
 * any credential, when their `principal` option is left out.
 */
import type { Request } from 'express';
import type { Principal } from '../types';

/** The kind the default `principal` option gives the host's users; `apiKeyAuth()` authorizes them through `authorizeUser`. */
export const HOST_PRINCIPAL_KIND = 'host';

/** The host's own principal: `req.user` as a string, or an object with a string `name` or `username`. */
export function hostPrincipal(req: Request): Principal | undefined {
  const user = (req as Request & { user?: unknown }).user;
  if (typeof user === 'string' && user !== '') return { name: user, kind: HOST_PRINCIPAL_KIND };
  if (user && typeof user === 'object') {
    const u = user as { name?: unknown; username?: unknown };
    const name = typeof u.name === 'string' && u.name !== '' ? u.name : typeof u.username === 'string' && u.username !== '' ? u.username : undefined;
    if (name !== undefined) return { ...(user as object), name, kind: (user as { kind?: string }).kind ?? HOST_PRINCIPAL_KIND };
  }
  return undefined;
}
