/**
 * Reads POST bodies the way the wire contract says: JSON, form-urlencoded, and no Content-Type as a
 * form; any other type is a 415; the size limit is a 413; charsets honoured.
 */
import bodyParser from 'body-parser';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { DeploymentError } from './errors';

function mediaType(req: Request): string | undefined {
  const header = req.headers['content-type'];
  if (header === undefined || header.trim() === '') return undefined;
  return header.split(';')[0]!.trim().toLowerCase();
}

const isJson = (type: string) => type === 'application/json' || /^application\/[\w.-]+\+json$/.test(type);
const isForm = (type: string) => type === 'application/x-www-form-urlencoded';

/** Middleware that leaves the parsed body in `req.body` (an object; `{}` for an empty body). */
export function deploymentBodyParser(limit: number | string): RequestHandler[] {
  const json = bodyParser.json({ limit, strict: false, type: (req) => { const t = mediaType(req as Request); return t !== undefined && isJson(t); } });
  const form = bodyParser.urlencoded({
    limit,
    extended: false,
    parameterLimit: 200,
    type: (req) => {
      const t = mediaType(req as Request);
      return t === undefined || isForm(t);
    },
  });
  const guard = (req: Request, _res: Response, next: NextFunction) => {
    const type = mediaType(req);
    if (type !== undefined && !isJson(type) && !isForm(type)) {
      next(new DeploymentError(415, 'unsupported_media_type', `Content-Type "${type}" is not supported: send application/json or application/x-www-form-urlencoded.`));
      return;
    }
    // Already parsed by the host app's own body parser: keep it.
    next();
  };
  return [guard, json, form];
}
