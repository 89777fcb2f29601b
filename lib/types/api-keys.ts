/**
 * The knex API-key store: options, keys as created and as listed.
 */
import type { AnonymousGrant, AuthAdapter, Privilege } from './auth';
import type { Logger } from './shared';

export interface KnexApiKeyStoreOptions {
  /** A knex instance (PostgreSQL, MySQL/MariaDB, SQLite); never destroyed by the store. Defaults to an SQLite file. */
  knex?: import('knex').Knex;
  /** The SQLite file used when no `knex` is given. Defaults to `"package-deployments.sqlite"`. */
  filename?: string;
  /** Run the key store's migrations on first use. Defaults to `true`. */
  migrate?: boolean;
  /** What callers without credentials may do, as in {@link ApiKeyAuthOptions}. Defaults to `false` (nothing). */
  anonymous?: boolean | AnonymousGrant;
  /** Where knex's own warnings and errors go for the SQLite knex the store creates (not a `knex` you pass). Defaults to `console`. */
  logger?: Logger;
}

/** What {@link KnexApiKeyStore.createApiKey} is given. */
export interface NewApiKey {
  /** Unique, forever (revoked keys keep their names); recorded as `UserName` when a record names none. Required. */
  name: string;
  /** Feeds the key may touch (case-insensitive). Defaults to every feed. */
  feeds?: readonly string[];
  /** Defaults to `['Feeds_DownloadPackage', 'Feeds_ViewPackage']`. */
  privileges?: readonly Privilege[];
}

/** A stored key as listed: never the secret, which is not kept. */
export interface ApiKeyInfo {
  name: string;
  /** `undefined` = every feed. */
  feeds?: string[];
  privileges: Privilege[];
  createdAt: Date;
  /** Set once the key is revoked. */
  revokedAt?: Date;
}

/** A key just created: the only time its secret is available. */
export interface CreatedApiKey extends ApiKeyInfo {
  /** The secret. Shown once; only its SHA-256 hash is stored. */
  key: string;
}

/** API keys in a database: an {@link AuthAdapter} plus functions to manage the keys. */
export interface KnexApiKeyStore extends AuthAdapter {
  readonly knex: import('knex').Knex;
  init(): Promise<void>;
  close(): Promise<void>;
  /** Creates a key and returns its secret, once. Throws when the name is taken. */
  createApiKey(key: NewApiKey): Promise<CreatedApiKey>;
  /** Revokes the key of this name; it stops working on the next request. False when there was no active key of that name. */
  revokeApiKey(name: string): Promise<boolean>;
  /** Every key, revoked ones included, oldest first; never a secret. */
  listApiKeys(): Promise<ApiKeyInfo[]>;
}
