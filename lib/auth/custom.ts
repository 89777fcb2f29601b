import type { Request } from 'express';
import { invalidOption, optionNames, readOptions } from '../options';
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
const KNOWN_OPTIONS = optionNames<CustomAuthOptions>()('authenticate', 'authorize');

export function customAuth(given: CustomAuthOptions): AuthAdapter {
  const options = readOptions('customAuth', given, KNOWN_OPTIONS, '{ authenticate: (credentials, req) => principal | null | false, authorize? }', { required: true });
  if (typeof options.authenticate !== 'function') {
    invalidOption('customAuth', 'authenticate', 'must be a function (credentials, req) => principal | null | false.');
  }
  if (options.authorize !== undefined && typeof options.authorize !== 'function') {
    invalidOption('customAuth', 'authorize', 'must be a function (principal, privilege, feed) => boolean, or left out.');
  }
  const authorize = options.authorize ?? ((principal: Principal | null) => principal !== null);
  return { authenticate: options.authenticate, authorize };
}
