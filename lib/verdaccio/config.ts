/**
 * The plug-in's section of Verdaccio's `config.yaml` (`middlewares: package-deployments: ...`), read once
 * into a resolved configuration. Unknown keys of the section are refused with a hint.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { checkOptionKeys } from '../options';
import type { ApiKeyConfig, Privilege } from '../types';

/** What Verdaccio's logged-in users, or anonymous callers, may do with deployment records. */
export type VerdaccioGrant = 'record' | 'view' | 'none';

/** One API key of the section: the secret inline (`key`) or, better, from an environment variable (`keyEnv`). */
export interface VerdaccioApiKeyConfig {
  name: string;
  /** The secret, inline. Prefer `keyEnv`. */
  key?: string;
  /** The environment variable holding the secret. */
  keyEnv?: string;
  /** Feeds the key may touch. Defaults to every feed. */
  feeds?: string[];
  /** Defaults to `['Feeds_DownloadPackage', 'Feeds_ViewPackage']`. */
  privileges?: Privilege[];
}

/** The plug-in's `config.yaml` section. Every key is optional. */
export interface VerdaccioPluginConfig {
  /** The feed name records get. Defaults to `"npm"`. */
  feed?: string;
  /**
   * Where the record endpoint (`{path}/api/package-deployment/`), the read API and the History pages
   * (`{path}/history/{feed}/{package}`) are served. Must start with `/-/`, where no package name can be.
   * Defaults to `"/-/deployments"`.
   */
  path?: string;
  /** The SQLite file, relative to config.yaml. Defaults to `package-deployments.sqlite` next to config.yaml. */
  sqlite?: string;
  /** A knex configuration for PostgreSQL or MariaDB/MySQL (`{ client: 'pg', connection: '...' }`) instead of SQLite. */
  database?: { client: string; connection: unknown; [more: string]: unknown };
  /** API keys for tools (X-ApiKey, ?key=, Basic api:<key>). Defaults to none. */
  apiKeys?: VerdaccioApiKeyConfig[];
  /** Also accept the API keys kept in the database (`package-deployments keys create`). Defaults to `true`. */
  databaseKeys?: boolean;
  /** What Verdaccio's logged-in users (session token, `npm login`) may do. Defaults to `"record"` (record and read). */
  users?: VerdaccioGrant;
  /** What callers with no login and no key may do. Defaults to `"none"`. */
  anonymous?: VerdaccioGrant;
  /** Write queued records on SIGTERM, SIGINT and before exit. Defaults to `true`. */
  flushOnExit?: boolean;
}

export const VERDACCIO_CONFIG_KEYS = ['feed', 'path', 'sqlite', 'database', 'apiKeys', 'databaseKeys', 'users', 'anonymous', 'flushOnExit', 'enabled'] as const;

/** The section, resolved. */
export interface ResolvedVerdaccioConfig {
  feed: string;
  path: string;
  sqliteFile?: string;
  database?: { client: string; connection: unknown; [more: string]: unknown };
  apiKeys: ApiKeyConfig[];
  databaseKeys: boolean;
  users: readonly Privilege[];
  anonymous: readonly Privilege[];
  flushOnExit: boolean;
}

const GRANTS: Record<VerdaccioGrant, readonly Privilege[]> = {
  record: ['Feeds_DownloadPackage', 'Feeds_ViewPackage'],
  view: ['Feeds_ViewPackage'],
  none: [],
};

function grant(name: string, value: unknown, fallback: VerdaccioGrant): readonly Privilege[] {
  if (value === undefined) return GRANTS[fallback];
  if (typeof value !== 'string' || !(value in GRANTS)) {
    throw new TypeError(`package-deployments (Verdaccio): ${name} must be "record", "view" or "none"; got ${JSON.stringify(value)}.`);
  }
  return GRANTS[value as VerdaccioGrant];
}

/**
 * Reads the section. `section` is the plug-in's own part of config.yaml (checked for unknown keys);
 * `configPath` is config.yaml's path (relative files are read from its folder).
 */
export function resolveVerdaccioConfig(section: Record<string, unknown>, configPath: string | undefined, env: NodeJS.ProcessEnv = process.env): ResolvedVerdaccioConfig {
  checkOptionKeys('package-deployments (Verdaccio config.yaml)', section, VERDACCIO_CONFIG_KEYS);
  const base = configPath ? dirname(configPath) : process.cwd();
  const fail = (message: string): never => { throw new TypeError(`package-deployments (Verdaccio): ${message}`); };

  const feed = section.feed ?? 'npm';
  if (typeof feed !== 'string' || feed.trim() === '') fail('feed must be a feed name, such as "npm".');
  const path = String(section.path ?? '/-/deployments').replace(/\/+$/, '');
  if (!/^\/-\/[\w./-]+$/.test(path)) fail(`path must start with "/-/" (no npm package name can), such as "/-/deployments"; got ${JSON.stringify(section.path)}.`);

  if (section.sqlite !== undefined && section.database !== undefined) fail('give either sqlite (a file) or database (a knex configuration), not both.');
  let sqliteFile: string | undefined;
  let database: ResolvedVerdaccioConfig['database'];
  if (section.database !== undefined) {
    const db = section.database as { client?: unknown };
    if (!db || typeof db !== 'object' || typeof db.client !== 'string') fail('database must be a knex configuration such as { client: pg, connection: postgres://... }.');
    database = section.database as ResolvedVerdaccioConfig['database'];
  } else {
    const file = section.sqlite ?? 'package-deployments.sqlite';
    if (typeof file !== 'string' || file === '') fail('sqlite must be a file name, such as package-deployments.sqlite.');
    sqliteFile = file === ':memory:' || isAbsolute(file as string) ? (file as string) : resolve(base, file as string);
  }

  const apiKeys: ApiKeyConfig[] = [];
  const keys = section.apiKeys ?? [];
  if (!Array.isArray(keys)) fail('apiKeys must be a list of { name, keyEnv } (or { name, key }).');
  (keys as unknown[]).forEach((raw, i) => {
    const k = raw as VerdaccioApiKeyConfig;
    if (!k || typeof k !== 'object' || typeof k.name !== 'string' || k.name === '') fail(`apiKeys[${i}] needs a name.`);
    let secret = k.key;
    if (k.keyEnv !== undefined) {
      if (k.key !== undefined) fail(`apiKeys[${i}] (${k.name}): give key or keyEnv, not both.`);
      secret = env[k.keyEnv];
      if (secret === undefined || secret === '') fail(`apiKeys[${i}] (${k.name}): the environment variable ${k.keyEnv} is not set.`);
    }
    if (typeof secret !== 'string' || secret.length < 8) fail(`apiKeys[${i}] (${k.name}): the key must be at least 8 characters (keyEnv: NAME_OF_VARIABLE).`);
    apiKeys.push({ name: k.name, key: secret!, ...(k.feeds ? { feeds: k.feeds } : {}), ...(k.privileges ? { privileges: k.privileges } : {}) });
  });

  for (const flag of ['databaseKeys', 'flushOnExit'] as const) {
    if (section[flag] !== undefined && typeof section[flag] !== 'boolean') fail(`${flag} must be true or false.`);
  }
  return {
    feed: (feed as string).trim(),
    path,
    sqliteFile,
    database,
    apiKeys,
    databaseKeys: section.databaseKeys !== false,
    users: grant('users', section.users, 'record'),
    anonymous: grant('anonymous', section.anonymous, 'none'),
    flushOnExit: section.flushOnExit !== false,
  };
}
