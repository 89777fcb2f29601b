import type { Knex } from 'knex';

/** The knex client name of an instance ("pg", "mysql2", "better-sqlite3"...). */
export function clientOf(knex: Knex): string {
  const client = (knex.client as { config?: { client?: unknown }; dialect?: string }) ?? {};
  return String(client.dialect ?? client.config?.client ?? '');
}

export const isMysql = (knex: Knex) => /mysql|maria/i.test(clientOf(knex));
export const isPostgres = (knex: Knex) => /^(pg|postgres|postgresql)$/i.test(clientOf(knex));
export const isSqlite = (knex: Knex) => /sqlite/i.test(clientOf(knex));
