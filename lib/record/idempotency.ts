/**
 * `Idempotency-Key` on `POST /api/package-deployment/` (IETF httpapi "The Idempotency-Key HTTP Header
 * Field" draft): the same key with the same payload replays the first answer and stores nothing new; the
 * same key with another payload is 422; while the first request is in flight, 409. Keys are scoped to
 * the caller (the principal the auth adapter established; every anonymous caller shares one scope).
 * The record's `uid` derives from the key, so even a retry after an ambiguous failure stores it once.
 */
import { createHash } from 'node:crypto';
import { DeploymentError } from '../http/errors';
import type { NewDeployment, Principal } from '../types';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
/** The longest key accepted, in characters. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
/** How long a key is kept when `idempotency.expiresAfterMs` says nothing: 24 hours. */
export const DEFAULT_IDEMPOTENCY_EXPIRY_MS = 24 * 60 * 60 * 1000;
/** A first request in flight for longer than this is taken to have died, and its key is taken over. */
export const IDEMPOTENCY_IN_FLIGHT_TIMEOUT_MS = 60_000;

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * The key a request sends, or `undefined`. The draft makes it a Structured Field string (`"abc"`); a bare
 * token is accepted too. Given twice, empty, too long or with control characters: 400.
 */
export function idempotencyKeyOf(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value) || value.includes(',')) {
    throw new DeploymentError(400, 'bad_request', `${IDEMPOTENCY_HEADER}: given more than once; send one key.`);
  }
  let key = value.trim();
  const quoted = /^"((?:[^"\\]|\\["\\])*)"$/.exec(key);
  if (quoted) key = quoted[1]!.replace(/\\(["\\])/g, '$1');
  if (key === '' || key.length > MAX_IDEMPOTENCY_KEY_LENGTH || !/^[\x20-\x7e]+$/.test(key)) {
    throw new DeploymentError(400, 'bad_request', `${IDEMPOTENCY_HEADER}: must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters, such as a UUID ("8e03978e-40d5-43e8-bc93-6894a57f9324").`);
  }
  return key;
}

/** Who a key belongs to: keys of different callers never meet. */
export function callerScope(principal: Principal | null): string {
  return principal ? `${principal.kind ?? 'principal'}:${principal.name}` : 'anonymous';
}

/** The stored id of a key in its caller's scope. */
export function idempotencyId(scope: string, key: string): string {
  return sha256(`idempotency-key\n${scope}\n${key}`);
}

/**
 * The `uid` of the record a key makes: the key's id and the payload's fingerprint, so a retry of the
 * same request (even after the key expired) is stored once, and a key reused for another payload once
 * it expired makes another record.
 */
export function idempotentUid(keyId: string, fingerprint: string): string {
  return sha256(`idempotent-record\n${keyId}\n${fingerprint}`);
}

/** A fingerprint of the payload: its fields (names lower-cased, strings trimmed), never its credentials. */
export function payloadFingerprint(body: unknown): string {
  const entries: Array<[string, unknown]> = [];
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    for (const [name, value] of Object.entries(body)) {
      const lower = name.toLowerCase();
      if (lower === 'key' || lower === 'api_key') continue;
      entries.push([lower, typeof value === 'string' ? value.trim() : value]);
    }
  }
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return sha256(JSON.stringify(entries));
}

/**
 * The duplicate rule's `uid`: equal for records equal on feed, group, package, version, target and date
 * (and kind: a removal never equals a deployment), so the second one is stored once, by the database.
 */
export function duplicateUid(d: NewDeployment): string {
  return sha256(['duplicate-rule', d.feedName, d.groupName ?? '', d.packageName, d.version, d.target, d.date.toISOString(), d.removed ? 'removed' : 'deployed'].join('\n'));
}
