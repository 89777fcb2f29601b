import type { AnonymousGrant, AuthAdapter, Privilege } from '../types';
import { readGrant } from './grant';
import { ALL_PRIVILEGES, feedAllowed } from './privileges';

/**
 * Lets everyone in without credentials, with `privileges` (defaults to recording and reading) on
 * `feeds` (defaults to every feed). For trusted networks and demos; presented credentials are ignored.
 * A list of privileges, `anonymousAuth(['Feeds_ViewPackage'])`, is read as `{ privileges }`.
 */
export function anonymousAuth(grant?: AnonymousGrant | readonly Privilege[]): AuthAdapter {
  const { privileges, feeds } = readGrant('anonymousAuth', undefined, Array.isArray(grant) ? { privileges: grant } : (grant as AnonymousGrant | undefined), ALL_PRIVILEGES);
  return {
    authenticate: () => null,
    authorize: (_principal, privilege, feed) => privileges.includes(privilege) && feedAllowed(feeds, feed),
  };
}
