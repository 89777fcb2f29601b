/**
 * One error family for everything the library answers with: an HTTP status, a stable machine-readable
 * code, a human message and, for validation failures, one problem per field.
 */
import type { Problem } from '../types';

export type DeploymentErrorCode =
  | 'invalid_deployment'
  | 'malformed_body'
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'forbidden'
  | 'feed_not_found'
  | 'bad_query'
  | 'bad_request'
  | 'idempotency_key_in_use'
  | 'idempotency_key_reused'
  | 'not_found'
  | 'storage_unavailable'
  | 'storage_failed'
  | 'internal'
  | 'webhook_delivery_not_found';

/** The text ProGet answers a missing, unknown or unauthorized API key with (wire contract, section 1). */
export const FORBIDDEN_MESSAGE =
  'The specified API key does not have the proper permissions to perform this action.';

export class DeploymentError extends Error {
  override readonly name = 'DeploymentError';
  /** The HTTP status this error is answered with. */
  readonly status: number;
  readonly code: DeploymentErrorCode;
  /** One entry per problem, each naming its field (validation errors only; empty otherwise). */
  readonly problems: readonly Problem[];
  /** Extra response headers (for example `Retry-After` on 503). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    code: DeploymentErrorCode,
    message: string,
    options: { problems?: readonly Problem[]; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
    this.code = code;
    this.problems = options.problems ?? [];
    this.headers = options.headers ?? {};
  }
}

/** Formats problems one per line, each naming its field, as the 400 body does. */
export function formatProblems(problems: readonly Problem[]): string {
  return problems.map((p) => (p.field ? `${p.field}: ${p.message}` : p.message)).join('\n');
}

export function invalidDeployment(problems: readonly Problem[]): DeploymentError {
  return new DeploymentError(400, 'invalid_deployment', formatProblems(problems), { problems });
}

export function forbidden(): DeploymentError {
  return new DeploymentError(403, 'forbidden', FORBIDDEN_MESSAGE);
}

export function feedNotFound(feed: string): DeploymentError {
  // The name is the caller's own input: quoted as JSON, so control characters are escaped, and cut short.
  return new DeploymentError(404, 'feed_not_found', `Feed ${JSON.stringify(feed.slice(0, 200))} was not found.`);
}

/** Error codes of Node and the drivers that mean "the database cannot be reached right now". */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'SQLITE_BUSY',
  'SQLITE_CANTOPEN',
  'PD_WRITER_FULL', // batch.maxPending records already waiting for the store
  '57P01', // postgres admin_shutdown
  '57P03', // postgres cannot_connect_now
  '53300', // postgres too_many_connections
]);

function errorCode(err: unknown): string | undefined {
  if (err && typeof err === 'object' && 'code' in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/**
 * Codes and messages of failures that happen before anything reaches the database (the connection was
 * refused, none could be had from the pool, the SQLite file cannot be opened, the writer is full): a
 * write that failed so is certainly not stored. Any other unavailability (a reset, a connection
 * terminated mid-query) may have come after the database committed.
 */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'SQLITE_CANTOPEN', '57P03', '53300', 'PD_WRITER_FULL']);
const NOT_SENT_MESSAGE = /Knex: Timeout acquiring a connection|connect ECONNREFUSED|Cannot open database because the directory does not exist|unable to open database file/i;

/** True when a failed write certainly stored nothing (it never reached the database). */
export function certainlyNotStored(err: unknown): boolean {
  const code = errorCode(err);
  if (code && NOT_SENT_CODES.has(code)) return true;
  return NOT_SENT_MESSAGE.test(err instanceof Error ? err.message : '');
}

