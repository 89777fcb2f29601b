/** Table names of the knex store, in one place (never pasted into SQL elsewhere). */
export const DEPLOYMENTS_TABLE = 'package_deployments';
/** The store's own migrations table: sharing the host's `knex_migrations` breaks both (knex issue 5177). */
export const MIGRATIONS_TABLE = 'package_deployments_migrations';
/** `Idempotency-Key`s and the answers they replay (migration 022). */
export const IDEMPOTENCY_TABLE = 'package_deployment_idempotency';
/** Webhook targets (configured and added at run time), with their signing secrets. */
export const WEBHOOK_TARGETS_TABLE = 'package_deployments_webhook_targets';
/** Webhook deliveries: one row per record per target, made by the delivery worker from intents. */
export const WEBHOOK_DELIVERIES_TABLE = 'package_deployments_webhook_deliveries';
/**
 * Webhook intents: one row per written batch that some target wants, in the records' transaction (the
 * durable promise); the delivery worker turns each into delivery rows off the recording path.
 */
export const WEBHOOK_INTENTS_TABLE = 'package_deployments_webhook_intents';
/**
 * Each target's current record (migration 004): one row per (feed, group, package, target), kept in the
 * records' transaction, so that "running now" reads the current rows of a package instead of its history.
 */
export const CURRENT_TABLE = 'package_deployments_current';
