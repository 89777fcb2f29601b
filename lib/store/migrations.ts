/**
 * The knex store's schema, as migrations shipped in the package with their own migrations table. The
 * store runs them on first use unless told not to; `migrateDeploymentStore` runs them on demand.
 */
import type { Knex } from 'knex';
import { isMysql, isPostgres } from '../knex/dialect';
import { createMigrator, type MigrateOptions, type Migration } from '../knex/migrator';
import { readMigrateOptions, readPendingArguments, readRollbackOptions } from '../knex/migrate-options';
import { DEPLOYMENTS_TABLE, IDEMPOTENCY_TABLE, MIGRATIONS_TABLE } from './tables';
import { WEBHOOK_MIGRATIONS } from '../webhooks/migrations';
import { CURRENT_MIGRATION } from './current-migration';

export type { MigrateOptions, Migration } from '../knex/migrator';

/** Every migration, oldest first. Never edit a shipped one: add a new one. */
export const MIGRATIONS: readonly Migration[] = [
  {
    name: '001_create_package_deployments',
    async up(knex) {
      await knex.schema.createTable(DEPLOYMENTS_TABLE, (t) => {
        // MySQL/MariaDB: full Unicode and exact (case- and accent-sensitive) matching, as on the others.
        if (isMysql(knex)) {
          t.charset('utf8mb4');
          t.collate('utf8mb4_bin');
        }
        t.bigIncrements('id').primary();
        t.string('feed_name', 100).notNullable();
        // '' for "no group", so that (feed, group, package) lookups are plain equality on every database.
        t.string('group_name', 200).notNullable().defaultTo('');
        t.string('package_name', 200).notNullable();
        t.string('version', 100).notNullable();
        t.string('application', 200).notNullable();
        t.text('description').notNullable();
        t.string('target', 200).notNullable();
        t.string('user_name', 200).notNullable();
        t.text('url').nullable();
        // Fixed-width ISO 8601 UTC text ("2024-05-01T12:00:00.000Z"): sorts in time order, and reads
        // back the same on every database whatever its or the session's time zone.
        t.string('deployed_at', 24).notNullable();
        t.string('received_at', 24).notNullable();
        t.index(['feed_name', 'group_name', 'package_name', 'deployed_at', 'id'], 'package_deployments_package_idx');
        t.index(['feed_name', 'group_name', 'package_name', 'target', 'deployed_at', 'id'], 'package_deployments_target_idx');
        t.index(['deployed_at', 'id'], 'package_deployments_date_idx');
      });
    },
    async down(knex) {
      await knex.schema.dropTableIfExists(DEPLOYMENTS_TABLE);
    },
  },
  {
    // The read API's queries that name no group (a package's history across groups) and no package
    // (everything deployed to one target, newest first).
    name: '002_read_indexes',
    async up(knex) {
      await knex.schema.alterTable(DEPLOYMENTS_TABLE, (t) => {
        t.index(['feed_name', 'package_name', 'deployed_at', 'id'], 'package_deployments_name_idx');
        t.index(['target', 'deployed_at', 'id'], 'package_deployments_target_date_idx');
      });
    },
    async down(knex) {
      await knex.schema.alterTable(DEPLOYMENTS_TABLE, (t) => {
        t.dropIndex(['feed_name', 'package_name', 'deployed_at', 'id'], 'package_deployments_name_idx');
        t.dropIndex(['target', 'deployed_at', 'id'], 'package_deployments_target_date_idx');
      });
    },
  },
  {
    // Version keys (issue 10): a text that sorts, byte by byte, in the feed scheme's version order, so
    // that a range is an index range scan. Byte order needs a binary collation: "C" on PostgreSQL, ascii_bin
    // on MySQL/MariaDB (ASCII also keeps the index under InnoDB's 3072-byte limit), BINARY on SQLite.
    // Rows already stored get "~" (unkeyed: always a candidate, tested in JavaScript) until
    // store.rebuildVersionKeys() computes their keys.
    name: '010_version_keys',
    async up(knex) {
      if (isPostgres(knex)) {
        await knex.raw(`alter table ?? add column version_key varchar(191) collate "C" not null default '~'`, [DEPLOYMENTS_TABLE]);
      } else if (isMysql(knex)) {
        await knex.raw(`alter table ?? add column version_key varchar(191) character set ascii collate ascii_bin not null default '~'`, [DEPLOYMENTS_TABLE]);
      } else {
        await knex.schema.alterTable(DEPLOYMENTS_TABLE, (t) => {
          t.string('version_key', 191).notNullable().defaultTo('~');
        });
      }
      await knex.schema.alterTable(DEPLOYMENTS_TABLE, (t) => {
        t.index(['feed_name', 'group_name', 'package_name', 'version_key', 'target'], 'package_deployments_version_key_idx');
      });
    },
    async down(knex) {
      await knex.schema.alterTable(DEPLOYMENTS_TABLE, (t) => {
        t.dropIndex(['feed_name', 'group_name', 'package_name', 'version_key', 'target'], 'package_deployments_version_key_idx');
      });
      await knex.schema.alterTable(DEPLOYMENTS_TABLE, (t) => {
        t.dropColumn('version_key');
      });
    },
  },
  {
    // Package keys (issue 10): the package's identity spelled as its ecosystem compares names (NuGet
    // lower-cased, PyPI PEP 503, Maven groupId:artifactId, npm @scope/name), so that an advisory finds a
    // package's records by index. Rows stored before get '' until store.rebuildVersionKeys() fills it.
    name: '011_package_keys',
    async up(knex) {
      await knex.schema.alterTable(DEPLOYMENTS_TABLE, (t) => {
        t.string('package_key', 401).notNullable().defaultTo('');
      });
      await knex.schema.alterTable(DEPLOYMENTS_TABLE, (t) => {
        t.index(['feed_name', 'package_key', 'version_key', 'target'], 'package_deployments_package_key_idx');
      });
    },
    async down(knex) {
      await knex.schema.alterTable(DEPLOYMENTS_TABLE, (t) => {
        t.dropIndex(['feed_name', 'package_key', 'version_key', 'target'], 'package_deployments_package_key_idx');
      });
      await knex.schema.alterTable(DEPLOYMENTS_TABLE, (t) => {
        t.dropColumn('package_key');
      });
    },
  },
  // 030-039: the webhook outbox (lib/webhooks/migrations.ts).
  {
    // Every record gets an identity; a unique index makes a write of the same record again (a batch
    // retried after a connection broke as it committed) store nothing. Older rows keep NULL, which a
    // unique index allows any number of times on every database.
    name: '020_record_uid',
    async up(knex) {
      await knex.schema.alterTable(DEPLOYMENTS_TABLE, (t) => {
        t.string('uid', 64).nullable();
        t.unique(['uid'], { indexName: 'package_deployments_uid_idx' });
      });
    },
    async down(knex) {
      await knex.schema.alterTable(DEPLOYMENTS_TABLE, (t) => {
        t.dropUnique(['uid'], 'package_deployments_uid_idx');
      });
      await knex.schema.alterTable(DEPLOYMENTS_TABLE, (t) => {
        t.dropColumn('uid');
      });
    },
  },
  {
    // Removal records: the package was removed from the target (this library's extension).
    name: '021_removal_records',
    async up(knex) {
      await knex.schema.alterTable(DEPLOYMENTS_TABLE, (t) => {
        t.boolean('removed').notNullable().defaultTo(false);
      });
    },
    async down(knex) {
      await knex.schema.alterTable(DEPLOYMENTS_TABLE, (t) => {
        t.dropColumn('removed');
      });
    },
  },
  {
    // Idempotency-Key: one row per (caller, key), holding a fingerprint of the request and, once
    // answered, the answer to replay; rows expire (expires_at) and are deleted lazily.
    name: '022_idempotency_keys',
    async up(knex) {
      await knex.schema.createTable(IDEMPOTENCY_TABLE, (t) => {
        if (isMysql(knex)) {
          t.charset('utf8mb4');
          t.collate('utf8mb4_bin');
        }
        // SHA-256 (hex) of the caller's scope and the key: fixed width, whatever the key's length.
        t.string('id', 64).primary();
        t.string('fingerprint', 64).notNullable();
        // The claim of the request that holds the key (a random UUID): only it settles or releases it.
        t.string('claim', 36).notNullable();
        // 0 while the first request is in flight, else the status answered.
        t.integer('status').notNullable().defaultTo(0);
        t.string('record_id', 32).nullable();
        t.string('created_at', 24).notNullable();
        t.string('expires_at', 24).notNullable();
        t.index(['expires_at'], 'package_deployment_idempotency_expiry_idx');
      });
    },
    async down(knex) {
      await knex.schema.dropTableIfExists(IDEMPOTENCY_TABLE);
    },
  },
  ...WEBHOOK_MIGRATIONS,
  {
    // Feed-wide history and exports (`feed_name = ? ORDER BY deployed_at DESC, id DESC`) read this index
    // in order, a batch at a time; without it every batch of an export sorted the whole feed again.
    name: '003_feed_history_index',
    async up(knex) {
      await knex.schema.alterTable(DEPLOYMENTS_TABLE, (t) => {
        t.index(['feed_name', 'deployed_at', 'id'], 'package_deployments_feed_date_idx');
      });
    },
    async down(knex) {
      await knex.schema.alterTable(DEPLOYMENTS_TABLE, (t) => {
        t.dropIndex(['feed_name', 'deployed_at', 'id'], 'package_deployments_feed_date_idx');
      });
    },
  },
  // Each target's current record, kept at write time (issue 10): lib/store/current-migration.ts.
  CURRENT_MIGRATION,
];

const migrator = createMigrator(MIGRATIONS, MIGRATIONS_TABLE);

/** A knex migration source over {@link MIGRATIONS}. */
export const migrationSource = migrator.source;

/**
 * Brings the schema up to date. Safe to run twice and from several processes at once: a process that
 * finds another one migrating waits for it.
 */
export async function migrateDeploymentStore(knex: Knex, options?: MigrateOptions): Promise<void> {
  return migrator.latest(knex, readMigrateOptions('migrateDeploymentStore', knex, options));
}

/**
 * Undoes migrations: the last batch, or all of them with `{ all: true }` (dropping the records table).
 */
export async function rollbackDeploymentStore(knex: Knex, options?: { all?: boolean }): Promise<void> {
  return migrator.rollback(knex, readRollbackOptions('rollbackDeploymentStore', knex, options));
}

/** Names of the migrations not yet applied. */
export async function pendingMigrations(knex: Knex): Promise<string[]> {
  readPendingArguments('pendingMigrations', knex);
  return migrator.pending(knex);
}
