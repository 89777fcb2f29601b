/**
 * Every public type of package-deployments. Each option says what it defaults to.
 */
import type { EventEmitter } from 'node:events';
import type { Request, Response } from 'express';

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
  /**
   * The record's identity, at most 64 characters. A store keeps at most one record per `uid`: writing a
   * record whose `uid` is already stored (a retried batch, a retried request) stores nothing new and
   * answers the stored record. The router and the feed middleware set it when a record comes in (a
   * random UUID, or one derived from an `Idempotency-Key` or the duplicate rule); the knex store gives a
   * random one to a record without. Defaults to a random UUID.
   */
  uid?: string;
  /**
   * `true` for a removal record (this library's extension, not ProGet's): the package was removed from
   * the target. It stays in the history; "running now" no longer lists the package on that target.
   * Defaults to `false` (a deployment).
   */
  removed?: boolean;
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
  /** Any of these feeds (exact names); the router uses it for reads that name no feed. */
  feedNames?: readonly string[];
  /**
   * Only records whose version falls in this range, read by {@link parseVersionRange} with the feed's
   * scheme. Needs `feedName` and `packageName`. With `current`, it applies to each target's current
   * version. Defaults to no range.
   */
  versionRange?: VersionRange;
  /**
   * Only each target's current record: the latest deployment of the package on that target, by
   * deployment date (then id), never the highest version. The other filters (and `versionRange`) then
   * apply to that current record, so an older record on a target never makes the target match. A target
   * whose latest record is a removal is left out: the package no longer runs there. Needs
   * `feedName` and `packageName`. Defaults to `false` (the whole history).
   */
  current?: boolean;
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
  /**
   * Where a package is running now: `list({ ...query, current: true })`, the latest record per target.
   * Optional; the read API uses `list` when it is missing.
   */
  current?(query: DeploymentQuery & PackageRef): Promise<DeploymentPage>;
  /**
   * Every record matching `query` (from `query.cursor` on; `limit` ignored), newest first, fetched a
   * batch at a time so that memory stays flat however many there are. Optional; the read API pages
   * through `list` when it is missing.
   */
  stream?(query: DeploymentQuery): AsyncIterable<DeploymentRecord>;
  /** How many records match `query` (`limit` and `cursor` ignored). Optional; see `stream`. */
  count?(query: DeploymentQuery): Promise<number>;
  /**
   * Claims an `Idempotency-Key` for the first request that uses it, or says how it was used before.
   * Optional: without it (and `settleIdempotencyKey`), a key still makes a retried record be stored once
   * (its `uid` derives from the key), but a different payload under the same key is not detected.
   */
  claimIdempotencyKey?(claim: IdempotencyClaim): Promise<IdempotencyState>;
  /** Saves the answer of a claimed key (to replay it), or releases the key (`null`) after a failure. */
  settleIdempotencyKey?(id: string, outcome: IdempotencyOutcome | null): Promise<void>;
  /**
   * Applies a retention policy: a dry run (counts and a sample, nothing deleted) unless
   * `policy.dryRun === false`. Optional; the purge API and `retention` need it.
   */
  purge?(policy: PurgePolicy): Promise<PurgeResult>;
  /** The record with this id, or `undefined`. Optional; deleting by id needs it. */
  getRecord?(id: string): Promise<DeploymentRecord | undefined>;
  /** Deletes the record with this id; answers it, or `undefined` when there was none. Optional. */
  deleteRecord?(id: string): Promise<DeploymentRecord | undefined>;
  close?(): void | Promise<void>;
}

/**
 * A retention policy (plain data: it may cross a thread). Give `keepLatest` and/or `before`: a record is
 * dropped when it is not among the latest `keepLatest` of its package on its target AND (with `before`)
 * was deployed before `before`. A target's current record is never dropped.
 */
