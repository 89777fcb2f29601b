/** What the read handlers (and the History page) need from the router. */
import type { FeedResolver } from '../feeds/catalogue';
import type { AuthAdapter, DeploymentStore, Logger, VersionScheme } from '../types';

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
}

