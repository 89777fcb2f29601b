/**
 * package-deployments: record and audit package deployments the ProGet way.
 */
export { createDeploymentRouter, RECORD_PATH, DEFAULT_HISTORY_PATH, type DeploymentRouter } from './router';
export { parseVersionRange, RANGE_LIMITS, VERSION_SCHEMES, FEED_TYPE_SCHEMES, DEFAULT_VERSION_SCHEME } from './versions/registry';
export { semverScheme } from './versions/semver';
export { nugetScheme } from './versions/nuget';
export { mavenScheme } from './versions/maven';
export { pypiScheme } from './versions/pypi';
export { VERS_TYPE_SCHEMES } from './versions/vers';
export { validateDeployment, createValidator, deploymentSchema, DEPLOYMENT_SCHEMA } from './record/validate';
export { DEFAULT_LIMITS, ANONYMOUS } from './record/deployment';
export { apiKeyAuth } from './auth/api-keys';
export { anonymousAuth } from './auth/anonymous';
export { createKnexApiKeyStore, API_KEY_PREFIX } from './auth/knex-keys';
export {
  migrateApiKeyStore,
  rollbackApiKeyStore,
  API_KEYS_TABLE,
  API_KEYS_MIGRATIONS_TABLE,
} from './auth/knex-keys-migrations';
export { customAuth, type CustomAuthOptions } from './auth/custom';
export { Privileges } from './auth/privileges';
export { HOST_PRINCIPAL_KIND } from './auth/host-principal';
export {
  createKnexStore,
  createSqliteKnex,
  DEFAULT_SQLITE_FILE,
  DEFAULT_STORE_TIMEOUTS,
  type StoreTimeouts,
  type KnexStoreOptions,
  type KnexDeploymentStore,
  type RebuildVersionKeysOptions,
} from './store/knex-store';
export { versionKey } from './versions/keys';
export { matchAdvisories, type AdvisoryAnswer, type AdvisoryMatch, type AdvisoryReport, type MatchFeed, type MatchStore } from './advisories/match';
export { readAdvisories, type Advisory, type AffectedPackage, type OsvRange, type OsvEvent } from './advisories/osv';
export { ECOSYSTEM_SCHEMES } from './advisories/ecosystems';
export {
  migrateDeploymentStore,
  rollbackDeploymentStore,
  pendingMigrations,
  type MigrateOptions,
} from './store/migrations';
export { DEPLOYMENTS_TABLE, MIGRATIONS_TABLE, CURRENT_TABLE } from './store/tables';
export { rebuildCurrentRecords } from './store/current-records';
export { DeploymentError, FORBIDDEN_MESSAGE, type DeploymentErrorCode } from './http/errors';
export { OptionsError, type OptionsErrorCode } from './options';
export { DEPLOYED_EVENT } from './write/events';
export { REMOVED_FIELD, REMOVED_HEADER } from './record/removal';
export { IDEMPOTENCY_HEADER, DEFAULT_IDEMPOTENCY_EXPIRY_MS, MAX_IDEMPOTENCY_KEY_LENGTH } from './record/idempotency';
export { PURGED_EVENT, DELETED_EVENT } from './retention/audit';
export { DEFAULT_PURGE_BATCH, DEFAULT_PURGE_SAMPLE } from './store/purge';
export { IDEMPOTENCY_TABLE } from './store/tables';
export { BATCH_DEFAULTS } from './write/batch-writer';
export { generateWebhookSecret } from './webhooks/signing';
export { WEBHOOK_ADMIN_PRIVILEGE } from './webhooks/admin-routes';
export { DEFAULT_RETRY_SCHEDULE, WEBHOOK_EVENT_TYPES } from './webhooks/config';
export type * from './types';
export { feedDeployments, type FeedDeploymentsMiddleware } from './downloads/middleware';
export { DEPLOYMENT_HEADERS } from './downloads/headers';
export { SKIPPED_EVENT, LOST_EVENT, WARNING_EVENT, SERVED_PACKAGE_LOCAL } from './downloads/events';
export {
  upackLayout,
  packagesApiLayout,
  nugetV2Layout,
  nugetV3Layout,
  npmLayout,
  mavenLayout,
  pypiLayout,
  helmLayout,
  routeParamsLayout,
  customLayout,
  progetLayouts,
} from './downloads/layouts';
export { openApiDocument, OPENAPI_PATH, type OpenApiDocumentOptions } from './openapi/document';
export { flushOnExit, type FlushOnExitOptions, type RemoveFlushOnExit } from './util/flush-on-exit';
export { runCli, VERBS, EXIT, ENV as CLI_ENV, type Verb, type CliIo } from './cli';
