/**
 * Reads POST bodies the way the wire contract says: JSON, form-urlencoded, and no Content-Type as a
 * form; any other type is a 415; the size limit is a 413; charsets honoured.
 */
import bodyParser from 'body-parser';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { isUtf8 } from 'node:buffer';
import { fieldNamed } from './deployment';
import { DeploymentError, invalidDeployment } from '../http/errors';
import { duplicateRootKeys } from './json-keys';
import { REMOVED_FIELD } from './removal';

function mediaType(req: Request): string | undefined {
  const header = req.headers['content-type'];
  if (header === undefined || header.trim() === '') return undefined;
  return header.split(';')[0]!.trim().toLowerCase();
}

const isJson = (type: string) => type === 'application/json' || /^application\/[\w.-]+\+json$/.test(type);
const isForm = (type: string) => type === 'application/x-www-form-urlencoded';

const isUtf8Charset = (encoding: string) => /^utf-?8$/i.test(encoding);

/**
 * Bytes that are not UTF-8 in a body declared (or defaulted to) UTF-8 would be stored as U+FFFD, which
 * silently alters audit evidence: refuse them instead.
 */
function checkUtf8(buf: Buffer, encoding: string): void {
  if (isUtf8Charset(encoding) && !isUtf8(buf)) {
    throw new DeploymentError(400, 'malformed_body', 'The request body is not valid UTF-8: send UTF-8, or name the charset in Content-Type.');
  }
}

/** The field (or credential) a JSON root key names, for duplicate detection; `undefined` for other keys. */
function jsonFieldName(key: string): string | undefined {
  if (key === 'API_Key') return key;
  if (key.toLowerCase() === REMOVED_FIELD.toLowerCase()) return REMOVED_FIELD;
  return fieldNamed(key)?.name;
}

/**
 * JSON.parse keeps the last of two equal keys, so `{"Target":"a","Target":"b"}` would silently read as
 * `b`: a field (or `API_Key`) given twice on the root object is refused, as it is in forms.
 */
function checkJsonDuplicates(buf: Buffer, encoding: string): void {
  let text: string;
  try {
    text = isUtf8Charset(encoding) ? buf.toString('utf8') : new TextDecoder(encoding).decode(buf);
    JSON.parse(text);
  } catch {
    return; // an unknown charset or malformed JSON: body-parser says so next.
  }
  const duplicates = duplicateRootKeys(text, jsonFieldName);
  if (duplicates.length > 0) {
    throw invalidDeployment(duplicates.map((spellings) => ({
      field: jsonFieldName(spellings[0]!),
      message: `given more than once (as ${spellings.map((s) => `"${s}"`).join(' and ')}); send it once.`,
    })));
  }
}

/** Middleware that leaves the parsed body in `req.body` (an object; `{}` for an empty body). */
export function deploymentBodyParser(limit: number | string): RequestHandler[] {
  const json = bodyParser.json({
    limit,
    strict: false,
    verify: (_req, _res, buf, encoding) => { checkUtf8(buf, encoding); checkJsonDuplicates(buf, encoding); },
    type: (req) => { const t = mediaType(req as Request); return t !== undefined && isJson(t); } });
  const form = bodyParser.urlencoded({
    limit,
    extended: false,
    parameterLimit: 200,
    verify: (_req, _res, buf, encoding) => checkUtf8(buf, encoding),
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
