/**
 * Feed downloads: the X-ProGet-Deployment-* middleware, its URL layouts, events and options.
 */
import type { Request, Response } from 'express';
import type { AuthAdapter, Principal } from './auth';
import type { DeploymentRecord, FieldLimits, NewDeployment, Problem } from './record';
import type { BatchOptions, DeployedContext, DeploymentEvents, FeedCatalogue, Logger } from './shared';
import type { DeploymentStore } from './store';

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
  /** `'store_failed'` after the retries; `'queue_full'` when `batch.maxPending` records were already waiting; `'closed'` after close(). */
  reason: 'store_failed' | 'queue_full' | 'closed';
  error?: unknown;
  /**
   * `true` when a write of these records failed in a way that may have come after the database committed
   * (a connection reset mid-write), and no later write could settle it: they may be stored (once: their
   * `uid` keeps a retry from storing them twice). `false` or absent: they are certainly not stored.
   */
  maybeStored?: boolean;
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
  /**
   * The batched, bounded, retrying writer in front of the store, as the router's `batch`. Defaults to
   * {@link BatchOptions}' defaults. (Replaces `queue`, removed in 0.2.0: `queue.batchSize` is
   * `batch.maxSize`, `queue.maxQueued` is `batch.maxPending`.)
   */
  batch?: BatchOptions;
  /** Called after each committed record; errors it throws are logged. Defaults to none. */
  onRecorded?: (record: DeploymentRecord, context: DeployedContext) => void | Promise<void>;
  /**
   * Emits `deployed`, `deployment-skipped`, `deployment-lost` and `deployment-warning`; share the
   * router's `events`. Defaults to a new emitter.
   */
  events?: DeploymentEvents;
  /** Defaults to `console`. */
  logger?: Logger;
  /** Webhooks, as the router's `webhooks` option (share it; run the delivery worker in one of the two). Defaults to none. */
  webhooks?: import('../webhooks/types').WebhookOptions;
}