export interface PurgePolicy {
  /** Records kept per package and target, newest first (by deployment date, then id). At least 1. Defaults to keeping only what `before` spares. */
  keepLatest?: number;
  /** Drop records deployed before this date. Defaults to no date limit. */
  before?: Date;
  /** Keep the record before each target's current one too, so a rollback stays visible. Defaults to `false`. */
  keepPrevious?: boolean;
  /** Only this feed. Defaults to every feed. */
  feedName?: string;
  /** Only this group (`""`: packages without a group). Defaults to every group. */
  groupName?: string;
  /** Only this package. Defaults to every package. */
  packageName?: string;
  /** Only this target. Defaults to every target. */
  target?: string;
  /** `false` deletes; anything else only counts. Defaults to `true` (a dry run). */
  dryRun?: boolean;
  /** Records deleted per statement (bounded, so recording never waits long). From 1 to 5000. Defaults to 500. */
  batchSize?: number;
  /** Milliseconds to pause between two delete statements. Defaults to 0 (one turn of the event loop). */
  pauseMs?: number;
  /** Records shown in the answer's `sample`. From 0 to 1000. Defaults to 20. */
  sampleSize?: number;
}

/** How many records of one package a purge drops (or would drop). */
export interface PurgePackageCount {
  feedName: string;
  groupName?: string;
  packageName: string;
  count: number;
}

/** What a purge did, or (a dry run) would do. */
export interface PurgeResult {
  dryRun: boolean;
  /** Records the policy drops. */
  matched: number;
  /** Records deleted (0 in a dry run). */
  deleted: number;
  /** Records looked at. */
  scanned: number;
  byFeed: Array<{ feedName: string; count: number }>;
  /** Per package, most first. */
  byPackage: PurgePackageCount[];
  /** Some of the records dropped, read before they were deleted. */
  sample: DeploymentRecord[];
}

/** What the `purged` event carries (also after a scheduled purge). */
export interface PurgeEvent {
  /** Who asked: the principal's name, `"schedule"` or `"store API"`. */
  by: string;
  policy: PurgePolicy;
  result: Omit<PurgeResult, 'sample'>;
}

/** What the `deployment-deleted` event carries. */
export interface DeletedEvent {
  by: string;
  record: DeploymentRecord;
}

/** What {@link DeploymentStore.claimIdempotencyKey} is given (plain data: it may cross a thread). */
export interface IdempotencyClaim {
  /** SHA-256 (hex) of the caller's scope and the key. */
  id: string;
  /** SHA-256 (hex) of the request's payload. */
  fingerprint: string;
  now: Date;
  /** When the key may be forgotten. */
  expiresAt: Date;
  /** A first request still in flight since before this is taken to have died; its key is taken over. */
  staleBefore: Date;
}

/** How a key stands: just claimed, held by a request in flight, or answered before. */
export type IdempotencyState =
  | { state: 'claimed' }
  | { state: 'in_flight'; fingerprint: string }
  | { state: 'done'; fingerprint: string; status: number; recordId?: string };

/** The answer saved for a key. */
export interface IdempotencyOutcome {
  status: number;
  recordId?: string;
}

// ---------------------------------------------------------------------------------------------------
// Versions
// ---------------------------------------------------------------------------------------------------

/** A version range as a scheme read it (see `parseVersionRange`). */
export interface VersionRange {
  /** The scheme that read the range ("semver", "nuget", "maven"). */
  readonly scheme: string;
  /** The range as given. */
  readonly text: string;
  /** True when `version` is in the range; false when it is not, or when the scheme cannot read it. */
  test(version: string): boolean;
}

/** A version scheme: how versions are ordered and which ranges are read. */
export interface VersionScheme {
  readonly name: string;
  /** True when the scheme can read `version`. */
  isValid(version: string): boolean;
  /** Orders two versions; versions the scheme cannot read sort first, then by text. */
  compare(a: string, b: string): number;
  /** Reads a range into a test of versions; `undefined` when the scheme cannot read it. */
  parseRange(text: string): ((version: string) => boolean) | undefined;
}

/**
 * Which version scheme a feed uses: a scheme name (`"semver"`, `"npm"`, `"nuget"`, `"maven"`), a feed
 * type (`"nuget"`, `"npm"`, `"maven"`, `"upack"`, `"universal"`, `"helm"`), or a {@link VersionScheme}.
 */
export type VersionSchemeSetting = string | VersionScheme;

// ---------------------------------------------------------------------------------------------------
// Router
// ---------------------------------------------------------------------------------------------------

