/**
 * Options of createDeploymentRouter(): the record endpoint, the read API and the History pages. Each says what it defaults to.
 */
import type { ApiKeyConfig, AuthAdapter } from './auth';
import type { DeploymentRecord, FieldLimits } from './record';
import type { DeployedContext, DeploymentEvents, FeedCatalogue, Logger } from './shared';
import type { DeploymentStore } from './store';
import type { VersionSchemeSetting } from './versions';

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
   * Where the History pages are mounted: `{historyPath}/{feed}/{package}` (group and version as query
   * parameters). `false` mounts none. Defaults to `"/deployments"`.
   */
  historyPath?: string | false;
  /**
   * Group commit: records that arrive while a write is in flight are written together, in one
   * `store.record(batch)` call (one multi-row INSERT in one transaction), each answered 200 only after that
   * commit. `false` writes each record in its own call. Defaults to `{ maxBatch: 100 }`.
   */
  groupCommit?: GroupCommitOptions | false;
  /**
   * Webhooks (ProGet's "Deployed" webhook): targets, and the delivery worker's settings. Each committed
   * record's deliveries are written in its transaction and sent from that durable outbox. Needs a store
   * with an outbox (`createKnexStore()`). Defaults to none.
   */
  webhooks?: import('../webhooks/types').WebhookOptions;
}

/** Options of group commit (`createDeploymentRouter({ groupCommit })`, `createGroupCommit()`). */
export interface GroupCommitOptions {
  /**
   * The most records written in one transaction; more waiting records go in the next one. From 1 to 1000.
   * Defaults to 100.
   */
  maxBatch?: number;
}
