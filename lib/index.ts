/**
 * package-deployments: record and audit package deployments the ProGet way.
 */
export { createDeploymentRouter, RECORD_PATH, type DeploymentRouter } from './router';
export { validateDeployment, createValidator, deploymentSchema, DEPLOYMENT_SCHEMA } from './validate';
export { DEFAULT_LIMITS, ANONYMOUS, parseDeploymentDate } from './deployment';
export { extractCredentials } from './credentials';
export { apiKeyAuth } from './auth/api-keys';
export { anonymousAuth } from './auth/anonymous';
export { customAuth, type CustomAuthOptions } from './auth/custom';
export { Privileges } from './auth/privileges';
export {
  createKnexStore,
  createSqliteKnex,
  DEFAULT_SQLITE_FILE,
  type KnexStoreOptions,
  type KnexDeploymentStore,
} from './store/knex-store';
export {
  migrateDeploymentStore,
  rollbackDeploymentStore,
  pendingMigrations,
  type MigrateOptions,
} from './store/migrations';
export { DEPLOYMENTS_TABLE, MIGRATIONS_TABLE } from './store/tables';
export { DeploymentError, FORBIDDEN_MESSAGE, type DeploymentErrorCode } from './errors';
export { DEPLOYED_EVENT } from './events';
export { createGroupCommit, DEFAULT_MAX_BATCH, type GroupCommit } from './group-commit';
export type * from './types';
