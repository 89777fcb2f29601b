/**
 * Public types of webhooks: targets, options, deliveries. Each option says what it defaults to.
 * Every value a store method takes or returns is plain data (structured-cloneable).
 */
import type { Logger } from '../types';

/** The events a target may ask for. `deployment.removed` fires for removal records, where the store has them. */
export type WebhookEventType = 'deployment.created' | 'deployment.removed';

/**
 * The body sent to a target:
 * - `standard`: the Standard Webhooks body `{ type, timestamp, data }`, `data` being the record in the
 *   read API's field names (`Id`, `Date`, `FeedName`, ...);
 * - `proget`: ProGet's default webhook body `{ package, version, event, user, feed }` (`event` is
 *   `"deployed"`, or `"removed"` for a removal).
 *
 * Both are signed with the Standard Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`).
 */
export type WebhookFormat = 'standard' | 'proget';

/** One webhook target, as configured (`webhooks.targets`) or added at run time (`store.addWebhookTarget`). */
export interface WebhookTargetConfig {
  /** Unique name of the target (letters, digits, `.`, `_`, `-`; at most 100). Required. */
  name: string;
  /** Where deliveries are POSTed: an absolute http(s) URL. Required. */
  url: string;
  /**
   * The signing secret, `whsec_` followed by base64 of 24 to 64 random bytes (see `generateWebhookSecret()`).
   * During a rotation give several: every delivery then carries one signature per secret, newest first.
   * Required.
   */
  secret: string | readonly string[];
  /** The events sent to this target. Defaults to `['deployment.created']`. */
  events?: readonly WebhookEventType[];
  /** Only records of these feeds (case-insensitive). Defaults to every feed. */
  feeds?: readonly string[];
  /** The body sent. Defaults to `"standard"`. */
  format?: WebhookFormat;
}

/** A target as listed: never its secret. */
export interface WebhookTargetInfo {
  name: string;
  /** The URL without user info or query string (either may hold a credential). */
  url: string;
  events: WebhookEventType[];
  /** `undefined` = every feed. */
  feeds?: string[];
  format: WebhookFormat;
  /** `config` when it came from `webhooks.targets`, `store` when added with `addWebhookTarget`. */
  source: 'config' | 'store';
  /** How many secrets it has (2 or more during a rotation). */
  secrets: number;
  createdAt: Date;
  /** Set when a target answered 410 Gone: nothing more is sent to it until it is added again. */
  disabledAt?: Date;
  disabledReason?: string;
}

export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed';

/** One delivery of one record to one target, as the outbox keeps it. */
export interface WebhookDelivery {
  /** The outbox's id of the delivery (what `redeliver` takes). */
  id: string;
  /** The `webhook-id` header: the same on every attempt and on a redelivery. */
  webhookId: string;
  target: string;
  eventType: WebhookEventType;
  /** The deployment record this delivery is about. */
  recordId: string;
  feedName: string;
  status: WebhookDeliveryStatus;
  /** Attempts made so far. */
  attempts: number;
  /** When the next attempt is due (pending deliveries). */
  nextAttemptAt?: Date;
  lastAttemptAt?: Date;
  /** The HTTP status of the last answer; `undefined` when there was none (refused, timed out...). */
  lastStatus?: number;
  /** Why the last attempt failed (status line, timeout, refused address...). Never a secret. */
  lastError?: string;
  deliveredAt?: Date;
  createdAt: Date;
}

/** Filters of `store.listWebhookDeliveries()`. */
export interface WebhookDeliveryQuery {
  status?: WebhookDeliveryStatus;
  target?: string;
  recordId?: string;
  /** Page size. Defaults to 100; at most 1000. */
  limit?: number;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
}

export interface WebhookDeliveryPage {
  deliveries: WebhookDelivery[];
  nextCursor?: string;
}

/** How a record's notifications stand, for the History page. */
export interface WebhookRecordSummary {
  delivered: number;
  pending: number;
  failed: number;
}

