/**
 * The webhook tables (migrations 030-039), appended to the knex store's `MIGRATIONS`: targets, and the
 * outbox of deliveries. Times are fixed-width ISO 8601 UTC text, as in the records table, so that they
 * compare in time order on every database.
 */
import type { Knex } from 'knex';
import { isMysql } from '../knex/dialect';
import type { Migration } from '../knex/migrator';
import { WEBHOOK_DELIVERIES_TABLE, WEBHOOK_INTENTS_TABLE, WEBHOOK_TARGETS_TABLE } from '../store/tables';

function utf8mb4(knex: Knex, t: Knex.CreateTableBuilder): void {
  if (isMysql(knex)) {
    t.charset('utf8mb4');
    t.collate('utf8mb4_bin');
  }
}

export const WEBHOOK_MIGRATIONS: readonly Migration[] = [
  {
    name: '030_create_webhook_outbox',
    async up(knex) {
      await knex.schema.createTable(WEBHOOK_TARGETS_TABLE, (t) => {
        utf8mb4(knex, t);
        t.string('name', 100).primary();
        t.text('url').notNullable();
        // JSON list of "whsec_..." secrets, newest first. Never returned by any read.
        t.text('secrets').notNullable();
        t.string('events', 200).notNullable();
        // JSON list of feed names; NULL = every feed.
        t.text('feeds').nullable();
        t.string('format', 20).notNullable();
        t.string('source', 10).notNullable();
        t.string('created_at', 24).notNullable();
        t.string('disabled_at', 24).nullable();
        t.string('disabled_reason', 500).nullable();
      });
      await knex.schema.createTable(WEBHOOK_DELIVERIES_TABLE, (t) => {
        utf8mb4(knex, t);
        t.bigIncrements('id').primary();
        t.string('webhook_id', 64).notNullable().unique('pd_webhook_deliveries_webhook_id_uq');
        t.string('target_name', 100).notNullable();
        t.string('event_type', 40).notNullable();
        t.string('record_id', 40).notNullable();
        t.string('feed_name', 100).notNullable();
        // The exact body, made once at commit: every attempt sends the same bytes.
        t.text('payload').notNullable();
        t.string('status', 12).notNullable();
        t.integer('attempts').notNullable().defaultTo(0);
        // When the next attempt is due; while a worker holds the delivery, when its lease ends.
        t.string('next_attempt_at', 24).notNullable();
        // The worker claim that holds the delivery now; NULL when none does.
        t.string('claim', 36).nullable();
        t.string('last_attempt_at', 24).nullable();
        t.integer('last_status').nullable();
        t.string('last_error', 1000).nullable();
        t.string('delivered_at', 24).nullable();
        t.string('created_at', 24).notNullable();
        t.index(['status', 'next_attempt_at', 'id'], 'pd_webhook_deliveries_due_idx');
        t.index(['record_id'], 'pd_webhook_deliveries_record_idx');
        t.index(['target_name', 'id'], 'pd_webhook_deliveries_target_idx');
      });
    },
    async down(knex) {
      await knex.schema.dropTableIfExists(WEBHOOK_DELIVERIES_TABLE);
      await knex.schema.dropTableIfExists(WEBHOOK_TARGETS_TABLE);
    },
  },
  {
    // Recording writes one small intent row per batch (record id, target name pairs) instead of one
    // delivery row per record and target: measured, the delivery rows doubled the database work of each
    // record on the record endpoint's path. The worker expands intents into deliveries.
    name: '031_create_webhook_intents',
    async up(knex) {
      await knex.schema.createTable(WEBHOOK_INTENTS_TABLE, (t) => {
        utf8mb4(knex, t);
        t.bigIncrements('id').primary();
        // JSON list of [record id, target name] pairs.
        t.text('pairs').notNullable();
        // The range of record ids, for the History page's "pending" count before expansion.
        t.bigInteger('min_record_id').notNullable();
        t.bigInteger('max_record_id').notNullable();
        t.string('created_at', 24).notNullable();
        t.index(['min_record_id', 'max_record_id'], 'pd_webhook_intents_records_idx');
      });
    },
    async down(knex) {
      await knex.schema.dropTableIfExists(WEBHOOK_INTENTS_TABLE);
    },
  },
];
