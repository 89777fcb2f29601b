/**
 * The Verdaccio 6 middleware plug-in. Verdaccio constructs it with (its config merged with the plug-in's
 * section, { config, logger }) and calls `register_middlewares(app, auth, storage)` before its own routes
 * and after its login middleware, so `req.remote_user` is set. It mounts:
 * - the feed-download middleware on every request (tarballs at Verdaccio's own URLs, `npmLayout` at `/`);
 * - the record endpoint, read API and History pages under `path` (default `/-/deployments`).
 * Queued records are written on SIGTERM, SIGINT and before exit (Verdaccio has no shutdown hook).
 */
import type { Application } from 'express';
import { knex as createKnex, type Knex } from 'knex';
import { createKnexApiKeyStore } from '../auth/knex-keys';
import { npmLayout } from '../downloads/layouts/npm';
import { feedDeployments, type FeedDeploymentsMiddleware } from '../downloads/middleware';
import { createDeploymentRouter, type DeploymentRouter } from '../router';
import { createKnexStore, createSqliteKnex } from '../store/knex-store';
import { flushOnExit, type RemoveFlushOnExit } from '../util/flush-on-exit';
import type { Logger } from '../types';
import { verdaccioAuth } from './auth';
import { resolveVerdaccioConfig, type ResolvedVerdaccioConfig } from './config';
import { verdaccioPrincipal } from './principal';

/** The plug-in's id in config.yaml's `middlewares` (Verdaccio loads it as `verdaccio-package-deployments`). */
export const VERDACCIO_PLUGIN_ID = 'package-deployments';

/** What Verdaccio passes as the plug-in's second argument. */
export interface VerdaccioPluginOptions {
  config: { configPath?: string; config_path?: string; middlewares?: Record<string, unknown>; [more: string]: unknown };
  logger: { warn(...args: unknown[]): void; error(...args: unknown[]): void; info?(...args: unknown[]): void };
}

/** Verdaccio's logger (pino, `logger.warn(meta, message)`) as the library's `Logger`. */
function loggerOf(logger: VerdaccioPluginOptions['logger']): Logger {
  return {
    warn: (message, meta) => logger.warn({ ...meta }, message.replace(/@\{/g, '@ {')),
    error: (message, meta) => logger.error({ ...meta }, message.replace(/@\{/g, '@ {')),
  };
}

export class VerdaccioDeploymentsPlugin {
  /** The resolved section of config.yaml. */
  readonly settings: ResolvedVerdaccioConfig;
  readonly enabled: boolean;
  private readonly logger: Logger;
  private knex?: Knex;
  private router?: DeploymentRouter;
  private feed?: FeedDeploymentsMiddleware;
  private removeExitHandlers?: RemoveFlushOnExit;

  constructor(config: Record<string, unknown>, options: VerdaccioPluginOptions) {
    // Verdaccio hands over its whole config merged with the section; the section itself is checked.
    const section = (options?.config?.middlewares?.[VERDACCIO_PLUGIN_ID] ?? config ?? {}) as Record<string, unknown>;
    this.enabled = section.enabled !== false;
    this.settings = resolveVerdaccioConfig(section, options?.config?.configPath ?? options?.config?.config_path);
    this.logger = options?.logger ? loggerOf(options.logger) : console;
  }

  /** Verdaccio's hook: mounts the download middleware and the router. */
  register_middlewares(app: Application): void {
    if (!this.enabled) return;
    const s = this.settings;
    this.knex = s.database ? createKnex({ ...s.database, pool: { min: 0, max: 10, ...(s.database.pool as object | undefined) } } as Knex.Config) : createSqliteKnex(s.sqliteFile);
    const store = createKnexStore({ knex: this.knex });
    const keyStore = s.databaseKeys ? createKnexApiKeyStore({ knex: this.knex }) : undefined;
    const auth = verdaccioAuth({ apiKeys: s.apiKeys, keyStore, users: s.users, anonymous: s.anonymous });
    const router = createDeploymentRouter({ store, auth, logger: this.logger, principal: verdaccioPrincipal, historyPath: '/history' });
    const feed = feedDeployments({
      store,
      auth,
      events: router.events,
      logger: this.logger,
      principal: verdaccioPrincipal,
      layouts: npmLayout({ prefix: '/', feed: s.feed }),
    });
    this.router = router;
    this.feed = feed;
    app.use(feed);
    app.use(s.path, router);
    if (s.flushOnExit) {
      this.removeExitHandlers = flushOnExit(() => feed.flush(), { logger: this.logger, pending: () => feed.stats().queued > 0 });
    }
  }

  /** Records waiting, recorded, lost and skipped so far (the download middleware's counters). */
  stats() {
    return this.feed?.stats();
  }

  /** Writes what is queued, then closes the store and the database connection. */
  async close(): Promise<void> {
    this.removeExitHandlers?.();
    await this.feed?.close();
    await this.router?.auth.close?.();
    await this.router?.store.close?.();
    await this.knex?.destroy();
  }
}
