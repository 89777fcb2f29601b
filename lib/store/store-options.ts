/** Reading createKnexStore()'s options once, at construction. */
import { invalidOption, optionNames, readOptions } from '../options';
import type { KnexStoreOptions } from './knex-store';

const KNOWN_OPTIONS = optionNames<KnexStoreOptions>()('knex', 'filename', 'migrate', 'versionSchemes', 'defaultVersionScheme', 'timeouts', 'logger');

/** True when `value` looks like a knex instance (as returned by `knex({ client, connection })`). */
export function isKnex(value: unknown): boolean {
  return typeof value === 'function' && typeof (value as { schema?: unknown }).schema === 'object';
}

export function readKnexStoreOptions(given: KnexStoreOptions | undefined): Readonly<KnexStoreOptions> {
  const options = readOptions('createKnexStore', given, KNOWN_OPTIONS, '{ knex } or { filename: "deployments.sqlite" }');
  if (options.knex !== undefined && !isKnex(options.knex)) {
    invalidOption('createKnexStore', 'knex', 'must be a knex instance, as returned by knex({ client, connection }).');
  }
  if (options.filename !== undefined && (typeof options.filename !== 'string' || options.filename === '')) {
    invalidOption('createKnexStore', 'filename', 'must be the path of an SQLite file, such as "package-deployments.sqlite" (or ":memory:").');
  }
  if (options.knex !== undefined && options.filename !== undefined) {
    invalidOption('createKnexStore', 'filename', 'is only used without `knex` (for the embedded SQLite store); give either `knex` or `filename`, not both.');
  }
  if (options.migrate !== undefined && typeof options.migrate !== 'boolean') invalidOption('createKnexStore', 'migrate', 'must be true or false.');
  if (options.logger !== undefined && (typeof options.logger !== 'object' || options.logger === null || typeof options.logger.warn !== 'function' || typeof options.logger.error !== 'function')) {
    invalidOption('createKnexStore', 'logger', 'must be console, or an object with warn(message) and error(message).');
  }
  return options;
}
