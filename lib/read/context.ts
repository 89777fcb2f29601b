/** What the read handlers (and the History page) need from the router. */
import type { FeedResolver } from '../feeds/catalogue';
import type { Request } from 'express';
import type { AuthAdapter, DeploymentStore, Logger, Principal, VersionScheme } from '../types';

export interface ReadContext {
  store: DeploymentStore;
  auth: AuthAdapter;
  resolveFeed: FeedResolver;
  /** The feed catalogue when it is a list (reads naming no feed cover the listed feeds the caller may view). */
  feedList?: readonly string[];
  schemeFor(feed: string): VersionScheme;
  initStore(): Promise<void>;
  initAuth(): Promise<void>;
  logger: Logger;
  retryAfterSeconds: number;
  /** The principal the host's own login established (the router's `principal` option), if any. */
  hostPrincipal?: (req: Request) => Principal | null | undefined;
}

