import type { AuthAdapter, Privilege } from '../types';
import { ALL_PRIVILEGES } from './privileges';

/**
 * Lets everyone in without credentials, with `privileges` on every feed (defaults to recording and
 * reading). For trusted networks and demos; presented credentials are ignored.
 */
export function anonymousAuth(privileges: readonly Privilege[] = ALL_PRIVILEGES): AuthAdapter {
  const granted = [...privileges];
  return {
    authenticate: () => null,
    authorize: (_principal, privilege) => granted.includes(privilege),
  };
}
