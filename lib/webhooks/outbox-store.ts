/**
 * The webhook outbox in a knex database: targets; intents, written in the same transaction as the
 * records they are about (one small row per batch: the durable promise); the deliveries the worker makes
 * of them (one per record and target, each with its webhook-id and body); and the queries the delivery
 * worker and the admin routes use. Every method takes and returns plain data, so that a store proxied to
 * a worker thread keeps them.
 *
 * Claiming is a lease: a worker takes due rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL and MariaDB, so
 * that instances never wait for, nor take, each other's rows), stamps them with its claim and moves their
 * due time to the end of the lease. A worker that dies mid-delivery leaves rows that fall due again when
 * the lease ends: at least once, never lost, never sent by two workers at once while a lease holds.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { isMysql, isSqlite } from '../knex/dialect';
import { WEBHOOK_DELIVERIES_TABLE as DELIVERIES, WEBHOOK_INTENTS_TABLE as INTENTS, WEBHOOK_TARGETS_TABLE as TARGETS } from '../store/tables';
import { DEPLOYMENTS_TABLE } from '../store/tables';
import { fromRow, type DeploymentRow } from '../store/rows';
import type { DeploymentRecord } from '../types';
import { resolveTarget, targetWants, type ResolvedTarget } from './config';
import { webhookBody } from './payload';
import type {
  ClaimedWebhookDelivery,
  WebhookAttemptOutcome,
  WebhookDelivery,
  WebhookDeliveryPage,
  WebhookDeliveryQuery,
  WebhookEventType,
  WebhookFormat,
  WebhookOutboxStore,
  WebhookRecordSummary,
  WebhookTargetConfig,
  WebhookTargetInfo,
} from './types';
import { resolvedPrivateAddress } from './url-safety';

interface TargetRow {
  name: string;
  url: string;
  secrets: string;
  events: string;
  feeds: string | null;
  format: string;
  source: string;
  created_at: string;
  disabled_at: string | null;
  disabled_reason: string | null;
}

interface DeliveryRow {
  id: number | string;
  webhook_id: string;
  target_name: string;
  event_type: string;
  record_id: string;
  feed_name: string;
  payload: string;
  status: string;
  attempts: number | string;
  next_attempt_at: string;
  claim: string | null;
  last_attempt_at: string | null;
  last_status: number | null;
  last_error: string | null;
  delivered_at: string | null;
  created_at: string;
}

/** How long a target list read by `record()` is reused (changes through this store apply at once). */
export const TARGETS_CACHE_MS = 1000;
const DEFAULT_LIST = 100;
const MAX_LIST = 1000;
/** Rows per multi-row INSERT of deliveries (15 values a row, well under every database's limit). */
const INSERT_CHUNK = 200;

/** A new `webhook-id`: `msg_` and 26 random base32 characters, unique per delivery, kept for every retry. */
export function newWebhookId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  const bytes = randomBytes(26);
  let id = 'msg_';
  for (const b of bytes) id += alphabet[b & 31];
  return id;
}

/** The URL as listed: without user info or query string. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

function targetFromRow(row: TargetRow): ResolvedTarget & { disabled: boolean } {
  return {
    name: row.name,
    url: row.url,
    secrets: JSON.parse(row.secrets) as string[],
    events: row.events.split(',') as WebhookEventType[],
    feeds: row.feeds === null ? undefined : (JSON.parse(row.feeds) as string[]),
    format: row.format as WebhookFormat,
    disabled: row.disabled_at !== null,
  };
}

function infoFromRow(row: TargetRow): WebhookTargetInfo {
  const info: WebhookTargetInfo = {
    name: row.name,
    url: displayUrl(row.url),
    events: row.events.split(',') as WebhookEventType[],
    format: row.format as WebhookFormat,
    source: row.source === 'config' ? 'config' : 'store',
    secrets: (JSON.parse(row.secrets) as string[]).length,
    createdAt: new Date(row.created_at),
  };
  if (row.feeds !== null) info.feeds = JSON.parse(row.feeds) as string[];
  if (row.disabled_at !== null) info.disabledAt = new Date(row.disabled_at);
  if (row.disabled_reason !== null) info.disabledReason = row.disabled_reason;
  return info;
}

function deliveryFromRow(row: DeliveryRow): WebhookDelivery {
  const d: WebhookDelivery = {
    id: String(row.id),
    webhookId: row.webhook_id,
    target: row.target_name,
    eventType: row.event_type as WebhookEventType,
    recordId: row.record_id,
    feedName: row.feed_name,
    status: row.status as WebhookDelivery['status'],
    attempts: Number(row.attempts),
    createdAt: new Date(row.created_at),
  };
  if (row.status === 'pending') d.nextAttemptAt = new Date(row.next_attempt_at);
  if (row.last_attempt_at) d.lastAttemptAt = new Date(row.last_attempt_at);
  if (row.last_status !== null && row.last_status !== undefined) d.lastStatus = Number(row.last_status);
  if (row.last_error) d.lastError = row.last_error;
  if (row.delivered_at) d.deliveredAt = new Date(row.delivered_at);
  return d;
}

function toTargetRow(t: ResolvedTarget, source: 'config' | 'store', now: string): TargetRow {
  return {
    name: t.name,
    url: t.url,
    secrets: JSON.stringify(t.secrets),
    events: t.events.join(','),
    feeds: t.feeds === undefined ? null : JSON.stringify(t.feeds),
    format: t.format,
    source,
    created_at: now,
    disabled_at: null,
    disabled_reason: null,
  };
}

/** Which event a record is: a removal record (where the store has them) or a new deployment. */
export function eventTypeOf(record: DeploymentRecord): WebhookEventType {
  const r = record as DeploymentRecord & { kind?: unknown; removal?: unknown; removed?: unknown };
  return r.kind === 'removal' || r.kind === 'removed' || r.removal === true || r.removed === true ? 'deployment.removed' : 'deployment.created';
}

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** One intent: the (record, target) pairs of a written batch, as JSON. */
export interface IntentRow {
  pairs: string;
  min_record_id: number;
  max_record_id: number;
  created_at: string;
}

