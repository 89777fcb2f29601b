/** Knex instances whose every connection uses a given session time zone (for timezones.test.ts). */
import { knex as createKnex, type Knex } from 'knex';
import { createSqliteKnex } from '../../lib/store/knex-store';
import { isMysql, isPostgres } from '../../lib/knex/dialect';
import type { TestDatabase } from './databases';

type AfterCreate = (conn: unknown, done: (err: Error | null, conn: unknown) => void) => void;

/**
 * A knex instance on the database of `config` (a `TestDatabase.connection`) whose every connection runs
 * `SET TIME ZONE` (PostgreSQL) or `SET time_zone` (MariaDB/MySQL) first. SQLite has no session zone.
 */
export function knexInZone(config: TestDatabase['connection'], zone: string | undefined): Knex {
  const { client, connection, searchPath } = config;
  if (client === 'better-sqlite3') return createSqliteKnex((connection as { filename: string }).filename);
  const afterCreate: AfterCreate = (conn, done) => {
    if (zone === undefined) return done(null, conn);
    // The zones are the test's own constants, never input.
    const sql = client === 'pg' ? `SET TIME ZONE '${zone}'` : `SET time_zone = '${zone}'`;
    (conn as { query(sql: string, cb: (err: Error | null) => void): void }).query(sql, (err) => done(err, conn));
  };
  return createKnex({ client, connection: connection as Knex.StaticConnectionConfig, searchPath, pool: { min: 0, max: 2, afterCreate } });
}

/** The session time zone the database reports for a connection of `knex` ("" on SQLite). */
export async function sessionZone(knex: Knex): Promise<string> {
  if (isPostgres(knex)) return String(((await knex.raw('SHOW TIME ZONE')) as { rows: Array<{ TimeZone: string }> }).rows[0]!.TimeZone);
  if (isMysql(knex)) {
    const [rows] = (await knex.raw('SELECT @@session.time_zone AS zone')) as [Array<{ zone: string }>];
    return rows[0]!.zone;
  }
  return '';
}