/** Where warnings and errors the library cannot answer with go. */
export interface Logger {
  /** Audit lines (purges and deletes). Optional; `warn` is used when it is missing. */
  info?(message: string, meta?: Record<string, unknown>): void;
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
   * The version scheme of each feed, for `range=` queries: a map of feed name (case-insensitive) to a
   * scheme name, feed type or scheme object, or a function of the feed name. Defaults to every feed
   * using `defaultVersionScheme`.
   */
  versionSchemes?: Readonly<Record<string, VersionSchemeSetting>> | ((feed: string) => VersionSchemeSetting | undefined);
  /** The scheme of feeds `versionSchemes` does not name. Defaults to `"semver"`. */
  defaultVersionScheme?: VersionSchemeSetting;
  /**
   * Where the History pages are mounted: `{historyPath}/{feed}/{package}` (group and version as query
   * parameters). `false` mounts none. Defaults to `"/deployments"`.
   */
  historyPath?: string | false;
  /**
   * Group commit: records that arrive while a write is in flight are written together, in one
   * `store.record(batch)` call (one multi-row INSERT in one transaction), each answered 200 only after that
   * commit. `false` writes each record in its own call. Defaults to `{ maxBatch: 100 }`.
   */
  groupCommit?: GroupCommitOptions | false;
  /**
   * `Idempotency-Key` on the record endpoint: how long a key is kept (and its first answer replayed).
   * `false` stops claiming keys in the store; a key then still gives the record its `uid`, so a retry
   * stores it once. Defaults to `{ expiresAfterMs: 86400000 }` (24 hours).
   */
  idempotency?: { expiresAfterMs?: number } | false;
  /**
   * The duplicate rule, for tools that cannot send an `Idempotency-Key`: a record equal to a stored one
   * on feed, group, package, version, target, date (and kind: deployment or removal) is answered 200
   * and stored once. Records without a `Date` get the time received, so they are never equal. Defaults
   * to `false` (every record is stored).
   */
  ignoreDuplicates?: boolean;
  /**
   * Purges on a schedule: `policy` (a {@link PurgePolicy} whose `before` is replaced by `olderThanMs`
   * before now at each run) every `everyMs` milliseconds, for real (not a dry run). Each run is a
   * `purged` event and a log line. Defaults to none.
   */
  retention?: RetentionOptions;
}

/** A scheduled purge (`createDeploymentRouter({ retention })`). */
export interface RetentionOptions {
  /** The policy, without `before` and `dryRun`. Required. */
  policy: Omit<PurgePolicy, 'before' | 'dryRun'>;
  /** Drop records deployed more than this many milliseconds before each run. Defaults to no age limit. */
  olderThanMs?: number;
  /** Milliseconds between two runs; at least 60000. Required. */
  everyMs: number;
  /** Run once at start-up too. Defaults to `false`. */
  runAtStart?: boolean;
}

/** Options of group commit (`createDeploymentRouter({ groupCommit })`, `createGroupCommit()`). */
export interface GroupCommitOptions {
  /**
   * The most records written in one transaction; more waiting records go in the next one. From 1 to 1000.
   * Defaults to 100.
   */
  maxBatch?: number;
}

// ---------------------------------------------------------------------------------------------------
// The knex API-key store
// ---------------------------------------------------------------------------------------------------

export interface KnexApiKeyStoreOptions {
  /** A knex instance (PostgreSQL, MySQL/MariaDB, SQLite); never destroyed by the store. Defaults to an SQLite file. */
  knex?: import('knex').Knex;
  /** The SQLite file used when no `knex` is given. Defaults to `"package-deployments.sqlite"`. */
  filename?: string;
  /** Run the key store's migrations on first use. Defaults to `true`. */
  migrate?: boolean;
  /** What callers without credentials may do, as in {@link ApiKeyAuthOptions}. Defaults to `false` (nothing). */
  anonymous?: boolean | AnonymousGrant;
}

/** What {@link KnexApiKeyStore.createApiKey} is given. */
export interface NewApiKey {
  /** Unique, forever (revoked keys keep their names); recorded as `UserName` when a record names none. Required. */
  name: string;
  /** Feeds the key may touch (case-insensitive). Defaults to every feed. */
  feeds?: readonly string[];
  /** Defaults to `['Feeds_DownloadPackage', 'Feeds_ViewPackage']`. */
  privileges?: readonly Privilege[];
}

/** A stored key as listed: never the secret, which is not kept. */
export interface ApiKeyInfo {
  name: string;
  /** `undefined` = every feed. */
  feeds?: string[];
  privileges: Privilege[];
  createdAt: Date;
  /** Set once the key is revoked. */
  revokedAt?: Date;
}

