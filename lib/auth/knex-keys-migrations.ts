/**
 * The knex API-key store's schema: its own table, created by its own migrations, recorded in its own
 * migrations table (never the host's `knex_migrations`, nor the deployments store's).
 */
import type { Knex } from 'knex';
import { isMysql } from '../knex/dialect';
import { createMigrator, type MigrateOptions, type Migration } from '../knex/migrator';
import { readMigrateOptions, readRollbackOptions } from '../knex/migrate-options';

/** The API keys table: names, scopes and SHA-256 hashes of the keys; never a key itself. */
export const API_KEYS_TABLE = 'package_deployments_api_keys';
/** The key store's own migrations table. */
export const API_KEYS_MIGRATIONS_TABLE = 'package_deployments_api_keys_migrations';


/** Every migration, oldest first. Never edit a shipped one: add a new one. */
export const API_KEY_MIGRATIONS: readonly Migration[] = [
  {
    name: '001_create_api_keys',
    async up(knex) {
      await knex.schema.createTable(API_KEYS_TABLE, (t) => {
        if (isMysql(knex)) {
          t.charset('utf8mb4');
          t.collate('utf8mb4_bin');
        }
        t.increments('id').primary();
        // Unique forever, revoked keys included: a name in the records always means one key.
        t.string('name', 200).notNullable().unique('package_deployments_api_keys_name_uq');
        // Lower-case hex SHA-256 of the key.
        t.string('key_hash', 64).notNullable().unique('package_deployments_api_keys_hash_uq');
        // JSON arrays; feeds NULL means every feed.
        t.text('feeds').nullable();
        t.text('privileges').notNullable();
        t.string('created_at', 24).notNullable();
        t.string('revoked_at', 24).nullable();
      });
    },
    async down(knex) {
      await knex.schema.dropTableIfExists(API_KEYS_TABLE);
    },
  },
];

const migrator = createMigrator(API_KEY_MIGRATIONS, API_KEYS_MIGRATIONS_TABLE);

/** Brings the key store's schema up to date; safe to run twice and from several processes at once. */
export async function migrateApiKeyStore(knex: Knex, options?: MigrateOptions): Promise<void> {
  return migrator.latest(knex, readMigrateOptions('migrateApiKeyStore', knex, options));
}

/** Undoes the key store's migrations: the last batch, or all (dropping the keys table) with `{ all: true }`. */
export async function rollbackApiKeyStore(knex: Knex, options?: { all?: boolean }): Promise<void> {
  return migrator.rollback(knex, readRollbackOptions('rollbackApiKeyStore', knex, options));
}
