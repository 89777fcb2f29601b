/** Verdaccio's logged-in user (`req.remote_user`, set from a session token or Basic login) as a principal. */
import type { Request } from 'express';
import { HOST_PRINCIPAL_KIND } from '../auth/host-principal';
import type { Principal } from '../types';

/** What Verdaccio puts on `req.remote_user`: `name` is undefined for anonymous callers. */
export interface VerdaccioRemoteUser {
  name?: string;
  groups?: string[];
  real_groups?: string[];
}

/** The logged-in user, or `null` for anonymous callers (and for a token Verdaccio refused). */
export function verdaccioPrincipal(req: Request): Principal | null {
  const user = (req as Request & { remote_user?: VerdaccioRemoteUser }).remote_user;
  if (!user || typeof user.name !== 'string' || user.name === '') return null;
  return { name: user.name, kind: HOST_PRINCIPAL_KIND, groups: [...(user.real_groups ?? [])] };
}
