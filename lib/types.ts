/**
 * Every public type of package-deployments. Each option says what it defaults to.
 */
import type { EventEmitter } from 'node:events';
import type { Request } from 'express';

// ---------------------------------------------------------------------------------------------------
// The record
// ---------------------------------------------------------------------------------------------------

/** The wire field names, in ProGet's PascalCase (matched case-insensitively on input). */
export type DeploymentField =
  | 'Application'
  | 'Description'
  | 'Target'
  | 'FeedName'
  | 'GroupName'
  | 'PackageName'
  | 'Version'
  | 'UserName'
  | 'Url'
  | 'Date';

/** A validated, normalised deployment that has not been stored yet. */
export interface NewDeployment {
  /** The application or tool doing the deployment (BuildMaster, Octopus Deploy, a script...). */
  application: string;
  /** A brief summary of the deployment. May be the empty string. */
  description: string;
  /** Where the package was installed, typically a server name. */
  target: string;
  feedName: string;
  /** Group, scope or namespace (npm scope, Maven groupId, UPack group). `undefined` when there is none. */
  groupName?: string;
  packageName: string;
  version: string;
  /** The user who deployed: the `UserName` field, else the authenticated principal, else `Anonymous`. */
  userName: string;
  /** An absolute http(s) URL with more information, or `undefined`. */
  url?: string;
  /** When the package was deployed (UTC). Defaults to `receivedAt`. */
  date: Date;
  /** When this library received the record (UTC). */
  receivedAt: Date;
}

/** A stored deployment. */
export interface DeploymentRecord extends NewDeployment {
  /** The store's id for the record, as a string (databases differ in integer widths). */
  id: string;
}

/** One problem with an input, naming the field it is about (`undefined` for the body as a whole). */
export interface Problem {
  field?: DeploymentField | string;
  message: string;
}

/** The maximum length, in characters, of each field. */
export interface FieldLimits {
  /** Defaults to 200. */ Application: number;
  /** Defaults to 4000. */ Description: number;
  /** Defaults to 200. */ Target: number;
  /** Defaults to 100. */ FeedName: number;
  /** Defaults to 200. */ GroupName: number;
  /** Defaults to 200. */ PackageName: number;
  /** Defaults to 100. */ Version: number;
  /** Defaults to 200. */ UserName: number;
  /** Defaults to 2000. */ Url: number;
}

export interface ValidateOptions {
  /** The time the record was received; the default `Date`. Defaults to `new Date()`. */
  receivedAt?: Date;
  /** `UserName` when the input has none. Defaults to `"Anonymous"`. */
  defaultUserName?: string;
  /**
   * Per-field length limits. Values here override the defaults; they may not exceed the defaults,
   * which are also the column widths of the knex store. Defaults to {@link FieldLimits}' defaults.
   */
  limits?: Partial<FieldLimits>;
}

export type ValidationResult =
  | { ok: true; deployment: NewDeployment; problems?: undefined }
  | { ok: false; deployment?: undefined; problems: Problem[] };

// ---------------------------------------------------------------------------------------------------
// Auth
// ---------------------------------------------------------------------------------------------------

/** The privilege needed to record a deployment on a feed (ProGet's name). */
export type RecordPrivilege = 'Feeds_DownloadPackage';
/** The privilege needed to read deployment records of a feed. */
export type ViewPrivilege = 'Feeds_ViewPackage';
export type Privilege = RecordPrivilege | ViewPrivilege | (string & {});

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
  /** Authorizes principals returned by `users`. Defaults to allowing them every privilege on every feed. */
  authorizeUser?: (principal: Principal, privilege: Privilege, feed: string) => boolean | Promise<boolean>;
}

// ---------------------------------------------------------------------------------------------------
// Storage
// ---------------------------------------------------------------------------------------------------

/** Which package a query is about. `groupName` `undefined` or `""` means "no group". */
export interface PackageRef {
  feedName: string;
  groupName?: string;
  packageName: string;
}

