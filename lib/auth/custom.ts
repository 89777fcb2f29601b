import type { Request } from 'express';
import type { AuthAdapter, AuthenticateResult, Credentials, Principal, Privilege } from '../types';

export interface CustomAuthOptions {
  /** Turns credentials into a principal (`null` = anonymous, `false` = refused). Required. */
  authenticate: (credentials: Credentials | null, req: Request) => AuthenticateResult | Promise<AuthenticateResult>;
  /** Defaults to: any authenticated principal may do anything; anonymous callers nothing. */
  authorize?: (principal: Principal | null, privilege: Privilege, feed: string) => boolean | Promise<boolean>;
}

/**
 * Wraps your own functions as an adapter, for example to check keys or users the host server already
 * has. The functions decide; the library answers.
 */
export function customAuth(options: CustomAuthOptions): AuthAdapter {
  if (!options || typeof options.authenticate !== 'function') {
    throw new TypeError('customAuth({ authenticate, authorize? }): authenticate must be a function (credentials, req) => principal | null | false.');
  }
  if (options.authorize !== undefined && typeof options.authorize !== 'function') {
    throw new TypeError('customAuth: authorize must be a function (principal, privilege, feed) => boolean, or left out.');
  }
  const authorize = options.authorize ?? ((principal: Principal | null) => principal !== null);
  return { authenticate: options.authenticate, authorize };
}
