/**
 * Public types several features share: the logger, the feed catalogue, events and what `deployed` carries.
 */
import type { EventEmitter } from 'node:events';
import type { Principal } from './auth';

/** Where warnings and errors the library cannot answer with go. */
export interface Logger {
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
