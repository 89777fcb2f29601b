/**
 * The admin routes of webhooks, behind the admin privilege (`Admin_ConfigureProGet`, asked for feed `*`):
 *   GET  {base}/webhooks/targets                      the targets, never a secret
 *   GET  {base}/webhooks/deliveries                   deliveries, newest first (status=, target=, record=, limit=, cursor=)
 *   GET  {base}/webhooks/deliveries/{id}              one delivery
 *   POST {base}/webhooks/deliveries/{id}/redeliver    send it again: same webhook-id, a fresh retry schedule
 */
import type { ErrorRequestHandler, NextFunction, Request, Response, Router } from 'express';
import { extractCredentials } from '../http/credentials';
import { DeploymentError, forbidden, formatProblems, storageError } from '../http/errors';
import type { AuthAdapter, Problem } from '../types';
import type { WebhookDeliveryQuery, WebhookOutboxStore } from './types';

/** The privilege the webhook admin routes ask for (ProGet's administration privilege). */
export const WEBHOOK_ADMIN_PRIVILEGE = 'Admin_ConfigureProGet';
/** The feed the admin privilege is asked about: every feed. */
export const ADMIN_FEED = '*';

export interface AdminRouteContext {
  store: WebhookOutboxStore;
  auth: AuthAdapter;
  initAuth(): Promise<void>;
  initStore(): Promise<void>;
  retryAfterSeconds: number;
  /** A redelivery was queued: wake the worker. */
  nudge(): void;
}

const STATUSES = ['pending', 'delivered', 'failed'] as const;
const LIST_PARAMETERS = ['status', 'target', 'record', 'limit', 'cursor'];

async function requireAdmin(ctx: AdminRouteContext, req: Request): Promise<void> {
  await ctx.initAuth();
  const principal = await ctx.auth.authenticate(extractCredentials(req), req);
  if (principal === false) throw forbidden();
  if (!(await ctx.auth.authorize(principal ?? null, WEBHOOK_ADMIN_PRIVILEGE, ADMIN_FEED))) throw forbidden();
}

function listQuery(req: Request): WebhookDeliveryQuery {
  const url = req.originalUrl ?? req.url ?? '';
  const params = new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
  const problems: Problem[] = [];
  const query: WebhookDeliveryQuery = {};
  const seen = new Set<string>();
  for (const [rawName, value] of params) {
    const name = rawName.toLowerCase();
    if (name === 'key') continue;
    const known = LIST_PARAMETERS.find((p) => p === name);
    if (!known) {
      problems.push({ field: rawName, message: `unknown parameter; known ones: ${LIST_PARAMETERS.join(', ')}.` });
      continue;
    }
    if (seen.has(known)) {
      problems.push({ field: known, message: 'given more than once; give it once.' });
      continue;
    }
    seen.add(known);
    if (known === 'status') {
      if ((STATUSES as readonly string[]).includes(value)) query.status = value as (typeof STATUSES)[number];
      else problems.push({ field: 'status', message: `must be one of ${STATUSES.join(', ')}.` });
    } else if (known === 'target') query.target = value;
    else if (known === 'record') query.recordId = value;
    else if (known === 'limit') {
      if (/^\d+$/.test(value) && Number(value) >= 1 && Number(value) <= 1000) query.limit = Number(value);
      else problems.push({ field: 'limit', message: 'must be a whole number from 1 to 1000.' });
    } else if (known === 'cursor') {
      if (/^\d{1,19}$/.test(value)) query.cursor = value;
      else problems.push({ field: 'cursor', message: 'must be the nextCursor of a previous page.' });
    }
  }
  if (problems.length > 0) throw new DeploymentError(400, 'bad_query', formatProblems(problems), { problems });
  return query;
}

function handler(ctx: AdminRouteContext, fn: (req: Request, res: Response) => Promise<void>) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      await requireAdmin(ctx, req);
      try {
        await ctx.initStore();
        await fn(req, res);
      } catch (err) {
        if (err instanceof DeploymentError) throw err;
        throw storageError(err, ctx.retryAfterSeconds);
      }
    } catch (err) {
      next(err);
    }
  };
}

const notFound = (id: string) => new DeploymentError(404, 'webhook_delivery_not_found', `No webhook delivery has the id "${id}".`);

/** Mounts the admin routes under `base` (the record path); `answerError` answers their errors. */
export function mountWebhookAdminRoutes(router: Router, base: string, ctx: AdminRouteContext, answerError: ErrorRequestHandler): void {
  router.get(`${base}/webhooks/targets`, handler(ctx, async (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.status(200).json({ targets: await ctx.store.listWebhookTargets() });
  }), answerError);
  router.get(`${base}/webhooks/deliveries`, handler(ctx, async (req, res) => {
    const page = await ctx.store.listWebhookDeliveries(listQuery(req));
    res.setHeader('Cache-Control', 'no-store');
    res.status(200).json({ deliveries: page.deliveries, nextCursor: page.nextCursor ?? null });
  }), answerError);
  router.get(`${base}/webhooks/deliveries/:id`, handler(ctx, async (req, res) => {
    const id = String(req.params.id);
    const page = /^\d{1,19}$/.test(id) ? await ctx.store.listWebhookDeliveries({ cursor: String(BigInt(id) + 1n), limit: 1 }) : { deliveries: [] };
    const delivery = page.deliveries.find((d) => d.id === id);
    if (!delivery) throw notFound(id);
    res.setHeader('Cache-Control', 'no-store');
    res.status(200).json(delivery);
  }), answerError);
  router.post(`${base}/webhooks/deliveries/:id/redeliver`, handler(ctx, async (req, res) => {
    const id = String(req.params.id);
    const delivery = await ctx.store.redeliverWebhook(id);
    if (!delivery) throw notFound(id);
    ctx.nudge();
    res.status(202).json(delivery);
  }), answerError);
}