/** A key just created: the only time its secret is available. */
export interface CreatedApiKey extends ApiKeyInfo {
  /** The secret. Shown once; only its SHA-256 hash is stored. */
  key: string;
}

/** API keys in a database: an {@link AuthAdapter} plus functions to manage the keys. */
export interface KnexApiKeyStore extends AuthAdapter {
  readonly knex: import('knex').Knex;
  init(): Promise<void>;
  close(): Promise<void>;
  /** Creates a key and returns its secret, once. Throws when the name is taken. */
  createApiKey(key: NewApiKey): Promise<CreatedApiKey>;
  /** Revokes the key of this name; it stops working on the next request. False when there was no active key of that name. */
  revokeApiKey(name: string): Promise<boolean>;
  /** Every key, revoked ones included, oldest first; never a secret. */
  listApiKeys(): Promise<ApiKeyInfo[]>;
}

// ---------------------------------------------------------------------------------------------------
// Feed downloads: the X-ProGet-Deployment-* middleware
// ---------------------------------------------------------------------------------------------------

/** The package a download request is for, as a {@link FeedLayout} read it from the request. */
export interface FeedPackageRef {
  feedName: string;
  /** Group, scope or namespace; `undefined` when there is none. */
  groupName?: string;
  packageName: string;
  /** `undefined` for a "latest" download: the server must then say which version it served. */
  version?: string;
}

/**
 * One download URL layout: reads feed, group, package and version from a request, or answers
 * `undefined` when the request is not a package download of this layout. Built-ins: `upackLayout()`,
 * `packagesApiLayout()`, `nugetV2Layout()`, `nugetV3Layout()`, `npmLayout()`, `mavenLayout()`,
 * `pypiLayout()`, `helmLayout()`, `routeParamsLayout()`, `customLayout()`.
 */
export interface FeedLayout {
  /** The feed type the `deployed` event reports (`upack`, `nuget`, `npm`, `maven`, `pypi`, `helm`...). */
  readonly feedType: string;
  resolve(req: Request): FeedPackageRef | undefined;
}

/** Options of the path layouts (all but `routeParamsLayout` and `customLayout`). */
export interface PathLayoutOptions {
  /**
   * The path before the layout's own part, matched against the full request path (`req.originalUrl`)
   * case-insensitively; `:feed` marks the feed name's segment. Defaults to ProGet's prefix of the
   * layout: `/upack/:feed/download`, `/api/packages/:feed/download`, `/nuget/:feed/package`,
   * `/nuget/:feed/v3/flatcontainer`, `/npm/:feed`, `/maven2/:feed`, `/pypi/:feed`, `/helm/:feed`.
   */
  prefix?: string;
  /** A fixed feed name, for a prefix without `:feed`. Defaults to the `:feed` segment. */
  feed?: string;
}

export interface MavenLayoutOptions extends PathLayoutOptions {
  /** File extensions that are not deployments. Defaults to `['pom', 'md5', 'sha1', 'sha256', 'sha512', 'asc']`. */
  skipExtensions?: readonly string[];
}

export interface RouteParamsLayoutOptions {
  /** Reported as the feed type. Defaults to `"custom"`. */
  feedType?: string;
  /** A fixed feed name. Defaults to the route parameter named by `params.feed`. */
  feed?: string;
  /**
   * Which route parameter holds what. Defaults to `{ feed: 'feed', group: 'group', name: 'name', version: 'version' }`.
   */
  params?: { feed?: string; group?: string; name?: string; version?: string };
}

/**
 * What the download route may tell the middleware about the package it actually served, in
 * `res.locals.servedPackage` (or through the `servedPackage` option). `version` is how a "latest"
 * download gets recorded; the other fields replace what the URL said (the canonical spelling of a
 * NuGet id, for example).
 */
export interface ServedPackage {
  version?: string;
  packageName?: string;
  groupName?: string;
}

/** Why a download that carried deployment headers was not recorded. */
export type SkipReason =
  | 'not_get'
  | 'download_failed'
  | 'download_incomplete'
  | 'not_a_download'
  | 'latest_unknown'
  | 'disabled'
  | 'unknown_feed'
  | 'unauthorized'
  | 'partial_headers'
  | 'invalid_headers'
  | 'invalid_package'
  | 'error';

