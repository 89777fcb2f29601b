/**
 * Who may record and read in the Verdaccio plug-in: Verdaccio's logged-in users (its principal, by the
 * `users` grant), API keys from config.yaml, API keys kept in the database, and anonymous callers (by the
 * `anonymous` grant). Adapters decide; this one only composes the library's own.
 */
import { apiKeyAuth } from '../auth/api-keys';
import { HOST_PRINCIPAL_KIND } from '../auth/host-principal';
import type { AuthAdapter, ApiKeyConfig, KnexApiKeyStore, Principal, Privilege } from '../types';

export interface VerdaccioAuthOptions {
  apiKeys: readonly ApiKeyConfig[];
  /** The database keys, when they are on. */
  keyStore?: KnexApiKeyStore;
  users: readonly Privilege[];
  anonymous: readonly Privilege[];
}

export function verdaccioAuth(options: VerdaccioAuthOptions): AuthAdapter {
  const configKeys = apiKeyAuth({
    keys: options.apiKeys,
    anonymous: options.anonymous.length > 0 ? { privileges: options.anonymous } : false,
    authorizeUser: (_principal, privilege) => options.users.includes(privilege),
  });
  const fromStore = new WeakSet<Principal>();
  return {
    async init() {
      await options.keyStore?.init();
    },
    async authenticate(credentials, req) {
      const principal = await configKeys.authenticate(credentials, req);
      if (principal !== false || !options.keyStore || credentials?.type !== 'apiKey') return principal;
      const stored = await options.keyStore.authenticate(credentials, req);
      if (stored) fromStore.add(stored);
      return stored;
    },
    async authorize(principal, privilege, feed) {
      if (principal !== null && fromStore.has(principal)) return options.keyStore!.authorize(principal, privilege, feed);
      if (principal !== null && principal.kind === HOST_PRINCIPAL_KIND) return options.users.includes(privilege);
      return configKeys.authorize(principal, privilege, feed);
    },
    async close() {
      await options.keyStore?.close();
    },
  };
}
