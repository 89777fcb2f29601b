/**
 * Options of createDeploymentRouter(): the record endpoint, the read API and the History pages. Each says what it defaults to.
 */
import type { Request } from 'express';
import type { ApiKeyConfig, AuthAdapter, Principal } from './auth';
import type { DeploymentRecord, FieldLimits } from './record';
import type { BatchOptions, DeployedContext, DeploymentEvents, FeedCatalogue, Logger } from './shared';
import type { DeploymentStore } from './store';
import type { VersionSchemeSetting } from './versions';
import type { RetentionOptions } from './lifecycle';

export interface DeploymentRouterOptions {
  /** Where records are kept. Defaults to `createKnexStore()`: an SQLite file `package-deployments.sqlite`. */
  store?: DeploymentStore;
  /**
   * Who may record and read. Required unless `apiKeys` is given: for example
   * `apiKeyAuth({ keys: [{ name: 'ci', key: process.env.KEY }] })` or `anonymousAuth()`.
   */
  auth?: AuthAdapter;
  /** Shorthand for `auth: apiKeyAuth({ keys: apiKeys })`. */
  apiKeys?: readonly ApiKeyConfig[];
  /**
   * The principal the host's own login established (a session, a registry token...). When it answers
   * one, the record endpoint, the read API and the History page use it instead of reading credentials,
   * and ask the auth adapter only whether it may record or read (`authorize`). Return `null` or
   * `undefined` for "not logged in": credentials are then read as usual. Defaults to `req.user` when it
   * is a string or an object with a string `name` or `username` (kind `"host"`); `() => null` turns it off.
   */
  principal?: (req: Request) => Principal | null | undefined;
  /** The feeds the server has; records for other feeds get 404. Defaults to accepting any feed name. */
  feeds?: FeedCatalogue;
  /** Largest accepted request body, in bytes or as "64kb". Defaults to `"64kb"`. */
  bodyLimit?: number | string;
  /** Field length limits. Defaults to {@link FieldLimits}' defaults. */
  limits?: Partial<FieldLimits>;
  /** Called after each committed record; errors it throws are logged, never answered. Defaults to none. */
  onRecorded?: (record: DeploymentRecord, context: DeployedContext) => void | Promise<void>;
  /** An emitter to share with the feed middleware; `deployed` is emitted on it. Defaults to a new one. */
  events?: DeploymentEvents;
  /** Defaults to `console`. */
  logger?: Logger;
  /** Seconds sent in `Retry-After` when the store is unreachable (503). Defaults to 5. */
  retryAfterSeconds?: number;
  /**
   * The version scheme of each feed, for `range=` queries: a map of feed name (case-insensitive) to a
   * scheme name, feed type or scheme object, or a function of the feed name. Defaults to every feed
   * using `defaultVersionScheme`.
   */
  versionSchemes?: Readonly<Record<string, VersionSchemeSetting>> | ((feed: string) => VersionSchemeSetting | undefined);
  /** The scheme of feeds `versionSchemes` does not name. Defaults to `"semver"`. */
  defaultVersionScheme?: VersionSchemeSetting;
  /**
   * The OSV ecosystem each feed holds, for advisory matching: a map of feed name (case-insensitive) to
   * `"NuGet"`, `"npm"`, `"Maven"`, `"PyPI"` or `false`, or a function of the feed name. A feed it does not
   * name takes its ecosystem from its `versionSchemes` setting when that is `nuget`, `npm`, `maven` or
   * `pypi`. Advisories are matched in the feeds of the `feeds` list, `versionSchemes` and this option.
   * Defaults to the ecosystems `versionSchemes` implies.
   */
  ecosystems?: Readonly<Record<string, string | false>> | ((feed: string) => string | false | undefined);
  /** Largest accepted advisories body (`POST .../advisories`), in bytes or as "10mb". Defaults to `"10mb"`. */
  advisoryBodyLimit?: number | string;
  /**
   * Where the History pages are mounted: `{historyPath}/{feed}/{package}` (group and version as query
   * parameters; an npm scope may also be written in the path: `{historyPath}/{feed}/@scope/name`). `false`
   * mounts none. Defaults to `"/-/deployments"`: no npm package name can start with `-`, so the pages
   * never take the URL of a package when the router is mounted at the root of a registry.
   */
  historyPath?: string | false;
  /**
   * How records are written: concurrent records share one `store.record(batch)` call (one transaction),
   * each answered 200 only after that commit. `retries` and `retryDelayMs` apply to the feed middleware
   * only (a caller of the record endpoint is waiting: it gets 503 + Retry-After and retries itself); with
   * `maxPending` records waiting, further records get 503 at once. Defaults to {@link BatchOptions}' defaults.
   * (Replaces `groupCommit`, removed in 0.2.0: `groupCommit: { maxBatch }` is `batch: { maxSize }`.)
   */
  batch?: BatchOptions;
  /**
   * Webhooks (ProGet's "Deployed" webhook): targets, and the delivery worker's settings. Each committed
   * record's deliveries are written in its transaction and sent from that durable outbox. Needs a store
   * with an outbox (`createKnexStore()`). Defaults to none.
   */
  webhooks?: import('../webhooks/types').WebhookOptions;
  /**
   * `Idempotency-Key` on the record endpoint: how long a key is kept (and its first answer replayed).
   * `false` stops claiming keys in the store; a key then still gives the record its `uid`, so a retry
   * stores it once. Defaults to `{ expiresAfterMs: 86400000 }` (24 hours).
   */
  idempotency?: { expiresAfterMs?: number } | false;
  /**
   * The duplicate rule, for tools that cannot send an `Idempotency-Key`: a record equal to a stored one
   * on feed, group, package, version, target, date (and kind: deployment or removal) is answered 200
   * and stored once. Records without a `Date` get the time received, so they are never equal. Defaults
   * to `false` (every record is stored, as ProGet does).
   */
  ignoreDuplicates?: boolean;
  /**
   * Purges on a schedule: `policy` every `everyMs` milliseconds, for real (not a dry run), dropping
   * records older than `olderThanMs` when given. Each run is a `purged` event and a log line. Defaults
   * to none.
   */
  retention?: RetentionOptions;
}
