/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): `webhook-signature` holds
 * `v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}">`, one per secret, space-separated,
 * so that a receiver keeps verifying while a secret is rotated. Secrets are `whsec_` + base64 of 24 to 64
 * random bytes.
 */
import { createHmac, randomBytes } from 'node:crypto';

export const SECRET_PREFIX = 'whsec_';

/** A new random signing secret (`whsec_` + base64 of 32 bytes). */
export function generateWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

/** Why a secret is not usable, or `undefined` when it is. Never echoes the secret. */
export function secretProblem(secret: unknown): string | undefined {
  if (typeof secret !== 'string') return 'must be a string such as "whsec_..." (see generateWebhookSecret()).';
  if (!secret.startsWith(SECRET_PREFIX)) return 'must start with "whsec_" (Standard Webhooks); make one with generateWebhookSecret().';
  const body = secret.slice(SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body) || body.length % 4 !== 0) return 'must be "whsec_" followed by base64.';
  const bytes = Buffer.from(body, 'base64').length;
  if (bytes < 24 || bytes > 64) return `must hold 24 to 64 bytes after "whsec_" (it holds ${bytes}).`;
  return undefined;
}

/** The `webhook-signature` value for one message: `v1,<sig>` per secret, in the order given. */
export function signWebhook(secrets: readonly string[], webhookId: string, timestampSeconds: number, body: string): string {
  const content = `${webhookId}.${timestampSeconds}.${body}`;
  return secrets
    .map((secret) => `v1,${createHmac('sha256', Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64')).update(content).digest('base64')}`)
    .join(' ');
}

/** The three Standard Webhooks headers of one attempt. */
export function webhookHeaders(secrets: readonly string[], webhookId: string, body: string, now: Date = new Date()): Record<string, string> {
  const timestamp = Math.floor(now.getTime() / 1000);
  return {
    'webhook-id': webhookId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signWebhook(secrets, webhookId, timestamp, body),
  };
}