/** Filters for {@link DeploymentStore.list}. Every field is optional; all given ones must match. */
export interface DeploymentQuery {
  feedName?: string;
  /** `""` matches records without a group. */
  groupName?: string;
  packageName?: string;
  /** Exact version. */
  version?: string;
  /** Exact target. */
  target?: string;
  /** Targets starting with this text. */
  targetPrefix?: string;
  application?: string;
  userName?: string;
  /** Deployed at or after. */
  since?: Date;
  /** Deployed before. */
  until?: Date;
  /** Page size. Defaults to 100; at most 1000. */
  limit?: number;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
}

export interface DeploymentPage {
  records: DeploymentRecord[];
  /** Pass as `cursor` for the next page; `undefined` on the last page. */
  nextCursor?: string;
}

/**
 * Where deployments are kept. The library calls `init()` (when present) before first use and `close()`
 * on shutdown. Any method may return a promise.
 */
export interface DeploymentStore {
  init?(): void | Promise<void>;
  /**
   * Stores every deployment in one transaction and resolves only once they are committed; rejects
   * (storing none of them) on failure. Returns the stored records, in order.
   */
  record(deployments: readonly NewDeployment[]): Promise<DeploymentRecord[]>;
  /** Records matching `query`, newest first (deployment date, then id). */
  list(query: DeploymentQuery): Promise<DeploymentPage>;
  close?(): void | Promise<void>;
}

// ---------------------------------------------------------------------------------------------------
// Router
// ---------------------------------------------------------------------------------------------------

/** Where warnings and errors the library cannot answer with go. */
export interface Logger {
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

/**
 * The feeds the server has. A list of names (matched case-insensitively; the record keeps the list's
 * spelling), or a function answering the canonical name, `true`, or `false`/`undefined` for "no such feed".
 */
export type FeedCatalogue =
  | readonly string[]
  | ((name: string) => string | boolean | undefined | null | Promise<string | boolean | undefined | null>);

/** Where a record came from. */
export type DeploymentSource = 'api' | 'feed';

/** What the `deployed` event carries besides the record. */
export interface DeployedContext {
  source: DeploymentSource;
  /** The feed type of the download URL layout, for records made by the feed middleware. */
  feedType?: string;
  principal: Principal | null;
}

/** Events: `deployed` (record, context) after each committed record. */
export type DeploymentEvents = EventEmitter;

export interface DeploymentRouterOptions {
  /** Where records are kept. Defaults to `createKnexStore()`: an SQLite file `package-deployments.sqlite`. */
  store?: DeploymentStore;
  /**
   * Who may record and read. Required unless `apiKeys` is given: for example
   * `apiKeyAuth({ keys: [{ name: 'ci', key: process.env.KEY }] })` or `anonymousAuth()`.
   */
  auth?: AuthAdapter;
  /** Shorthand for `auth: apiKeyAuth({ keys: apiKeys })`. */
  apiKeys?: readonly ApiKeyConfig[];
  /** The feeds the server has; records for other feeds get 404. Defaults to accepting any feed name. */
  feeds?: FeedCatalogue;
  /** Largest accepted request body, in bytes or as "64kb". Defaults to `"64kb"`. */
  bodyLimit?: number | string;
  /** Field length limits. Defaults to {@link FieldLimits}' defaults. */
  limits?: Partial<FieldLimits>;
  /** Called after each committed record; errors it throws are logged, never answered. Defaults to none. */
  onRecorded?: (record: DeploymentRecord, context: DeployedContext) => void | Promise<void>;
  /** An emitter to share with the feed middleware; `deployed` is emitted on it. Defaults to a new one. */
  events?: DeploymentEvents;
  /** Defaults to `console`. */
  logger?: Logger;
  /** Seconds sent in `Retry-After` when the store is unreachable (503). Defaults to 5. */
  retryAfterSeconds?: number;
  /**
   * Group commit: records that arrive while a write is in flight are written together, in one
   * `store.record(batch)` call (one multi-row INSERT in one transaction), each answered 200 only after that
   * commit. `false` writes each record in its own call. Defaults to `{ maxBatch: 100 }`.
   */
  groupCommit?: GroupCommitOptions | false;
}

/** Options of group commit (`createDeploymentRouter({ groupCommit })`, `createGroupCommit()`). */
export interface GroupCommitOptions {
  /**
   * The most records written in one transaction; more waiting records go in the next one. From 1 to 1000.
   * Defaults to 100.
   */
  maxBatch?: number;
}
