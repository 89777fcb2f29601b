/**
 * The default adapter: API keys the ProGet way, each scoped to feeds and privileges, compared in
 * constant time; anonymous access only where granted; Basic "pseudo-keys" through a user callback.
 */
import { HOST_PRINCIPAL_KIND } from './host-principal';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AnonymousGrant, ApiKeyAuthOptions, ApiKeyConfig, AuthAdapter, Principal, Privilege } from '../types';
import { ALL_PRIVILEGES, Privileges, feedAllowed } from './privileges';

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

function checkKeys(keys: readonly ApiKeyConfig[]): void {
  if (!Array.isArray(keys)) {
    throw new TypeError('apiKeyAuth: options.keys must be an array of { name, key, feeds?, privileges? } (it may be empty).');
  }
  const names = new Set<string>();
  keys.forEach((k, i) => {
    if (!k || typeof k.name !== 'string' || k.name.trim() === '') {
      throw new TypeError(`apiKeyAuth: keys[${i}].name must be a non-empty string (it is recorded as the user).`);
    }
    if (typeof k.key !== 'string' || k.key.length < 8) {
      throw new TypeError(`apiKeyAuth: keys[${i}] ("${k.name}") needs a key of at least 8 characters; generate one with \`node -e "console.log(require('crypto').randomBytes(24).toString('base64url'))"\`.`);
    }
    if (k.feeds !== undefined && !Array.isArray(k.feeds)) {
      throw new TypeError(`apiKeyAuth: keys[${i}].feeds must be an array of feed names, or left out for every feed.`);
    }
    if (k.privileges !== undefined && !Array.isArray(k.privileges)) {
      throw new TypeError(`apiKeyAuth: keys[${i}].privileges must be an array such as ['Feeds_DownloadPackage'].`);
    }
    if (names.has(k.name)) throw new TypeError(`apiKeyAuth: two keys are named "${k.name}"; names must be unique.`);
    names.add(k.name);
  });
}

function anonymousGrant(anonymous: ApiKeyAuthOptions['anonymous']): Required<Pick<AnonymousGrant, 'privileges'>> & AnonymousGrant | undefined {
  if (!anonymous) return undefined;
  if (anonymous === true) return { privileges: [Privileges.View] };
  return { privileges: anonymous.privileges ?? [Privileges.View], feeds: anonymous.feeds };
}

/**
 * API keys, as ProGet uses them.
 *
 * @example
 * apiKeyAuth({ keys: [{ name: 'buildmaster', key: process.env.BUILDMASTER_KEY!, feeds: ['DefaultNuGet'] }] })
 */
export function apiKeyAuth(options: ApiKeyAuthOptions): AuthAdapter {
  if (!options || typeof options !== 'object') {
    throw new TypeError('apiKeyAuth(options) needs an options object: apiKeyAuth({ keys: [{ name, key }] }).');
  }
  checkKeys(options.keys);
  const entries: KeyEntry[] = options.keys.map((k) => ({
    digest: digest(k.key),
    principal: { name: k.name, kind: 'apiKey' },
    feeds: k.feeds ? [...k.feeds] : undefined,
    privileges: k.privileges ? [...k.privileges] : ALL_PRIVILEGES,
  }));
  const byPrincipal = new WeakMap<Principal, KeyEntry>(entries.map((e) => [e.principal, e]));
  const anonymous = anonymousGrant(options.anonymous);
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
