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

/** A size limit as body-parser reads it (a number of bytes, or "64kb"); `undefined` when unreadable here. */
function limitBytes(limit: number | string): number | undefined {
  if (typeof limit === 'number') return Number.isFinite(limit) ? limit : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$/i.exec(limit);
  if (!m) return undefined;
  const unit = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }[(m[2] ?? 'b').toLowerCase() as 'b'];
  return Math.floor(Number(m[1]) * unit);
}

/**
 * The common case read without body-parser's layers: a UTF-8 JSON body of a declared length within the
 * limit, not compressed. One read, one UTF-8 check, ONE JSON.parse (body-parser's path parses twice: once
 * to look for duplicate keys, once for the body), the same duplicate-key check on the text. Everything
 * else (forms, other charsets, compressed or chunked bodies, bodies over the limit) goes to body-parser,
 * whose answers stay the reference.
 */
function fastJson(maxBytes: number | undefined): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (maxBytes === undefined || req.body !== undefined || req.headers['content-encoding'] !== undefined) return next();
    const header = req.headers['content-type'];
    if (header === undefined) return next();
    const semi = header.indexOf(';');
    const type = (semi < 0 ? header : header.slice(0, semi)).trim().toLowerCase();
    if (type !== 'application/json') return next();
    if (semi >= 0 && !/^\s*;\s*charset\s*=\s*"?utf-?8"?\s*$/i.test(header.slice(semi))) return next();
    const declared = req.headers['content-length'];
    const length = declared === undefined ? NaN : Number(declared);
    if (!Number.isSafeInteger(length) || length < 0 || length > maxBytes || req.headers['transfer-encoding'] !== undefined) return next();
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const done = (err?: unknown) => {
      if (settled) return;
      settled = true;
      req.removeListener('data', onData);
      req.removeListener('end', onEnd);
      req.removeListener('aborted', onAborted);
      req.removeListener('error', onError);
      next(err);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > length) {
        done(new DeploymentError(400, 'malformed_body', 'The request body could not be read: request size did not match content length.'));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      if (received !== length) return done(new DeploymentError(400, 'malformed_body', 'The request body could not be read: request size did not match content length.'));
      const buf = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received);
      try {
        checkUtf8(buf, 'utf-8');
        const text = buf.toString('utf8');
        if (text.length === 0) {
          req.body = {};
          return done();
        }
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch (err) {
          return done(new DeploymentError(400, 'malformed_body', `The request body is not valid JSON: ${(err as Error).message}`));
        }
        const duplicates = duplicateRootKeys(text, jsonFieldName);
        if (duplicates.length > 0) {
          throw invalidDeployment(duplicates.map((spellings) => ({
            field: jsonFieldName(spellings[0]!),
            message: `given more than once (as ${spellings.map((s) => `"${s}"`).join(' and ')}); send it once.`,
          })));
        }
        req.body = body;
        done();
      } catch (err) {
        done(err);
      }
    };
    const onAborted = () => done(new DeploymentError(400, 'malformed_body', 'The request body could not be read: request aborted.'));
    const onError = (err: Error) => done(new DeploymentError(400, 'malformed_body', `The request body could not be read: ${err.message}.`));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('aborted', onAborted);
    req.on('error', onError);
  };
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
  return [guard, fastJson(limitBytes(limit)), json, form];
}