/** What the `deployment-skipped` event carries. */
export interface SkippedDeployment {
  reason: SkipReason;
  /** A sentence saying why, naming the header or field at fault. */
  message: string;
  method: string;
  /** The request path, without the query string (which may hold a key). */
  path: string;
  /** The download's HTTP status, once it was answered. */
  status?: number;
  feedType?: string;
  feedName?: string;
  /** Header problems, for `partial_headers` and `invalid_headers`. */
  problems?: Problem[];
}

/** What the `deployment-lost` event carries: records the store would not take, after every retry. */
export interface LostDeployments {
  deployments: NewDeployment[];
  /** `'store_failed'` after the retries; `'queue_full'` when the queue was at `maxQueued`; `'closed'` after close(). */
  reason: 'store_failed' | 'queue_full' | 'closed';
  error?: unknown;
}

/** What the `deployment-warning` event carries: the record was made, with a value replaced. */
export interface DeploymentWarning {
  code: 'date_unparseable';
  message: string;
  path: string;
}

/** Counters of a feed middleware, since it was created. */
export interface FeedDeploymentStats {
  /** Records waiting for the store, or being written now. */
  queued: number;
  /** Records committed by the store. */
  recorded: number;
  /** Records the store would not take after every retry, or that found the queue full or closed. */
  lost: number;
  /** Downloads with deployment headers that were not recorded (see {@link SkipReason}). */
  skipped: number;
  /** Records made with a value replaced (an unparseable Date). */
  warnings: number;
}

/** How records wait for the store. */
export interface RecordingQueueOptions {
  /** Records held at most; more are lost (counted and reported). Defaults to 10000. */
  maxQueued?: number;
  /** Records written in one `store.record()` call (one transaction). Defaults to 100. */
  batchSize?: number;
  /** Further attempts after a failed write, each after a growing delay. Defaults to 3. */
  retries?: number;
  /** Delay before the first retry, in milliseconds; doubled for each next one. Defaults to 200. */
  retryDelayMs?: number;
}

export interface FeedDeploymentsOptions {
  /** Where records are kept; share the router's. Defaults to `createKnexStore()` (closed by `close()`). */
  store?: DeploymentStore;
  /**
   * Who the caller is and whether it may record (`Feeds_DownloadPackage` on the feed); share the
   * router's. A principal the host already set (`principal` option, `req.user`) is used first and is not
   * asked about: the download route authorized it. The middleware never answers 403: a caller that may
   * not record is skipped (`unauthorized`). Defaults to none: every successful download may record,
   * as the feed route already decided who may download.
   */
  auth?: AuthAdapter;
  /**
   * The principal the host's own authentication established. Defaults to `req.user` when it is a string
   * or an object with a string `name` or `username`.
   */
  principal?: (req: Request) => Principal | null | undefined;
  /** The download URL layouts to recognise, tried in order. Defaults to every built-in path layout at ProGet's prefixes. */
  layouts?: FeedLayout | readonly FeedLayout[];
  /** The feeds the server has; downloads of other feeds are skipped (`unknown_feed`). Defaults to any feed name. */
  feeds?: FeedCatalogue;
  /**
   * Recording on or off per feed (ProGet's `deploymentRecordsEnabled`): a boolean, a list of feed names
   * (case-insensitive), or a synchronous function of the feed name. Defaults to `true`.
   */
  enabled?: boolean | readonly string[] | ((feedName: string) => boolean);
  /**
   * Answer 400 (text naming the header) before the download route runs, instead of downloading without
   * recording, when deployment headers are partial or invalid. Defaults to `false`.
   */
  strict?: boolean;
  /** What the route served, for "latest" downloads. Defaults to reading `res.locals.servedPackage`. */
  servedPackage?: (req: Request, res: Response) => ServedPackage | undefined | null;
  /** Field length limits, as the router's. Defaults to {@link FieldLimits}' defaults. */
  limits?: Partial<FieldLimits>;
  /** The batched, bounded, retrying queue in front of the store. Defaults to {@link RecordingQueueOptions}' defaults. */
  queue?: RecordingQueueOptions;
  /** Called after each committed record; errors it throws are logged. Defaults to none. */
  onRecorded?: (record: DeploymentRecord, context: DeployedContext) => void | Promise<void>;
  /**
   * Emits `deployed`, `deployment-skipped`, `deployment-lost` and `deployment-warning`; share the
   * router's `events`. Defaults to a new emitter.
   */
  events?: DeploymentEvents;
  /** Defaults to `console`. */
  logger?: Logger;
}
