/**
 * Webhook intents: the promise, written in the records' transaction, that deliveries will be made (one
 * small row per batch: the (record, target) pairs it wants), and its expansion, later, into one delivery
 * row per pair, each with its webhook-id and body.
 */
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { isMysql, isSqlite } from '../knex/dialect';
import { WEBHOOK_DELIVERIES_TABLE as DELIVERIES, WEBHOOK_INTENTS_TABLE as INTENTS, WEBHOOK_TARGETS_TABLE as TARGETS } from '../store/tables';
import { DEPLOYMENTS_TABLE } from '../store/tables';
import { fromRow, type DeploymentRow } from '../store/rows';
import type { DeploymentRecord } from '../types';
import { targetWants } from './config';
import { webhookBody } from './payload';
import { targetFromRow, type IntentRow, type OutboxTarget, type TargetRow } from './outbox-rows';
import type { WebhookEventType } from './types';

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

/** Which event a record is: a removal record (where the store has them) or a new deployment. */
export function eventTypeOf(record: DeploymentRecord): WebhookEventType {
  const r = record as DeploymentRecord & { kind?: unknown; removal?: unknown; removed?: unknown };
  return r.kind === 'removal' || r.kind === 'removed' || r.removal === true || r.removed === true ? 'deployment.removed' : 'deployment.created';
}

/** The intent row for records just stored, to insert in the same transaction; `undefined` when no target wants them. */
export function intentFor(records: readonly Pick<DeploymentRecord, 'id' | 'feedName'>[], targets: readonly OutboxTarget[], removed?: readonly boolean[]): IntentRow | undefined {
  if (records.length === 0 || targets.length === 0) return undefined;
  const pairs: Array<[string, string]> = [];
  records.forEach((record, i) => {
    const type: WebhookEventType = removed?.[i] === true ? 'deployment.removed' : eventTypeOf(record as DeploymentRecord);
    for (const target of targets) if (targetWants(target, type, record.feedName)) pairs.push([record.id, target.name]);
  });
  if (pairs.length === 0) return undefined;
  const ids = records.map((r) => Number(r.id));
  return { pairs: JSON.stringify(pairs), min_record_id: Math.min(...ids), max_record_id: Math.max(...ids), created_at: new Date().toISOString() };
}

/**
 * Which target wants the records of which feed, for each (feed, deployment or removal) among `rows`, in the
 * targets' order: what `intentFor` decides per record, decided before the records are inserted (the
 * PostgreSQL one-statement write joins it with the inserted rows: lib/store/pg-one-statement.ts).
 */
export function webhookWants(rows: readonly Pick<DeploymentRow, 'feed_name' | 'removed'>[], targets: readonly OutboxTarget[]): Array<{ feed_name: string; removed: boolean; target: string; ord: number }> {
  const wants: Array<{ feed_name: string; removed: boolean; target: string; ord: number }> = [];
  const seen = new Set<string>();
  for (const row of rows) {
    const removed = row.removed === true || Number(row.removed) === 1;
    const key = `${removed ? 1 : 0}${row.feed_name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const type: WebhookEventType = removed ? 'deployment.removed' : 'deployment.created';
    targets.forEach((target, ord) => {
      if (targetWants(target, type, row.feed_name)) wants.push({ feed_name: row.feed_name, removed, target: target.name, ord });
    });
  }
  return wants;
}

/**
 * Turns up to `limit` intents into delivery rows, in one transaction (intents locked with SKIP LOCKED
 * on PostgreSQL and MariaDB, so instances expand different ones). Answers how many it expanded. A
 * record deleted since, or a target removed since, gets no delivery.
 */
export async function expandIntents(db: Knex, limit: number): Promise<number> {
  const sqlite = isSqlite(db);
  const mysql = isMysql(db);
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
