/**
 * Claiming deliveries is a lease: a worker takes due rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL and
 * MariaDB, so that instances never wait for, nor take, each other's rows), stamps them with its claim and
 * moves their due time to the end of the lease. A worker that dies mid-delivery leaves rows that fall due
 * again when the lease ends: at least once, never lost, never sent by two workers at once while a lease
 * holds. Settling records each attempt's outcome, under the claim it was made with.
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { isMysql, isSqlite } from '../knex/dialect';
import { WEBHOOK_DELIVERIES_TABLE as DELIVERIES, WEBHOOK_TARGETS_TABLE as TARGETS } from '../store/tables';
import type { DeliveryRow } from './outbox-rows';
import type { ClaimedWebhookDelivery, WebhookAttemptOutcome, WebhookFormat } from './types';

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** Claims up to `limit` due deliveries for `leaseMs` (intents are expanded by the caller first). */
export async function claimDueDeliveries(db: Knex, limit: number, leaseMs: number): Promise<ClaimedWebhookDelivery[]> {
  const sqlite = isSqlite(db);
  const mysql = isMysql(db);
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
}

/**
 * Records the outcome of attempts: delivered, due again after `schedule`'s delay (or the target's
 * Retry-After), or failed for good; a 410 Gone disables its target. Rows another claim holds now are left.
 */
export async function settleDeliveries(db: Knex, outcomes: readonly WebhookAttemptOutcome[], schedule: readonly number[]): Promise<void> {
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
}
