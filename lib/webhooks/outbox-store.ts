/**
 * The webhook outbox in a knex database: targets; intents, written in the same transaction as the
 * records they are about (./outbox-intents.ts); the deliveries the worker makes of them, claimed under a
 * lease (./outbox-leases.ts); and the queries the delivery worker and the admin routes use. Every method
 * takes and returns plain data, so that a store proxied to a worker thread keeps them.
 */
import type { Knex } from 'knex';
import { WEBHOOK_DELIVERIES_TABLE as DELIVERIES, WEBHOOK_INTENTS_TABLE as INTENTS, WEBHOOK_TARGETS_TABLE as TARGETS } from '../store/tables';
import type { DeploymentRecord } from '../types';
import { resolveTarget } from './config';
import { deliveryFromRow, infoFromRow, targetFromRow, toTargetRow, type DeliveryRow, type IntentRow, type OutboxTarget, type TargetRow } from './outbox-rows';
import { expandIntents, intentFor } from './outbox-intents';
import { claimDueDeliveries, settleDeliveries } from './outbox-leases';
import type { WebhookAttemptOutcome, WebhookDelivery, WebhookDeliveryPage, WebhookDeliveryQuery, WebhookOutboxStore, WebhookRecordSummary, WebhookTargetConfig } from './types';
import { resolvedPrivateAddress } from './url-safety';

/** How long a target list read by `record()` is reused (changes through this store apply at once). */
export const TARGETS_CACHE_MS = 1000;
const DEFAULT_LIST = 100;
const MAX_LIST = 1000;

/** Intents expanded per round of the worker (each is one batch of records). */
const EXPAND_PER_ROUND = 20;

/** The outbox part of the knex store. `ready` is the store's own init (migrations). */
export interface KnexOutbox extends WebhookOutboxStore {
  /**
   * The enabled targets (read at most once a second; changes through this store apply at once). Read it
   * BEFORE the records' transaction: on SQLite that transaction holds the only connection.
   */
  activeTargets(): Promise<readonly OutboxTarget[]>;
  /** The intent row for records just stored, to insert in the same transaction; `undefined` when no target wants them. */
  intentFor(records: readonly Pick<DeploymentRecord, 'id' | 'feedName'>[], targets: readonly OutboxTarget[], removed?: readonly boolean[]): IntentRow | undefined;
  /** Inserts an intent made by `intentFor`, on `trx` (the records' transaction). */
  insertIntent(trx: Knex | Knex.Transaction, row: IntentRow): Promise<void>;
}

