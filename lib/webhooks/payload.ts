/**
 * The body of a delivery, made once when the record is committed and stored in the outbox, so that every
 * attempt sends the same bytes.
 */
import { toWire, type WireRecord } from '../read/export';
import type { DeploymentRecord } from '../types';
import type { WebhookEventType, WebhookFormat } from './types';

/**
 * The record in the read API's field names: `toWire` (the read API's own mapping), less `Removed`, which
 * the delivery's event type already says (`deployment.removed`).
 */
export function recordData(r: DeploymentRecord): Omit<WireRecord, 'Removed'> {
  const { Removed: _removed, ...data } = toWire(r);
  return data;
}

/** ProGet's event names for its default body. */
const PROGET_EVENTS: Record<WebhookEventType, string> = {
  'deployment.created': 'deployed',
  'deployment.removed': 'removed',
};

/** The JSON body for `format`. */
export function webhookBody(format: WebhookFormat, type: WebhookEventType, record: DeploymentRecord): string {
  if (format === 'proget') {
    return JSON.stringify({
      package: record.groupName ? `${record.groupName}/${record.packageName}` : record.packageName,
      version: record.version,
      event: PROGET_EVENTS[type],
      user: record.userName,
      feed: record.feedName,
    });
  }
  return JSON.stringify({ type, timestamp: record.receivedAt.toISOString(), data: recordData(record) });
}
