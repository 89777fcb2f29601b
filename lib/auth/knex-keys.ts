/**
 * API keys kept in a database through knex, usable directly as the router's `auth` adapter.
 *
 * Only a SHA-256 hash of each key is stored. A key is 32 random bytes (256 bits), so its hash cannot be
 * reversed or brute-forced: slow, salted password hashes (bcrypt, scrypt) exist for low-entropy secrets
 * people choose, and would also force every request to try every stored key. A plain hash lets a key
 * be found by an index lookup, then compared again in constant time. A leaked table grants nothing.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Knex } from 'knex';
import { storageError } from '../http/errors';
import { invalidOption, optionNames, readOptions } from '../options';
import { once } from '../util/once';
import { readAnonymous, type Grant } from './grant';
import { createSqliteKnex } from '../store/knex-store';
import { isKnex } from '../store/store-options';
import type {
  ApiKeyInfo,
  AuthAdapter,
  CreatedApiKey,
  KnexApiKeyStore,
  KnexApiKeyStoreOptions,
  NewApiKey,
  Principal,
  Privilege,
} from '../types';
import { API_KEYS_TABLE, migrateApiKeyStore } from './knex-keys-migrations';
import { ALL_PRIVILEGES, feedAllowed } from './privileges';

interface KeyRow {
  id: number | string;
  name: string;
  key_hash: string;
  feeds: string | null;
  privileges: string;
  created_at: string;
  revoked_at: string | null;
}


/** Prefix of the keys this store makes, so that secret scanners and people can recognise them. */
export const API_KEY_PREFIX = 'pdk_';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();
const CONTROL = /[\u0000-\u001f\u007f]/;

function info(row: KeyRow): ApiKeyInfo {
  const feeds = row.feeds === null ? undefined : (JSON.parse(row.feeds) as string[]);
  return {
    name: row.name,
    ...(feeds ? { feeds } : {}),
    privileges: JSON.parse(row.privileges) as Privilege[],
    createdAt: new Date(row.created_at),
    ...(row.revoked_at ? { revokedAt: new Date(row.revoked_at) } : {}),
  };
}

function checkNewKey(options: NewApiKey): { name: string; feeds?: string[]; privileges: Privilege[] } {
  if (!options || typeof options !== 'object') throw new TypeError('createApiKey({ name, feeds?, privileges? }) needs an options object.');
  const { name, feeds, privileges } = options;
  if (typeof name !== 'string' || name.trim() === '' || name.trim().length > 200 || CONTROL.test(name)) {
    throw new TypeError('createApiKey: name must be a non-empty string of at most 200 characters without control characters (it is recorded as the user).');
  }
  if (feeds !== undefined && (!Array.isArray(feeds) || feeds.some((f) => typeof f !== 'string' || f.trim() === ''))) {
    throw new TypeError('createApiKey: feeds must be an array of feed names, or left out for every feed.');
  }
  if (privileges !== undefined && (!Array.isArray(privileges) || privileges.length === 0 || privileges.some((p) => typeof p !== 'string' || p === ''))) {
    throw new TypeError("createApiKey: privileges must be a non-empty array such as ['Feeds_DownloadPackage'], or left out for record + read.");
  }
  return { name: name.trim(), feeds: feeds ? [...feeds] : undefined, privileges: privileges ? [...privileges] : [...ALL_PRIVILEGES] };
}

const KNOWN_OPTIONS = optionNames<KnexApiKeyStoreOptions>()('knex', 'filename', 'migrate', 'anonymous', 'logger');

/**
 * Creates the store. It is an {@link AuthAdapter}: pass it as `auth` to `createDeploymentRouter()`.
 *
 * @example
 * const keys = createKnexApiKeyStore({ knex });
 * const { key } = await keys.createApiKey({ name: 'buildmaster', feeds: ['DefaultNuGet'] }); // shown once
 * app.use(createDeploymentRouter({ auth: keys, store }));
 */
