/** Reading the options of the exported migration functions (deployments and API keys) once, with hints. */
import type { Knex } from 'knex';
import { invalidOption, optionNames, readOptions } from '../options';
import type { MigrateOptions } from './migrator';

const MIGRATE_OPTIONS = optionNames<MigrateOptions>()('lockTimeoutMs');
const ROLLBACK_OPTIONS = optionNames<{ all?: boolean }>()('all');

function checkKnex(fn: string, knex: unknown): void {
  if (typeof knex !== 'function' || typeof (knex as { schema?: unknown }).schema !== 'object') {
    invalidOption(fn, 'knex', `(the first argument) must be a knex instance: ${fn}(knex({ client, connection })).`);
  }
}

export function readMigrateOptions(fn: string, knex: Knex, given: MigrateOptions | undefined): MigrateOptions {
  checkKnex(fn, knex);
  const options = readOptions(fn, given, MIGRATE_OPTIONS, '{ lockTimeoutMs: 60000 }');
  if (options.lockTimeoutMs !== undefined && (!Number.isFinite(options.lockTimeoutMs) || options.lockTimeoutMs < 0)) {
    invalidOption(fn, 'lockTimeoutMs', `must be a number of milliseconds; got ${String(options.lockTimeoutMs)}.`);
  }
  return { ...options };
}

export function readRollbackOptions(fn: string, knex: Knex, given: { all?: boolean } | undefined): { all?: boolean } {
  checkKnex(fn, knex);
  const options = readOptions(fn, given, ROLLBACK_OPTIONS, '{ all: true }');
  if (options.all !== undefined && typeof options.all !== 'boolean') invalidOption(fn, 'all', 'must be true or false.');
  return { ...options };
}

export function readPendingArguments(fn: string, knex: Knex): void {
  checkKnex(fn, knex);
}