export function createKnexOutbox(db: Knex, ready: () => Promise<void>): KnexOutbox {
  let cache: { at: number; targets: OutboxTarget[] } | undefined;

  async function activeTargets(): Promise<OutboxTarget[]> {
    if (cache && Date.now() - cache.at < TARGETS_CACHE_MS) return cache.targets;
    const rows = (await db(TARGETS).select()) as TargetRow[];
    cache = { at: Date.now(), targets: rows.map(targetFromRow).filter((t) => !t.disabled) };
    return cache.targets;
  }

  async function upsertTarget(row: TargetRow): Promise<void> {
    // One statement, so that instances starting together with the same configuration never collide.
    const { created_at: _created, ...changes } = row;
    await db(TARGETS).insert(row).onConflict('name').merge(Object.keys(changes));
    cache = undefined;
  }

  async function readDelivery(id: string): Promise<WebhookDelivery | undefined> {
    if (!/^\d{1,19}$/.test(id)) return undefined;
    const row = (await db(DELIVERIES).where('id', id).first()) as DeliveryRow | undefined;
    return row ? deliveryFromRow(row) : undefined;
  }

  return {
    activeTargets,
    intentFor,

    async insertIntent(trx, row) {
      await trx(INTENTS).insert(row);
    },

    async addWebhookTarget(target: WebhookTargetConfig, options = {}) {
      await ready();
      const allowPrivate = options.allowPrivateTargets === true;
      const resolved = resolveTarget('addWebhookTarget(target)', target, allowPrivate);
      if (!allowPrivate) {
        const address = await resolvedPrivateAddress(new URL(resolved.url).hostname.replace(/^\[|\]$/g, ''));
        if (address !== undefined) {
          throw new TypeError(`addWebhookTarget(target) "${resolved.name}": url resolves to ${address}, a loopback, private, link-local or metadata address; pass { allowPrivateTargets: true } to allow it.`);
        }
      }
      const row = toTargetRow(resolved, 'store', new Date().toISOString());
      await upsertTarget(row);
      return infoFromRow((await db(TARGETS).where('name', row.name).first()) as TargetRow);
    },

    async syncWebhookTargets(targets) {
      await ready();
      const now = new Date().toISOString();
      // Already checked by the options layer (with its allowPrivateTargets); checked again for direct callers.
      for (const t of targets) await upsertTarget(toTargetRow(resolveTarget('syncWebhookTargets(targets)', t, true), 'config', now));
    },

    async listWebhookTargets() {
      await ready();
      return ((await db(TARGETS).select().orderBy('name')) as TargetRow[]).map(infoFromRow);
    },

    async removeWebhookTarget(name) {
      await ready();
      const removed = await db(TARGETS).where('name', String(name)).delete();
      cache = undefined;
      return Number(removed) > 0;
    },

    async listWebhookDeliveries(query: WebhookDeliveryQuery = {}) {
      await ready();
      // Every committed record's deliveries are listed: intents not yet expanded are expanded now.
      while ((await expandIntents(db, EXPAND_PER_ROUND * 5)) > 0);
      const limit = Math.min(Math.max(Math.trunc(query.limit ?? DEFAULT_LIST), 1), MAX_LIST);
      let q = db(DELIVERIES).select().orderBy('id', 'desc').limit(limit + 1);
      if (query.status) q = q.where('status', query.status);
      if (query.target) q = q.where('target_name', query.target);
      if (query.recordId) q = q.where('record_id', query.recordId);
      if (query.cursor !== undefined) {
        if (!/^\d{1,19}$/.test(query.cursor)) throw new TypeError('listWebhookDeliveries(): cursor must be the nextCursor of a previous page.');
        q = q.where('id', '<', query.cursor);
      }
      const rows = (await q) as DeliveryRow[];
      const page: WebhookDeliveryPage = { deliveries: rows.slice(0, limit).map(deliveryFromRow) };
      if (rows.length > limit) page.nextCursor = String(rows[limit - 1]!.id);
      return page;
    },

    async redeliverWebhook(id) {
      await ready();
      if (!/^\d{1,19}$/.test(String(id))) return undefined;
      // A delivery a worker holds right now is being sent already: left as it is.
      await db(DELIVERIES).where('id', String(id)).whereNull('claim').update({
        status: 'pending',
        attempts: 0,
        next_attempt_at: new Date().toISOString(),
        delivered_at: null,
      });
      return readDelivery(String(id));
    },

    async summarizeWebhookDeliveries(recordIds) {
      await ready();
      const out: Record<string, WebhookRecordSummary> = {};
      const ids = [...new Set(recordIds.map(String))];
      for (let i = 0; i < ids.length; i += 500) {
        const rows = (await db(DELIVERIES)
          .select('record_id', 'status')
          .count({ n: '*' })
          .whereIn('record_id', ids.slice(i, i + 500))
          .groupBy('record_id', 'status')) as Array<{ record_id: string; status: string; n: number | string }>;
        for (const row of rows) {
          const s = (out[row.record_id] ??= { delivered: 0, pending: 0, failed: 0 });
          if (row.status === 'delivered' || row.status === 'pending' || row.status === 'failed') s[row.status] += Number(row.n);
        }
      }
      // Intents not yet expanded: their deliveries are pending.
      const numeric = ids.filter((id) => /^\d{1,15}$/.test(id)).map(Number);
      if (numeric.length > 0) {
        const wanted = new Set(ids);
        const intents = (await db(INTENTS).select('pairs').where('min_record_id', '<=', Math.max(...numeric)).where('max_record_id', '>=', Math.min(...numeric))) as Array<{ pairs: string }>;
        for (const intent of intents) {
          for (const [recordId] of JSON.parse(intent.pairs) as Array<[string, string]>) {
            if (!wanted.has(recordId)) continue;
            (out[recordId] ??= { delivered: 0, pending: 0, failed: 0 }).pending++;
          }
        }
      }
      return out;
    },

    async claimWebhookDeliveries({ limit, leaseMs }) {
      await ready();
      // Intents are expanded only as far as this round can send: expanding every waiting intent wrote a
      // delivery row (and its body) for each record committed meanwhile, on the core that records them,
      // although a round sends `limit` at most (bench/README.md, "Webhooks").
      let claimed = await claimDueDeliveries(db, limit, leaseMs);
      for (let step = 1; claimed.length < limit && step <= EXPAND_PER_ROUND; step *= 2) {
        if ((await expandIntents(db, step)) === 0) break;
        claimed = claimed.concat(await claimDueDeliveries(db, limit - claimed.length, leaseMs));
      }
      return claimed;
    },

    async settleWebhookDeliveries(outcomes: readonly WebhookAttemptOutcome[], schedule: readonly number[]) {
      if (outcomes.length === 0) return;
      await ready();
      await settleDeliveries(db, outcomes, schedule);
      if (outcomes.some((o) => o.gone === true)) cache = undefined;
    },
  };
}
