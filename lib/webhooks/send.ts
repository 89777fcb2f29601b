/**
 * One delivery attempt: POST the stored body with fresh Standard Webhooks headers, within a bounded time,
 * following no redirect, to an address the URL-safety check allows. Answers what happened; never throws.
 * The answer's body is read (at most 1 KiB is kept, for the delivery's `lastError`) and never trusted.
 */
import http from 'node:http';
import https from 'node:https';
import { webhookHeaders } from './signing';
import type { ClaimedWebhookDelivery, WebhookAttemptOutcome } from './types';
import { PrivateTargetError, safeLookup, urlProblem } from './url-safety';

export interface SendOptions {
  timeoutMs: number;
  allowPrivateTargets: boolean;
  maxRetryAfterMs: number;
  agents: { http: http.Agent; https: https.Agent };
  userAgent: string;
}

const KEEP = 1024;

/** Milliseconds a `Retry-After` value asks for (seconds or an HTTP date), capped; `undefined` when absent or unreadable. */
export function retryAfterMs(value: string | undefined, max: number, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const text = value.trim();
  let ms: number;
  if (/^\d+$/.test(text)) ms = Number(text) * 1000;
  else {
    const date = Date.parse(text);
    if (Number.isNaN(date)) return undefined;
    ms = date - now;
  }
  return Math.min(Math.max(ms, 0), max);
}

export function sendDelivery(delivery: ClaimedWebhookDelivery, options: SendOptions): Promise<WebhookAttemptOutcome> {
  const base = { id: delivery.id, claim: delivery.claim, target: delivery.target };
  const done = (fields: Partial<WebhookAttemptOutcome> & { ok: boolean }): WebhookAttemptOutcome => ({ ...base, at: new Date(), ...fields });
  if (delivery.targetMissing) return Promise.resolve(done({ ok: false, final: true, error: `The target "${delivery.target}" was removed; not sent.` }));
  if (delivery.targetDisabled) return Promise.resolve(done({ ok: false, final: true, error: `The target "${delivery.target}" is disabled (it answered 410 Gone); not sent.` }));
  const problem = urlProblem(delivery.url, options.allowPrivateTargets);
  if (problem) return Promise.resolve(done({ ok: false, error: `The target URL ${problem}` }));

  return new Promise((resolve) => {
    const url = new URL(delivery.url);
    const body = Buffer.from(delivery.payload, 'utf8');
    const secure = url.protocol === 'https:';
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (outcome: WebhookAttemptOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const req = (secure ? https : http).request(
      url,
      {
        method: 'POST',
        agent: secure ? options.agents.https : options.agents.http,
        lookup: options.allowPrivateTargets ? undefined : safeLookup,
        headers: {
          'content-type': 'application/json',
          'content-length': String(body.length),
          'user-agent': options.userAgent,
          ...webhookHeaders(delivery.secrets, delivery.webhookId, delivery.payload),
        },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        let kept = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (kept.length < KEEP) kept += chunk.slice(0, KEEP - kept.length);
        });
        res.on('error', () => undefined);
        res.on('end', () => {
          if (status >= 200 && status < 300) {
            finish(done({ ok: true, status }));
            return;
          }
          const header = res.headers['retry-after'];
          const after = retryAfterMs(Array.isArray(header) ? header[0] : header, options.maxRetryAfterMs);
          const note = status >= 300 && status < 400 ? ' (redirects are not followed)' : '';
          const text = kept.replace(/\s+/g, ' ').trim();
          finish(done({
            ok: false,
            status,
            gone: status === 410,
            retryAfterMs: after,
            error: `HTTP ${status} ${res.statusMessage ?? ''}`.trim() + note + (text ? `: ${text.slice(0, 300)}` : ''),
          }));
        });
      },
    );
    timer = setTimeout(() => {
      req.destroy();
      finish(done({ ok: false, error: `No complete answer within ${options.timeoutMs} ms (timeoutMs).` }));
    }, options.timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => {
      const reason = err instanceof PrivateTargetError || err.code === 'EWEBHOOKPRIVATE' ? err.message : `${err.code ?? 'error'}: ${err.message}`;
      finish(done({ ok: false, error: reason }));
    });
    req.end(body);
  });
}
