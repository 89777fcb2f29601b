/**
 * The default adapter: API keys the ProGet way, each scoped to feeds and privileges, compared in
 * constant time; anonymous access only where granted; Basic "pseudo-keys" through a user callback.
 */
import { HOST_PRINCIPAL_KIND } from './host-principal';
import { createHash, timingSafeEqual } from 'node:crypto';
import { checkOptionKeys, invalidOption, optionNames, readOptions } from '../options';
import type { ApiKeyAuthOptions, ApiKeyConfig, AuthAdapter, Principal, Privilege } from '../types';
import { readAnonymous, readNames } from './grant';
import { ALL_PRIVILEGES, feedAllowed } from './privileges';

const KNOWN_OPTIONS = optionNames<ApiKeyAuthOptions>()('keys', 'anonymous', 'users', 'authorizeUser');
const KEY_OPTIONS = optionNames<ApiKeyConfig>()('name', 'key', 'feeds', 'privileges');

interface KeyEntry {
  digest: Buffer;
  principal: Principal;
  feeds?: readonly string[];
  privileges: readonly Privilege[];
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/** Finds the entry whose key equals `key`, looking at every entry so the time taken does not tell which. */
function findKey(entries: readonly KeyEntry[], key: string): KeyEntry | undefined {
  const presented = digest(key);
  let found: KeyEntry | undefined;
  for (const entry of entries) {
    if (timingSafeEqual(entry.digest, presented) && !found) found = entry;
  }
  return found;
}

/** Reads the keys once: each a known shape, names unique; the secrets are kept only as digests. */
function readKeys(keys: readonly ApiKeyConfig[] | undefined): KeyEntry[] {
  if (!Array.isArray(keys)) {
    invalidOption('apiKeyAuth', 'keys', 'must be an array of { name, key, feeds?, privileges? } (it may be empty).');
  }
  const names = new Set<string>();
  return keys.map((k, i) => {
    if (!k || typeof k !== 'object') invalidOption('apiKeyAuth', `keys[${i}]`, 'must be an object { name, key, feeds?, privileges? }.');
    checkOptionKeys(`apiKeyAuth: keys[${i}]`, k, KEY_OPTIONS);
    if (typeof k.name !== 'string' || k.name.trim() === '') {
      invalidOption('apiKeyAuth', `keys[${i}].name`, 'must be a non-empty string (it is recorded as the user).');
    }
    if (typeof k.key !== 'string' || k.key.length < 8) {
      invalidOption('apiKeyAuth', `keys[${i}].key`, `("${k.name}") must be at least 8 characters; generate one with \`node -e "console.log(require('crypto').randomBytes(24).toString('base64url'))"\`.`);
    }
    const feeds = readNames('apiKeyAuth', `keys[${i}].feeds`, k.feeds, "['DefaultNuGet']");
    const privileges = readNames('apiKeyAuth', `keys[${i}].privileges`, k.privileges, "['Feeds_DownloadPackage']");
    if (names.has(k.name)) invalidOption('apiKeyAuth', `keys[${i}].name`, `"${k.name}" is used by two keys; names must be unique.`);
    names.add(k.name);
    return { digest: digest(k.key), principal: { name: k.name, kind: 'apiKey' }, feeds, privileges: privileges ?? ALL_PRIVILEGES };
  });
}

/**
 * API keys, as ProGet uses them.
 *
 * @example
 * apiKeyAuth({ keys: [{ name: 'buildmaster', key: process.env.BUILDMASTER_KEY!, feeds: ['DefaultNuGet'] }] })
 */
export function apiKeyAuth(given: ApiKeyAuthOptions): AuthAdapter {
  const options = readOptions('apiKeyAuth', given, KNOWN_OPTIONS, '{ keys: [{ name: "ci", key: "..." }] }', { required: true });
  const entries = readKeys(options.keys);
  for (const fn of ['users', 'authorizeUser'] as const) {
    if (options[fn] !== undefined && typeof options[fn] !== 'function') invalidOption('apiKeyAuth', fn, 'must be a function, or left out.');
  }
  const byPrincipal = new WeakMap<Principal, KeyEntry>(entries.map((e) => [e.principal, e]));
  const anonymous = readAnonymous('apiKeyAuth', options.anonymous);
  const userPrincipals = new WeakSet<Principal>();

  return {
    async authenticate(credentials, req) {
      if (credentials === null) return null;
      if (credentials.type === 'apiKey') {
        const entry = findKey(entries, credentials.key);
        return entry ? entry.principal : false;
      }
      if (!options.users) return false;
      const principal = await options.users(credentials.user, credentials.password, req);
      if (!principal) return false;
      userPrincipals.add(principal);
      return principal;
    },
    async authorize(principal, privilege, feed) {
      if (principal === null) {
        return !!anonymous && anonymous.privileges.includes(privilege) && feedAllowed(anonymous.feeds, feed);
      }
      const entry = byPrincipal.get(principal);
      if (entry) return entry.privileges.includes(privilege) && feedAllowed(entry.feeds, feed);
      // Users of the `users` callback, and the host's own users (the router's `principal` option).
      if (userPrincipals.has(principal) || principal.kind === HOST_PRINCIPAL_KIND) {
        return options.authorizeUser ? !!(await options.authorizeUser(principal, privilege, feed)) : true;
      }
      return false;
    },
  };
}
