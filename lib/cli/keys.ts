/**
 * `package-deployments keys create|list|revoke`: API keys in the database (createKnexApiKeyStore), for
 * the server that reads them. The database comes from PACKAGE_DEPLOYMENTS_DATABASE: an SQLite file, or a
 * postgres:// or mysql:// URL. A new key is printed once, on stdout; it is never stored, only its hash.
 */
import { knex as createKnex, type Knex } from 'knex';
import { createKnexApiKeyStore } from '../auth/knex-keys';
import { createSqliteKnex } from '../store/knex-store';
import { helpText, parseArgs, text, type FlagSpec } from './args';
import { ENV } from './env';
import { EXIT, UsageError } from './errors';
import type { Privilege } from '../types';
import type { Verb } from './verb';

const FLAGS: readonly FlagSpec[] = [
  { name: 'feeds', value: true, help: 'create: comma-separated feeds the key may touch (default: every feed)' },
  { name: 'read-only', value: false, help: 'create: the key may read, not record' },
  { name: 'json', value: false, help: 'list/create: print JSON' },
];

/** The knex instance PACKAGE_DEPLOYMENTS_DATABASE names (an SQLite file, or a postgres:// or mysql:// URL). */
export function knexFromEnv(env: NodeJS.ProcessEnv): Knex {
  const database = env[ENV.DATABASE];
  if (!database) throw new UsageError(`set ${ENV.DATABASE} to the database the server reads its keys from (an SQLite file, or a postgres:// or mysql:// URL).`);
  if (/^postgres(ql)?:\/\//i.test(database)) return createKnex({ client: 'pg', connection: database, pool: { min: 0, max: 1 } });
  if (/^mysql:\/\//i.test(database)) return createKnex({ client: 'mysql2', connection: database, pool: { min: 0, max: 1 } });
  return createSqliteKnex(database);
}

export const keysVerb: Verb = {
  name: 'keys',
  summary: 'create, list or revoke API keys in the database',
  help: () => helpText(
    'package-deployments keys create <name> [--feeds a,b] [--read-only] | keys list | keys revoke <name>',
    'Manages the API keys kept in the database (only their SHA-256 hashes are stored). `create` prints the new key once.',
    FLAGS,
    `Environment: ${ENV.DATABASE} (required): an SQLite file, or a postgres:// or mysql:// URL.`,
  ),
  async run(argv, io) {
    const args = parseArgs(argv, FLAGS);
    if (args.help) {
      io.stdout.write(keysVerb.help());
      return EXIT.OK;
    }
    const [action, name, ...rest] = args.positional;
    if (rest.length > 0) throw new UsageError(`unexpected ${rest.join(' ')}.`);
    if (action !== 'create' && action !== 'list' && action !== 'revoke') throw new UsageError('say keys create <name>, keys list or keys revoke <name>.');
    if (action !== 'list' && !name) throw new UsageError(`keys ${action} needs the key's name.`);
    const knex = knexFromEnv(io.env);
    const store = createKnexApiKeyStore({ knex });
    try {
      await store.init();
      if (action === 'create') {
        const feeds = text(args, 'feeds')?.split(',').map((f) => f.trim()).filter(Boolean);
        const privileges: Privilege[] | undefined = args.flags.has('read-only') ? ['Feeds_ViewPackage'] : undefined;
        const created = await store.createApiKey({ name: name!, ...(feeds ? { feeds } : {}), ...(privileges ? { privileges } : {}) });
        io.stdout.write(args.flags.has('json') ? `${JSON.stringify(created)}\n` : `${created.key}\n`);
        if (!args.flags.has('json')) io.stderr.write(`created key "${created.name}"; it is shown this once.\n`);
        return EXIT.OK;
      }
      if (action === 'revoke') {
        if (!(await store.revokeApiKey(name!))) {
          io.stderr.write(`no active key named "${name}".\n`);
          return EXIT.NOT_FOUND;
        }
        io.stderr.write(`revoked key "${name}".\n`);
        return EXIT.OK;
      }
      const keys = await store.listApiKeys();
      if (args.flags.has('json')) io.stdout.write(`${JSON.stringify(keys, null, 2)}\n`);
      else {
        for (const k of keys) {
          io.stdout.write(`${[k.name, k.feeds?.join(',') ?? '*', k.privileges.join(','), k.createdAt.toISOString(), k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : 'active'].join('\t')}\n`);
        }
      }
      return EXIT.OK;
    } catch (err) {
      if (err instanceof Error && /unique|duplicate|already/i.test(err.message)) {
        io.stderr.write(`package-deployments: a key named "${name}" exists already (names are never reused).\n`);
        return EXIT.REJECTED;
      }
      throw err;
    } finally {
      await store.close();
      await knex.destroy();
    }
  },
};
