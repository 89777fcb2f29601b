/**
 * Export of a listing as CSV or NDJSON, streamed: records are pulled from the store a batch at a time and
 * written as the client reads them (a full socket buffer pauses the store), so a million rows never sit
 * in memory. CSV cells a spreadsheet would run as a formula are neutralised.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { DeploymentRecord } from '../types';

/** The export formats, and the read API's JSON. */
export type ExportFormat = 'json' | 'csv' | 'ndjson';

export const EXPORT_CONTENT_TYPES: Readonly<Record<ExportFormat, string>> = Object.freeze({
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8; header=present',
  ndjson: 'application/x-ndjson; charset=utf-8',
});

/**
 * The columns of a record on the wire, in order (the record endpoint's PascalCase names, plus Id,
 * ReceivedAt and Removed: `true` for a removal record, this library's extension).
 */
export const RECORD_COLUMNS = [
  'Id', 'Date', 'FeedName', 'GroupName', 'PackageName', 'Version', 'Target', 'Application', 'UserName', 'Description', 'Url', 'ReceivedAt', 'Removed',
] as const;

export type WireRecord = Record<Exclude<(typeof RECORD_COLUMNS)[number], 'Removed'>, string | null> & { Removed: boolean };

/** A record as the read API answers it: PascalCase, dates as ISO 8601 UTC, `null` for no group or URL. */
export function toWire(r: DeploymentRecord): WireRecord {
  return {
    Id: r.id,
    Date: r.date.toISOString(),
    FeedName: r.feedName,
    GroupName: r.groupName ?? null,
    PackageName: r.packageName,
    Version: r.version,
    Target: r.target,
    Application: r.application,
    UserName: r.userName,
    Description: r.description,
    Url: r.url ?? null,
    ReceivedAt: r.receivedAt.toISOString(),
    Removed: r.removed === true,
  };
}

/**
 * An npm scope or scoped name (`@acme`, `@acme/widget`): letters, digits, `.`, `_`, `-` and one `/`. No
 * spreadsheet reads it as a call (a formula needs `(`, an operator, `!` or `|`), so it is left as written.
 */
const NPM_SCOPE = /^@[a-z0-9][\w.-]*(\/[\w.-]+)?$/i;

/**
 * One CSV cell (RFC 4180). A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
 * leading `'`, so that a spreadsheet shows it as text instead of running it as a formula (OWASP, "CSV
 * injection"). An npm scope (`@acme`, `@acme/widget`) is data, not a formula, and is left alone.
 */
export function csvCell(value: string | null): string {
  if (value === null) return '';
  let text = /^[=+\-@\t\r]/.test(value) && !NPM_SCOPE.test(value) ? `'${value}` : value;
  if (/[",\r\n]/.test(text) || text !== text.trim()) text = `"${text.replace(/"/g, '""')}"`;
  return text;
}

export const csvHeader = (): string => `${RECORD_COLUMNS.join(',')}\r\n`;
export const csvLine = (r: DeploymentRecord): string => {
  const wire = toWire(r);
  return `${RECORD_COLUMNS.map((c) => csvCell(c === 'Removed' ? String(wire.Removed) : wire[c])).join(',')}\r\n`;
};
export const ndjsonLine = (r: DeploymentRecord): string => `${JSON.stringify(toWire(r))}\n`;

/**
 * Writes every record of `records` to `out` in `format`, waiting for `drain` whenever `out`'s buffer is
 * full, and stopping early (without error) when `out` is closed or destroyed (the client went away).
 * Resolves with the number of records written. Does not end `out`.
 */
export async function writeRecords(records: AsyncIterable<DeploymentRecord>, out: Writable, format: Exclude<ExportFormat, 'json'>): Promise<number> {
  const line = format === 'csv' ? csvLine : ndjsonLine;
  let closed = out.destroyed || out.writableEnded;
  const onClose = () => { closed = true; };
  out.once('close', onClose);
  let written = 0;
  const iterator = records[Symbol.asyncIterator]();
  try {
    if (format === 'csv' && !closed) out.write(csvHeader());
    while (!closed) {
      const next = await iterator.next();
      if (next.done) break;
      if (closed || out.destroyed) {
        closed = true;
        break;
      }
      written++;
      out.write(line(next.value));
      // Backpressure is read from the stream itself, not from write()'s return value: a host middleware
      // that wraps res.write (a logger, a compression shim) may return undefined, and waiting for a
      // `drain` that never comes would hang the export.
      if (out.writableNeedDrain) {
        // Backpressure: wait until the client has read what is buffered, or has gone.
        const waiting = new AbortController();
        try {
          await Promise.race([once(out, 'drain', { signal: waiting.signal }), once(out, 'close', { signal: waiting.signal })]);
        } finally {
          waiting.abort();
        }
      }
    }
  } finally {
    out.off('close', onClose);
    // Ends the store's query loop when the client left early.
    if (closed) await iterator.return?.();
  }
  return written;
}
