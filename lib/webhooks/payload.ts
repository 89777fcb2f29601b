/**
 * The body of a delivery, made once when the record is committed and stored in the outbox, so that every
 * attempt sends the same bytes.
 */
import type { DeploymentRecord } from '../types';
import type { WebhookEventType, WebhookFormat } from './types';

/** The record in the read API's field names (kept in step with `read/export.ts`'s `toWire`). */
export function recordData(r: DeploymentRecord): Record<string, string | null> {
  return {
    Id: r.id,
    Date: r.date.toISOString(),
    FeedName: r.feedName,
    GroupName: r.groupName ?? null,
    PackageName: r.packageName,
    Version: r.version,
    Target: r.target,
    Application: r.application,
    UserName: r.userName,
    Description: r.description,
    Url: r.url ?? null,
    ReceivedAt: r.receivedAt.toISOString(),
  };
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
