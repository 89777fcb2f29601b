/**
 * Removal records: this library's extension, not ProGet's (ProGet only adds records, and its clients
 * never send these, so they keep working unchanged). A record with `Removed: true` (JSON `true` or
 * `"true"`, form `Removed=true`) or a download carrying `X-Deployment-Removed: true` says the package
 * was removed from the target: it stays in the history, and "running now" no longer lists it there.
 */
import type { Problem } from '../types';

/** The record endpoint's extension field (matched case-insensitively, as ProGet's fields are). */
export const REMOVED_FIELD = 'Removed';
/** The feed-download middleware's extension header. */
export const REMOVED_HEADER = 'X-Deployment-Removed';

const TRUE = /^(true|1|yes)$/i;
const FALSE = /^(false|0|no)?$/i;

/** Reads a `Removed` value: `true`, `false`, or a problem naming the field. */
export function parseRemoved(value: unknown, field: string = REMOVED_FIELD): { removed: boolean; problem?: undefined } | { removed?: undefined; problem: Problem } {
  if (value === undefined || value === null || value === false) return { removed: false };
  if (value === true) return { removed: true };
  if (typeof value === 'string') {
    if (TRUE.test(value.trim())) return { removed: true };
    if (FALSE.test(value.trim())) return { removed: false };
  }
  return { problem: { field, message: 'must be true (this record is a removal) or false; leave it out for a deployment.' } };
}

/** The `Removed` field of a body (any case); given twice in two spellings: a problem. */
export function removedOf(body: unknown): { removed: boolean; problem?: undefined } | { removed?: undefined; problem: Problem } {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return { removed: false };
  const keys = Object.keys(body).filter((k) => k.toLowerCase() === REMOVED_FIELD.toLowerCase());
  if (keys.length > 1) return { problem: { field: REMOVED_FIELD, message: `given more than once (as ${keys.map((k) => `"${k}"`).join(' and ')}); send it once.` } };
  if (keys.length === 0) return { removed: false };
  return parseRemoved((body as Record<string, unknown>)[keys[0]!]);
}