/** True when `err` says the store could not be reached (as opposed to rejecting the data). */
export function isUnavailable(err: unknown): boolean {
  const code = errorCode(err);
  if (code && UNAVAILABLE_CODES.has(code)) return true;
  const message = err instanceof Error ? err.message : '';
  // A connection that died mid-transaction (the driver then fails the ROLLBACK too), and an SQLite
  // file that cannot be opened yet (a volume not mounted): the database may come back, so 503.
  return /Knex: Timeout acquiring a connection|Connection terminated|connect ECONNREFUSED|encountered a connection error and is not queryable|Client was closed and is not queryable|connection is in closed state|Can't write in closed state|Connection lost|Cannot open database because the directory does not exist|unable to open database file/i.test(message);
}

/**
 * Turns a storage failure into a 503 (database unreachable: try again) or a 500. The message keeps the
 * driver's reason but never the SQL text, bound values or a stack.
 */
export function storageError(err: unknown, retryAfterSeconds = 5): DeploymentError {
  if (err instanceof DeploymentError) return err;
  const code = errorCode(err);
  let reason = err instanceof Error ? err.message : String(err);
  // knex prefixes driver errors with the SQL it ran ("insert into ... - reason"): keep the reason only.
  const dash = reason.lastIndexOf(' - ');
  if (dash >= 0 && /^\s*(insert|select|update|delete|with|create|alter|rollback|commit|begin)\b/i.test(reason)) {
    reason = reason.slice(dash + 3);
  }
  reason = reason.split('\n')[0]!.slice(0, 300);
  if (isUnavailable(err)) {
    // The truth about what may have been stored: nothing, when the write never reached the database;
    // otherwise the connection may have broken after the database committed.
    const outcome = certainlyNotStored(err)
      ? 'Nothing was recorded; retry later.'
      : 'The record may have been stored (the connection broke while it was being written); retry later with the same Idempotency-Key header, so that it is stored once.';
    return new DeploymentError(
      503,
      'storage_unavailable',
      `The deployment store is unavailable${code ? ` (${code})` : ''}: ${reason}. ${outcome}`,
      { headers: { 'Retry-After': String(retryAfterSeconds) }, cause: err },
    );
  }
  return new DeploymentError(
    500,
    'storage_failed',
    `The deployment could not be stored${code ? ` (${code})` : ''}: ${reason}`,
    { cause: err },
  );
}

/** Any thrown value as a DeploymentError; unknown errors become a 500 carrying their message only. */
export function toDeploymentError(err: unknown): DeploymentError {
  if (err instanceof DeploymentError) return err;
  // body-parser and other http-errors style errors carry their own status.
  if (err && typeof err === 'object') {
    const e = err as { status?: unknown; statusCode?: unknown; type?: unknown; message?: unknown };
    const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : undefined;
    if (status !== undefined && status >= 400 && status < 500) {
      return bodyParserError(status, typeof e.type === 'string' ? e.type : '', String(e.message ?? ''), err);
    }
  }
  const message = err instanceof Error ? err.message : String(err);
  return new DeploymentError(500, 'internal', `Unexpected error: ${message.split('\n')[0]}`, { cause: err });
}

function bodyParserError(status: number, type: string, message: string, cause: unknown): DeploymentError {
  switch (type) {
    case 'entity.too.large':
      return new DeploymentError(413, 'payload_too_large', `The request body is larger than the limit (${message.replace(/^request entity too large$/i, 'see bodyLimit')}).`, { cause });
    case 'parameters.too.many':
      return new DeploymentError(413, 'payload_too_large', 'The form body has too many parameters.', { cause });
    case 'entity.parse.failed':
      return new DeploymentError(400, 'malformed_body', `The request body is not valid JSON: ${message}`, { cause });
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return new DeploymentError(415, 'unsupported_media_type', `${message}.`, { cause });
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new DeploymentError(400, 'malformed_body', `The request body could not be read: ${message}.`, { cause });
    default:
      return new DeploymentError(status, 'malformed_body', message || 'Bad request.', { cause });
  }
}

/** The text/plain body for an error: its message, never a stack trace. */
export function errorText(err: DeploymentError): string {
  return err.message.endsWith('\n') ? err.message : `${err.message}\n`;
}
