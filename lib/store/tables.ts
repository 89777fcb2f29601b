/** Table names of the knex store, in one place (never pasted into SQL elsewhere). */
export const DEPLOYMENTS_TABLE = 'package_deployments';
/** The store's own migrations table: sharing the host's `knex_migrations` breaks both (knex issue 5177). */
export const MIGRATIONS_TABLE = 'package_deployments_migrations';
/** `Idempotency-Key`s and the answers they replay (migration 022). */
export const IDEMPOTENCY_TABLE = 'package_deployment_idempotency';