/** A delivery claimed for sending (internal to the dispatcher; holds the target's secrets). */
export interface ClaimedWebhookDelivery {
  id: string;
  webhookId: string;
  target: string;
  url: string;
  secrets: string[];
  format: WebhookFormat;
  payload: string;
  attempts: number;
  /** Identifies this claim; settling a delivery someone else has since claimed changes nothing. */
  claim: string;
  /** The target answered 410 before: not sent, failed at once. */
  targetDisabled: boolean;
  /** The target was removed since the record: not sent, failed at once. */
  targetMissing: boolean;
}

/** What one attempt came to (internal to the dispatcher). */
export interface WebhookAttemptOutcome {
  id: string;
  claim: string;
  target: string;
  ok: boolean;
  status?: number;
  error?: string;
  /** Delay asked by `Retry-After`, in milliseconds. */
  retryAfterMs?: number;
  /** The target answered 410 Gone. */
  gone?: boolean;
  /** Not sent at all (target disabled or removed): failed at once. */
  final?: boolean;
  at: Date;
}

/** A store that keeps a webhook outbox (the knex store does). */
export interface WebhookOutboxStore {
  /** Adds (or replaces, re-enabling it) a target at run time. Rejects a URL that is not allowed. */
  addWebhookTarget(target: WebhookTargetConfig, options?: { allowPrivateTargets?: boolean }): Promise<WebhookTargetInfo>;
  /** Replaces the targets named in the configuration (source `config`). */
  syncWebhookTargets(targets: readonly WebhookTargetConfig[]): Promise<void>;
  listWebhookTargets(): Promise<WebhookTargetInfo[]>;
  /** Removes a target; its pending deliveries fail at their next attempt. False when there was none. */
  removeWebhookTarget(name: string): Promise<boolean>;
  listWebhookDeliveries(query?: WebhookDeliveryQuery): Promise<WebhookDeliveryPage>;
  /** Sends a delivery again (same `webhook-id`, a fresh retry schedule). `undefined` when there is no such delivery. */
  redeliverWebhook(id: string): Promise<WebhookDelivery | undefined>;
  /** Per record id, how its deliveries stand (records without deliveries are left out). */
  summarizeWebhookDeliveries(recordIds: readonly string[]): Promise<Record<string, WebhookRecordSummary>>;
  /** Claims due deliveries for `leaseMs` (row locks that skip locked rows on PostgreSQL and MariaDB). */
  claimWebhookDeliveries(options: { limit: number; leaseMs: number }): Promise<ClaimedWebhookDelivery[]>;
  /** Writes attempts' outcomes: delivered, retry later (on `schedule`), or failed after the last attempt. */
  settleWebhookDeliveries(outcomes: readonly WebhookAttemptOutcome[], schedule: readonly number[]): Promise<void>;
}

/** `webhooks` option of `createDeploymentRouter()` and `feedDeployments()`. */
export interface WebhookOptions {
  /** Targets of this configuration (kept in the store, so every instance sends to them). Defaults to none. */
  targets?: readonly WebhookTargetConfig[];
  /**
   * Run the delivery worker in this process. Several processes on one PostgreSQL or MariaDB database
   * share the work; on SQLite, run it in one process only. Defaults to `true`.
   */
  deliver?: boolean;
  /**
   * Delays before each retry, in milliseconds; attempts = its length + 1. Defaults to the Standard
   * Webhooks schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (8 attempts over about 27 hours).
   */
  retrySchedule?: readonly number[];
  /** The most a `Retry-After` answer may delay a retry, in milliseconds. Defaults to 86400000 (24 h). */
  maxRetryAfterMs?: number;
  /** Bound of one attempt (connect, send, answer), in milliseconds. Defaults to 10000. */
  timeoutMs?: number;
  /** Deliveries sent at once by this process. Defaults to 16. */
  concurrency?: number;
  /** How often the worker looks for due deliveries when idle, in milliseconds. Defaults to 1000. */
  pollIntervalMs?: number;
  /**
   * Allow targets on loopback, private, link-local and cloud-metadata addresses (checked on the URL and
   * on every address its host name resolves to). Defaults to `false`.
   */
  allowPrivateTargets?: boolean;
  /** Defaults to the router's (or middleware's) logger. */
  logger?: Logger;
}
