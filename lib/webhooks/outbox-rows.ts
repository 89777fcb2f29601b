/**
 * The outbox's table rows (targets, deliveries, intents) and the plain data the store answers with:
 * what is stored as text (secrets, events, feeds as JSON or lists), and what a listing may show (a URL
 * without its user info or query string; the number of secrets, never the secrets).
 */
import type { ResolvedTarget } from './config';
import type { WebhookDelivery, WebhookEventType, WebhookFormat, WebhookTargetInfo } from './types';

export interface TargetRow {
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

export interface DeliveryRow {
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

/** One intent: the (record, target) pairs of a written batch, as JSON. */
export interface IntentRow {
  pairs: string;
  min_record_id: number;
  max_record_id: number;
  created_at: string;
}

/** A target as the outbox reads it (with its secrets: internal). */
export type OutboxTarget = ResolvedTarget & { disabled: boolean };

/** The URL as listed: without user info or query string. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

export function targetFromRow(row: TargetRow): OutboxTarget {
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

export function infoFromRow(row: TargetRow): WebhookTargetInfo {
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

export function deliveryFromRow(row: DeliveryRow): WebhookDelivery {
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

export function toTargetRow(t: ResolvedTarget, source: 'config' | 'store', now: string): TargetRow {
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
