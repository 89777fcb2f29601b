/**
 * Migration 004: the table of each target's current record (issue 10). "Running now" used to be computed
 * from the history (each candidate record probed the target index for a later record on the same target:
 * 130 ms for one advisory on a package with 100,000 records); the table holds the latest record of each
 * (feed, group, package, target) instead, written in the records' transaction (current-records.ts).
 *
 * Its columns are declared as the records table's (same widths, same MySQL/MariaDB character sets and
 * collations, the version key's binary collation), so that a target is the same target here as in the
 * history's comparisons on every database, and the rows are filled from the records already stored.
 */
import type { Knex } from 'knex';
import { isMysql, isPostgres } from '../knex/dialect';
import type { Migration } from '../knex/migrator';
import { fillCurrentRecords } from './current-records';
import { CURRENT_TABLE } from './tables';

function versionKeyType(knex: Knex): string {
  if (isPostgres(knex)) return 'varchar(191) collate "C"';
  if (isMysql(knex)) return 'varchar(191) character set ascii collate ascii_bin';
  return 'varchar(191)';
}

export const CURRENT_MIGRATION: Migration = {
  name: '004_current_records',
  async up(knex) {
    await knex.schema.createTable(CURRENT_TABLE, (t) => {
      if (isMysql(knex)) {
        t.charset('utf8mb4');
        t.collate('utf8mb4_bin');
      }
      t.string('feed_name', 100).notNullable();
      t.string('group_name', 200).notNullable();
      t.string('package_name', 200).notNullable();
      t.string('target', 200).notNullable();
      // The records table's id (bigint; unsigned on MySQL/MariaDB, as bigIncrements makes it).
      t.bigInteger('record_id').unsigned().notNullable();
      t.string('deployed_at', 24).notNullable();
      t.specificType('version_key', versionKeyType(knex)).notNullable();
      t.string('package_key', 401).notNullable();
      // The latest record is a removal: the target does not run the package (kept, so that an older
      // record written later does not become current).
      t.boolean('removed').notNullable().defaultTo(false);
      t.primary(['feed_name', 'group_name', 'package_name', 'target'], 'package_deployments_current_pkey');
      // "Running now" of a package with a range (and without a group: the package name comes before it).
      t.index(['feed_name', 'package_name', 'group_name', 'version_key'], 'package_deployments_current_version_key_idx');
      // Advisories: a package by its ecosystem's name, with version-key intervals.
      t.index(['feed_name', 'package_key', 'version_key'], 'package_deployments_current_package_key_idx');
    });
    await fillCurrentRecords(knex);
  },
  async down(knex) {
    await knex.schema.dropTableIfExists(CURRENT_TABLE);
  },
};
