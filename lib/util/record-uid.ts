/**
 * A new record's identity (`uid`): a UUID version 7 (RFC 9562): 48 bits of Unix time in milliseconds,
 * then random bits. Records written together sort together, so the unique index on `uid` grows at its
 * end like the others instead of taking a write on a random page of a large index for every record
 * (what a version 4 UUID costs once the table no longer fits in the cache).
 */
import { randomUUID } from 'node:crypto';

export function newRecordUid(): string {
  // randomUUID(): 8-4-4-4-12 hex digits, the version ("4") at index 14, the variant at index 19 (kept).
  const random = randomUUID();
  const ms = Date.now().toString(16).padStart(12, '0');
  return `${ms.slice(0, 8)}-${ms.slice(8, 12)}-7${random.slice(15)}`;
}
