/**
 * A new record's identity (`uid`): a UUID version 7 (RFC 9562): 48 bits of Unix time in milliseconds,
 * then random bits. Records written together sort together, so the unique index on `uid` grows at its
 * end like the others instead of taking a write on a random page of a large index for every record
 * (what a version 4 UUID costs once the table no longer fits in the cache).
 */
import { randomUUID } from 'node:crypto';

/** The time part of the last uid made ("xxxxxxxx-xxxx-7"), kept while the clock stays in the same millisecond. */
let lastMs = -1;
let timePart = '';

export function newRecordUid(): string {
  const now = Date.now();
  if (now !== lastMs) {
    const ms = now.toString(16).padStart(12, '0');
    timePart = `${ms.slice(0, 8)}-${ms.slice(8, 12)}-7`;
    lastMs = now;
  }
  // randomUUID(): 8-4-4-4-12 hex digits, the version ("4") at index 14, the variant at index 19 (kept).
  return timePart + randomUUID().slice(15);
}
