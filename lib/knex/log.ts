/** knex's `log` config for the knex instances the library creates: knex's messages go to the `logger` option. */
import { inspect } from 'node:util';
import type { Logger } from '../types';

const text = (message: unknown) => (typeof message === 'string' ? message : inspect(message, { depth: 3 })).split('\n')[0]!;

/** Routes knex's warnings, errors and deprecations to `logger` (prefixed `package-deployments: knex:`); debug output is dropped. */
export function knexLog(logger: Logger) {
  return {
    warn: (message: unknown) => logger.warn(`package-deployments: knex: ${text(message)}`),
    error: (message: unknown) => logger.error(`package-deployments: knex: ${text(message)}`),
    deprecate: (method: string, alternative: string) => logger.warn(`package-deployments: knex: ${method} is deprecated, use ${alternative}`),
    debug: () => undefined,
  };
}