/** Intents expanded per round of the worker (each is one batch of records). */
const EXPAND_PER_ROUND = 20;

/** A target as the outbox reads it (with its secrets: internal). */
export type OutboxTarget = ResolvedTarget & { disabled: boolean };

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
  const sqlite = isSqlite(db);
  const mysql = isMysql(db);
  let cache: { at: number; targets: Array<ResolvedTarget & { disabled: boolean }> } | undefined;

  async function activeTargets(): Promise<Array<ResolvedTarget & { disabled: boolean }>> {
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

  /**
   * Turns up to `limit` intents into delivery rows, in one transaction (intents locked with SKIP LOCKED
   * on PostgreSQL and MariaDB, so instances expand different ones). Answers how many it expanded. A
   * record deleted since, or a target removed since, gets no delivery.
   */
  async function expandIntents(limit: number): Promise<number> {
    return db.transaction(async (trx) => {
      let q = trx(INTENTS).select('id', 'pairs').orderBy('id').limit(limit);
      if (!sqlite) q = q.forUpdate().skipLocked();
      const intents = (await q) as Array<{ id: number | string; pairs: string }>;
      if (intents.length === 0) return 0;
      const pairs = intents.flatMap((i) => JSON.parse(i.pairs) as Array<[string, string]>);
      const recordIds = [...new Set(pairs.map(([r]) => r))];
      const records = new Map<string, DeploymentRecord & { removed?: boolean }>();
      for (let i = 0; i < recordIds.length; i += 500) {
        const rows = (await trx(DEPLOYMENTS_TABLE).select().whereIn('id', recordIds.slice(i, i + 500))) as Array<DeploymentRow & { removed?: unknown; kind?: unknown }>;
        for (const row of rows) {
          const record = fromRow(row) as DeploymentRecord & { removed?: boolean };
          if (row.removed === true || row.removed === 1 || row.kind === 'removal') record.removed = true;
          records.set(record.id, record);
        }
      }
      const targets = new Map(((await trx(TARGETS).select()) as TargetRow[]).map((row) => [row.name, targetFromRow(row)] as const));
      const now = new Date().toISOString();
      const rows: Record<string, unknown>[] = [];
      for (const [recordId, targetName] of pairs) {
        const record = records.get(recordId);
        const target = targets.get(targetName);
        if (!record || !target) continue;
        const type = eventTypeOf(record);
        rows.push({
          webhook_id: newWebhookId(),
          target_name: target.name,
          event_type: type,
          record_id: record.id,
          feed_name: record.feedName,
          payload: webhookBody(target.format, type, record),
          status: 'pending',
          attempts: 0,
          next_attempt_at: now,
          created_at: now,
        });
      }
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) await trx(DELIVERIES).insert(rows.slice(i, i + INSERT_CHUNK));
      await trx(INTENTS).whereIn('id', intents.map((i) => i.id)).delete();
      return intents.length;
    }, mysql ? { isolationLevel: 'read committed' } : undefined);
  }

  async function readDelivery(id: string): Promise<WebhookDelivery | undefined> {
    if (!/^\d{1,19}$/.test(id)) return undefined;
    const row = (await db(DELIVERIES).where('id', id).first()) as DeliveryRow | undefined;
    return row ? deliveryFromRow(row) : undefined;
  }

  return {
    activeTargets,

    intentFor(records, targets, removed) {
      if (records.length === 0 || targets.length === 0) return undefined;
      const pairs: Array<[string, string]> = [];
      records.forEach((record, i) => {
        const type: WebhookEventType = removed?.[i] === true ? 'deployment.removed' : eventTypeOf(record as DeploymentRecord);
        for (const target of targets) if (targetWants(target, type, record.feedName)) pairs.push([record.id, target.name]);
      });
      if (pairs.length === 0) return undefined;
      const ids = records.map((r) => Number(r.id));
      return { pairs: JSON.stringify(pairs), min_record_id: Math.min(...ids), max_record_id: Math.max(...ids), created_at: new Date().toISOString() };
    },

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
      while ((await expandIntents(EXPAND_PER_ROUND * 5)) > 0);
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
      await expandIntents(EXPAND_PER_ROUND);
      const now = new Date();
      const nowIso = now.toISOString();
      const leaseEnd = new Date(now.getTime() + leaseMs).toISOString();
      const claim = randomUUID();
      const rows = await db.transaction(async (trx) => {
        let due = trx(DELIVERIES).select('id').where('status', 'pending').where('next_attempt_at', '<=', nowIso).orderBy('next_attempt_at').orderBy('id').limit(limit);
        if (!sqlite) due = due.forUpdate().skipLocked();
        const ids = ((await due) as Array<{ id: number | string }>).map((r) => r.id);
        if (ids.length === 0) return [];
        await trx(DELIVERIES).whereIn('id', ids).update({ claim, next_attempt_at: leaseEnd });
        return (await trx(DELIVERIES)
          .leftJoin(TARGETS, `${TARGETS}.name`, `${DELIVERIES}.target_name`)
          .whereIn(`${DELIVERIES}.id`, ids)
          .orderBy(`${DELIVERIES}.id`)
          .select(
            `${DELIVERIES}.id`, `${DELIVERIES}.webhook_id`, `${DELIVERIES}.target_name`, `${DELIVERIES}.payload`, `${DELIVERIES}.attempts`,
            `${TARGETS}.url`, `${TARGETS}.secrets`, `${TARGETS}.format`, `${TARGETS}.disabled_at`,
          )) as Array<Pick<DeliveryRow, 'id' | 'webhook_id' | 'target_name' | 'payload' | 'attempts'> & { url: string | null; secrets: string | null; format: string | null; disabled_at: string | null }>;
        // READ COMMITTED: InnoDB then locks only the rows it claims, no gaps, so records being
        // inserted with their deliveries never wait for (or deadlock with) a claim.
      }, mysql ? { isolationLevel: 'read committed' } : undefined);
      return rows.map((r): ClaimedWebhookDelivery => ({
        id: String(r.id),
        webhookId: r.webhook_id,
        target: r.target_name,
        url: r.url ?? '',
        secrets: r.secrets ? (JSON.parse(r.secrets) as string[]) : [],
        format: (r.format ?? 'standard') as WebhookFormat,
        payload: r.payload,
        attempts: Number(r.attempts),
        claim,
        targetDisabled: r.disabled_at !== null && r.disabled_at !== undefined,
        targetMissing: r.url === null || r.url === undefined,
      }));
    },

    async settleWebhookDeliveries(outcomes: readonly WebhookAttemptOutcome[], schedule: readonly number[]) {
      if (outcomes.length === 0) return;
      await ready();
      const attemptsOf = new Map<string, number>();
      const current = (await db(DELIVERIES).select('id', 'attempts').whereIn('id', outcomes.map((o) => o.id))) as Array<{ id: number | string; attempts: number | string }>;
      for (const row of current) attemptsOf.set(String(row.id), Number(row.attempts));
      await db.transaction(async (trx) => {
        // Deliveries answered 2xx, grouped by claim and status: one statement per group.
        const delivered = new Map<string, WebhookAttemptOutcome[]>();
        for (const o of outcomes.filter((x) => x.ok)) {
          const key = `${o.claim} ${o.status ?? ''}`;
          delivered.set(key, [...(delivered.get(key) ?? []), o]);
        }
        for (const group of delivered.values()) {
          const first = group[0]!;
          const at = first.at.toISOString();
          await trx(DELIVERIES)
            .whereIn('id', group.map((o) => o.id))
            .where('claim', first.claim)
            .update({ status: 'delivered', attempts: trx.raw('attempts + 1'), claim: null, last_attempt_at: at, delivered_at: at, last_status: first.status ?? null, last_error: null });
        }
        for (const o of outcomes.filter((x) => !x.ok)) {
          const attempts = (attemptsOf.get(o.id) ?? 0) + 1;
          const last = o.final === true || o.gone === true || attempts > schedule.length;
          const delay = Math.max(schedule[attempts - 1] ?? 0, o.retryAfterMs ?? 0);
          await trx(DELIVERIES)
            .where('id', o.id)
            .where('claim', o.claim)
            .update({
              status: last ? 'failed' : 'pending',
              attempts,
              claim: null,
              next_attempt_at: new Date(o.at.getTime() + (last ? 0 : delay)).toISOString(),
              last_attempt_at: o.at.toISOString(),
              last_status: o.status ?? null,
              last_error: o.error === undefined ? null : clip(o.error, 1000),
            });
          if (o.gone === true) {
            await trx(TARGETS).where('name', o.target).whereNull('disabled_at').update({
              disabled_at: o.at.toISOString(),
              disabled_reason: `The target answered 410 Gone (delivery ${o.id}); add it again to re-enable it.`,
            });
          }
        }
      });
      if (outcomes.some((o) => o.gone === true)) cache = undefined;
    },
  };
}