export function createKnexApiKeyStore(given?: KnexApiKeyStoreOptions): KnexApiKeyStore {
  const options = readOptions('createKnexApiKeyStore', given, KNOWN_OPTIONS, '{ knex } or { filename: "keys.sqlite" }');
  if (options.knex !== undefined && !isKnex(options.knex)) {
    invalidOption('createKnexApiKeyStore', 'knex', 'must be a knex instance, as returned by knex({ client, connection }).');
  }
  if (options.filename !== undefined && (typeof options.filename !== 'string' || options.filename === '')) {
    invalidOption('createKnexApiKeyStore', 'filename', 'must be the path of an SQLite file, such as "package-deployments.sqlite".');
  }
  if (options.knex !== undefined && options.filename !== undefined) {
    invalidOption('createKnexApiKeyStore', 'filename', 'is only used without `knex`; give one or the other.');
  }
  if (options.migrate !== undefined && typeof options.migrate !== 'boolean') invalidOption('createKnexApiKeyStore', 'migrate', 'must be true or false.');
  const owned = options.knex === undefined;
  const db: Knex = options.knex ?? createSqliteKnex(options.filename, { logger: options.logger ?? console });
  const anonymous = readAnonymous('createKnexApiKeyStore', options.anonymous);
  // What each principal handed out by authenticate() may do: a snapshot taken at that moment.
  const grants = new WeakMap<Principal, Grant>();
  // A database down at start is a 503 (the router calls init() first), and is retried on the next call.
  const init = once(async () => {
    try {
      if (options.migrate !== false) await migrateApiKeyStore(db);
    } catch (err) {
      throw storageError(err);
    }
  });

  async function findKey(key: string): Promise<KeyRow | undefined> {
    const presented = sha256(key);
    let row: KeyRow | undefined;
    try {
      await init();
      row = (await db<KeyRow>(API_KEYS_TABLE).where('key_hash', presented.toString('hex')).first()) as KeyRow | undefined;
    } catch (err) {
      // The key store is down: 503 with Retry-After, the same as the deployments store. The message
      // holds the driver's reason only (no SQL, no bound values; the key itself never reaches SQL).
      throw storageError(err);
    }
    if (!row || row.revoked_at !== null) return undefined;
    // The index found the row by hash; confirm in constant time, whatever the database's collation.
    const stored = Buffer.from(row.key_hash, 'hex');
    return stored.length === presented.length && timingSafeEqual(stored, presented) ? row : undefined;
  }

  const adapter: AuthAdapter = {
    async authenticate(credentials) {
      if (credentials === null) return null;
      if (credentials.type !== 'apiKey') return false; // Basic with a user name other than "api"
      const row = await findKey(credentials.key);
      if (!row) return false;
      const principal: Principal = { name: row.name, kind: 'apiKey' };
      const grant = info(row);
      grants.set(principal, { feeds: grant.feeds, privileges: grant.privileges });
      return principal;
    },
    authorize(principal, privilege, feed) {
      const grant = principal === null ? anonymous : grants.get(principal);
      return !!grant && grant.privileges.includes(privilege) && feedAllowed(grant.feeds, feed);
    },
  };

  return {
    ...adapter,
    knex: db,
    init,

    async createApiKey(newKey: NewApiKey): Promise<CreatedApiKey> {
      const checked = checkNewKey(newKey);
      await init();
      const key = API_KEY_PREFIX + randomBytes(32).toString('base64url');
      const createdAt = new Date();
      await db.transaction(async (trx) => {
        const existing = await trx(API_KEYS_TABLE).where('name', checked.name).first('id');
        if (existing) throw new Error(`createApiKey: a key named "${checked.name}" already exists (names stay taken after revocation, so that records keep meaning one key); choose another name.`);
        await trx(API_KEYS_TABLE).insert({
          name: checked.name,
          key_hash: sha256(key).toString('hex'),
          feeds: checked.feeds ? JSON.stringify(checked.feeds) : null,
          privileges: JSON.stringify(checked.privileges),
          created_at: createdAt.toISOString(),
          revoked_at: null,
        });
      });
      return { name: checked.name, ...(checked.feeds ? { feeds: checked.feeds } : {}), privileges: checked.privileges, createdAt, key };
    },

    async revokeApiKey(name: string): Promise<boolean> {
      await init();
      const changed = await db(API_KEYS_TABLE).where('name', name).whereNull('revoked_at').update({ revoked_at: new Date().toISOString() });
      return Number(changed) > 0;
    },

    async listApiKeys(): Promise<ApiKeyInfo[]> {
      await init();
      const rows = (await db<KeyRow>(API_KEYS_TABLE).select('id', 'name', 'feeds', 'privileges', 'created_at', 'revoked_at').orderBy('id')) as KeyRow[];
      return rows.map(info);
    },

    async close(): Promise<void> {
      if (owned) await db.destroy();
    },
  };
}
