/** The path of a request as the client sent it, without the query string (which may hold a key). */
import type { Request } from 'express';

export function requestPath(req: Request): string {
  const url = req.originalUrl ?? req.url ?? '';
  const q = url.search(/[?#]/);
  return q < 0 ? url : url.slice(0, q);
}
