/**
 * Public types several features share: the logger, the feed catalogue, events and what `deployed` carries.
 */
import type { EventEmitter } from 'node:events';
import type { Principal } from './auth';

/** Where warnings and errors the library cannot answer with go. */
export interface Logger {
  /** Audit lines (purges and deletes). Optional; `warn` is used when it is missing. */
  info?(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

/**
 * The feeds the server has. A list of names (matched case-insensitively; the record keeps the list's
 * spelling), or a function answering the canonical name, `true`, or `false`/`undefined` for "no such feed".
 */
export type FeedCatalogue =
  | readonly string[]
  | ((name: string) => string | boolean | undefined | null | Promise<string | boolean | undefined | null>);

/** Where a record came from. */
export type DeploymentSource = 'api' | 'feed';

/** What the `deployed` event carries besides the record. */
export interface DeployedContext {
  source: DeploymentSource;
  /** The feed type of the download URL layout, for records made by the feed middleware. */
  feedType?: string;
  principal: Principal | null;
}

/** Events: `deployed` (record, context) after each committed record. */
export type DeploymentEvents = EventEmitter;

/**
 * How records are written to the store, the same for the router (`createDeploymentRouter({ batch })`) and
 * the feed middleware (`feedDeployments({ batch })`).
 */
export interface BatchOptions {
  /**
   * The most records written in one `store.record()` call (one transaction); more waiting records go in
   * the next one. From 1 (each record in its own transaction) to 10000. Defaults to 500.
   */
  maxSize?: number;
  /**
   * Feed middleware: how long a queued record may wait, in milliseconds, for others to share its
   * transaction (0 to 1000). A write then carries many records, and each record costs the database less:
   * the pages of its indexes are written once per transaction, not once per record. Records awaited by a
   * caller (the record endpoint answers only after the commit) never wait: a batch holding one is
   * written at once. Defaults to 25.
   */
  maxWaitMs?: number;
  /**
   * Records waiting for the store or being written, at most. Beyond it the router answers 503 +
   * Retry-After and the feed middleware loses the record (counted and reported as `queue_full`): memory
   * stays bounded when the store is slow or down. Defaults to 10000.
   */
  maxPending?: number;
  /** Feed middleware: further attempts after a failed write, each after a growing delay (0 to 20). Defaults to 3. */
  retries?: number;
  /** Feed middleware: delay before the first retry, in milliseconds; doubled for each next one. Defaults to 200. */
  retryDelayMs?: number;
}
