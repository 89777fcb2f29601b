/** The principal a host's own authentication put on the request, for downloads the host already authorized. */
import type { Request } from 'express';
import type { Principal } from '../types';

/** The host's own principal: `req.user` as a string, or an object with a string `name` or `username`. */
export function hostPrincipal(req: Request): Principal | undefined {
  const user = (req as Request & { user?: unknown }).user;
  if (typeof user === 'string' && user !== '') return { name: user, kind: 'host' };
  if (user && typeof user === 'object') {
    const u = user as { name?: unknown; username?: unknown };
    const name = typeof u.name === 'string' && u.name !== '' ? u.name : typeof u.username === 'string' && u.username !== '' ? u.username : undefined;
    if (name !== undefined) return { ...(user as object), name, kind: (user as { kind?: string }).kind ?? 'host' };
  }
  return undefined;
}
