/**
 * Wiring webhooks into a router or a feed middleware: parse the `webhooks` option once, check the store
 * keeps an outbox, write the configured targets to the store on first use, run the delivery worker.
 */
import { checkMethods } from '../options';
import type { DeploymentStore, Logger } from '../types';
import { resolveWebhookOptions, type ResolvedWebhookOptions } from './config';
import { createWebhookDispatcher, type WebhookDispatcher } from './dispatcher';
import type { WebhookOptions, WebhookOutboxStore } from './types';

export const OUTBOX_METHODS = [
  'addWebhookTarget', 'syncWebhookTargets', 'listWebhookTargets', 'removeWebhookTarget', 'listWebhookDeliveries',
  'redeliverWebhook', 'summarizeWebhookDeliveries', 'claimWebhookDeliveries', 'settleWebhookDeliveries',
] as const;

/** True when `store` keeps a webhook outbox (the knex store does). */
export function hasOutbox(store: DeploymentStore): store is DeploymentStore & WebhookOutboxStore {
  return OUTBOX_METHODS.every((m) => typeof (store as unknown as Record<string, unknown>)[m] === 'function');
}

export interface WebhookRuntime {
  readonly options: ResolvedWebhookOptions;
  /** The store, as the outbox it is. */
  readonly store: DeploymentStore & WebhookOutboxStore;
  /** Writes the configured targets and starts the worker (once; a failure is retried on the next call). */
  init(): Promise<void>;
  /** A record was committed here: look for due deliveries now. */
  nudge(): void;
  /** Stops the worker after the attempts in flight are written. */
  close(): Promise<void>;
  /** The worker, when this process runs one. */
  readonly dispatcher?: WebhookDispatcher;
}

export function setupWebhooks(what: string, store: DeploymentStore, options: WebhookOptions, logger: Logger): WebhookRuntime {
  const resolved = resolveWebhookOptions(`${what}: webhooks`, options);
  checkMethods(`${what}: options.store`, store, OUTBOX_METHODS, 'Webhooks need a store that keeps an outbox in the records\' transaction: use createKnexStore().');
  const outbox = store as DeploymentStore & WebhookOutboxStore;
  const log = resolved.logger ?? logger;
  const dispatcher = resolved.deliver ? createWebhookDispatcher(outbox, resolved, log) : undefined;
  let started: Promise<void> | undefined;
  let closed = false;

  async function start(): Promise<void> {
    if (resolved.targets.length > 0) {
      await outbox.syncWebhookTargets(resolved.targets.map((t) => ({ name: t.name, url: t.url, secret: t.secrets, events: t.events, feeds: t.feeds, format: t.format })));
    }
    const configured = new Set(resolved.targets.map((t) => t.name));
    const stale = (await outbox.listWebhookTargets()).filter((t) => t.source === 'config' && !configured.has(t.name));
    if (stale.length > 0 && resolved.targets.length > 0) {
      log.warn(`package-deployments: webhook targets ${stale.map((t) => `"${t.name}"`).join(', ')} came from an earlier configuration and still receive deliveries; remove them with store.removeWebhookTarget(name).`);
    }
    if (!closed) dispatcher?.start();
  }

  return {
    options: resolved,
    store: outbox,
    dispatcher,
    init() {
      started ??= start().catch((err) => {
        started = undefined;
        throw err;
      });
      return started;
    },
    nudge() {
      dispatcher?.nudge();
    },
    async close() {
      closed = true;
      await started?.catch(() => undefined);
      await dispatcher?.stop();
    },
  };
}

/**
 * The store as the writer should see it: first use also writes the configured targets (so no record is
 * committed before its targets are known), and each commit wakes the delivery worker.
 */
export function storeForWriter(store: DeploymentStore, runtime: WebhookRuntime | undefined): DeploymentStore {
  if (runtime === undefined) return store;
  return {
    async init() {
      await store.init?.();
      await runtime.init();
    },
    async record(deployments) {
      await runtime.init();
      const records = await store.record(deployments);
      runtime.nudge();
      return records;
    },
    list: (query) => store.list(query),
  };
}
