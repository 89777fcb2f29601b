/**
 * Auth: principals, credentials, the AuthAdapter plug-in interface and the options of apiKeyAuth().
 */
import type { Request } from 'express';

/** The privilege needed to record a deployment on a feed (ProGet's name). */
export type RecordPrivilege = 'Feeds_DownloadPackage';
/** The privilege needed to read deployment records of a feed. */
export type ViewPrivilege = 'Feeds_ViewPackage';
/** The privilege needed to purge a feed's records or delete one (ProGet's name). */
export type DeletePrivilege = 'Feeds_DeletePackage';
export type Privilege = RecordPrivilege | ViewPrivilege | DeletePrivilege | (string & {});

/** Who is calling, as an auth adapter established it. */
export interface Principal {
  /** Recorded as `UserName` when the input names none. */
  name: string;
  /** What kind of principal this is, for adapters' own use ("apiKey", "user"...). */
  kind?: string;
  /** Anything else the adapter wants to carry from `authenticate` to `authorize`. */
  [extra: string]: unknown;
}

/** Where a credential came from (wire contract, section 2, in the order they are checked). */
export type CredentialSource = 'header' | 'query' | 'form' | 'json' | 'basic';

/** The credentials a request presents, as the library extracted them. */
export type Credentials =
  | { type: 'apiKey'; key: string; source: CredentialSource }
  | { type: 'basic'; user: string; password: string; source: 'basic' };

/**
 * What an adapter's `authenticate` returns:
 * - a {@link Principal}: the credentials are good;
 * - `null`: no credentials were presented (the caller is anonymous);
 * - `false`: credentials were presented and are not accepted (answered 403, nothing is recorded).
 */
export type AuthenticateResult = Principal | null | false;

/**
 * Decides who a request is and what it may do. Adapters decide; the library answers: an adapter never
 * writes to the response. Any method may return a promise.
 */
export interface AuthAdapter {
  authenticate(credentials: Credentials | null, req: Request): AuthenticateResult | Promise<AuthenticateResult>;
  /** May `principal` (`null` = anonymous) do `privilege` on `feed`? */
  authorize(principal: Principal | null, privilege: Privilege, feed: string): boolean | Promise<boolean>;
  init?(): void | Promise<void>;
  close?(): void | Promise<void>;
}

/** One API key of {@link ApiKeyAuthOptions}. */
export interface ApiKeyConfig {
  /** A name for the key; recorded as `UserName` when a record names no user. */
  name: string;
  /** The secret. Compared in constant time. */
  key: string;
  /** Feeds the key may touch (case-insensitive). Defaults to every feed. */
  feeds?: readonly string[];
  /** What the key may do. Defaults to `['Feeds_DownloadPackage', 'Feeds_ViewPackage']`. */
  privileges?: readonly Privilege[];
}

/** What anonymous callers may do. */
export interface AnonymousGrant {
  /** Defaults to `['Feeds_ViewPackage']`. */
  privileges?: readonly Privilege[];
  /** Defaults to every feed. */
  feeds?: readonly string[];
}

export interface ApiKeyAuthOptions {
  /** The keys. Required (may be empty when only `users` or `anonymous` are used). */
  keys: readonly ApiKeyConfig[];
  /**
   * What callers without credentials may do. `false` (the default) grants nothing: they get 403.
   * `true` grants the default {@link AnonymousGrant}. Defaults to `false`.
   */
  anonymous?: boolean | AnonymousGrant;
  /**
   * Checks HTTP Basic credentials whose user name is not `api` (ProGet's "pseudo-keys"); return the
   * principal, or `null`/`false` to refuse. The principal is then authorized through
   * `authorizeUser`. Defaults to refusing every such credential.
   */
  users?: (user: string, password: string, req: Request) => Principal | null | false | Promise<Principal | null | false>;
  /**
   * Authorizes principals returned by `users`, and the host's own users (principals of kind `"host"`,
   * which the router's and the feed middleware's default `principal` option gives `req.user`). Defaults
   * to allowing them every privilege on every feed.
   */
  authorizeUser?: (principal: Principal, privilege: Privilege, feed: string) => boolean | Promise<boolean>;
}
