/**
 * What crosses the thread boundary between a store's RPC proxy and its worker: calls by method name,
 * their answers, and the few values structured clone cannot carry as they are (errors keep their class,
 * code and status; a version range travels as its scheme name and text and is read again on the other
 * side).
 */
import { DeploymentError, type DeploymentErrorCode } from '../../http/errors';
import { parseVersionRange } from '../../versions/registry';
import type { VersionRange } from '../../types';

/** Main thread → worker. */
export type Request =
  | { id: number; kind: 'call'; method: string; args: unknown[] }
  /** Starts an async iterable method; answered with an iterator id. */
  | { id: number; kind: 'iterate'; method: string; args: unknown[] }
  /** Pulls up to `max` items of an iterator. */
  | { id: number; kind: 'pull'; iterator: number; max: number }
  /** Ends an iterator early (the consumer stopped). */
  | { id: number; kind: 'return'; iterator: number };

/** Worker → main thread. */
export type Reply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: true; items: unknown[]; done: boolean }
  | { id: number; ok: false; error: WireError };

export interface WireError {
  name: string;
  message: string;
  code?: string;
  status?: number;
  problems?: unknown;
  headers?: Record<string, string>;
}

export function errorToWire(err: unknown): WireError {
  if (err instanceof DeploymentError) {
    return { name: err.name, message: err.message, code: err.code, status: err.status, problems: err.problems, headers: { ...err.headers } };
  }
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { name: err.name, message: err.message, code: typeof code === 'string' ? code : undefined };
  }
  return { name: 'Error', message: String(err) };
}

export function errorFromWire(wire: WireError): Error {
  if (wire.name === 'DeploymentError' && typeof wire.status === 'number') {
    return new DeploymentError(wire.status, wire.code as DeploymentErrorCode, wire.message, {
      problems: wire.problems as never,
      headers: wire.headers,
    });
  }
  const err = new Error(wire.message);
  err.name = wire.name;
  if (wire.code !== undefined) (err as Error & { code?: string }).code = wire.code;
  return err;
}

const RANGE_MARK = '__pdVersionRange';

/**
 * An argument made cloneable: a query's `versionRange` (which holds a function) becomes its scheme and
 * text. Only ranges of the built-in schemes can be read again in the worker; see {@link hasCustomRange}.
 */
export function argToWire(arg: unknown): unknown {
  if (!arg || typeof arg !== 'object' || Array.isArray(arg) || arg instanceof Date) return arg;
  const range = (arg as { versionRange?: VersionRange }).versionRange;
  if (!range || typeof range !== 'object') return arg;
  return { ...(arg as object), versionRange: { [RANGE_MARK]: true, scheme: range.scheme, text: range.text } };
}

export function argFromWire(arg: unknown): unknown {
  if (!arg || typeof arg !== 'object' || Array.isArray(arg) || arg instanceof Date) return arg;
  const range = (arg as { versionRange?: Record<string, unknown> }).versionRange;
  if (!range || typeof range !== 'object' || range[RANGE_MARK] !== true) return arg;
  return { ...(arg as object), versionRange: parseVersionRange(String(range.scheme), String(range.text)) };
}
