/**
 * Webhook options and targets, checked once: a structural mistake throws at construction with a message
 * that says how to fix it (and never quotes a secret).
 */
import { checkOptionKeys } from '../options';
import type { Logger } from '../types';
import { secretProblem } from './signing';
import type { WebhookEventType, WebhookFormat, WebhookOptions, WebhookTargetConfig } from './types';
import { urlProblem } from './url-safety';

export const WEBHOOK_EVENT_TYPES: readonly WebhookEventType[] = ['deployment.created', 'deployment.removed'];
export const WEBHOOK_FORMATS: readonly WebhookFormat[] = ['standard', 'proget'];

/** The Standard Webhooks retry schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
export const DEFAULT_RETRY_SCHEDULE: readonly number[] = Object.freeze([
  5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000,
]);

export const WEBHOOK_DEFAULTS = Object.freeze({
  deliver: true,
  timeoutMs: 10_000,
  concurrency: 16,
  pollIntervalMs: 1_000,
  maxRetryAfterMs: 86_400_000,
  allowPrivateTargets: false,
});

const OPTION_KEYS = ['targets', 'deliver', 'retrySchedule', 'maxRetryAfterMs', 'timeoutMs', 'concurrency', 'pollIntervalMs', 'allowPrivateTargets', 'logger'] as const;
const TARGET_KEYS = ['name', 'url', 'secret', 'events', 'feeds', 'format'] as const;

/** A target, checked and with its defaults filled in. */
export interface ResolvedTarget {
  name: string;
  url: string;
  secrets: string[];
  events: WebhookEventType[];
  feeds?: string[];
  format: WebhookFormat;
}

export interface ResolvedWebhookOptions {
  targets: ResolvedTarget[];
  deliver: boolean;
  retrySchedule: number[];
  maxRetryAfterMs: number;
  timeoutMs: number;
  concurrency: number;
  pollIntervalMs: number;
  allowPrivateTargets: boolean;
  logger?: Logger;
}

/** Checks one target; throws a TypeError naming the field at fault. */
export function resolveTarget(what: string, target: WebhookTargetConfig, allowPrivateTargets: boolean): ResolvedTarget {
  if (!target || typeof target !== 'object') throw new TypeError(`${what} must be an object { name, url, secret }.`);
  checkOptionKeys(what, target, TARGET_KEYS);
  if (typeof target.name !== 'string' || !/^[A-Za-z0-9._-]{1,100}$/.test(target.name)) {
    throw new TypeError(`${what}.name must be 1 to 100 letters, digits, ".", "_" or "-" (it names the target in the outbox).`);
  }
  const urlIssue = urlProblem(target.url, allowPrivateTargets);
  if (urlIssue) throw new TypeError(`${what} "${target.name}": url ${urlIssue}`);
  const secrets = typeof target.secret === 'string' ? [target.secret] : Array.isArray(target.secret) ? [...target.secret] : [];
  if (secrets.length === 0) throw new TypeError(`${what} "${target.name}": secret is required: "whsec_..." (see generateWebhookSecret()), or a list of them during a rotation.`);
  secrets.forEach((s, i) => {
    const issue = secretProblem(s);
    if (issue) throw new TypeError(`${what} "${target.name}": secret${secrets.length > 1 ? ` ${i + 1}` : ''} ${issue}`);
  });
  const events = target.events === undefined ? ['deployment.created' as const] : [...target.events];
  if (!Array.isArray(target.events ?? []) || events.length === 0 || events.some((e) => !WEBHOOK_EVENT_TYPES.includes(e))) {
    throw new TypeError(`${what} "${target.name}": events must be a non-empty list of ${WEBHOOK_EVENT_TYPES.map((e) => `"${e}"`).join(', ')}.`);
  }
  let feeds: string[] | undefined;
  if (target.feeds !== undefined) {
    if (!Array.isArray(target.feeds) || target.feeds.some((f) => typeof f !== 'string' || f.trim() === '')) {
      throw new TypeError(`${what} "${target.name}": feeds must be a list of feed names (leave it out for every feed).`);
    }
    feeds = [...target.feeds];
  }
  const format = target.format ?? 'standard';
  if (!WEBHOOK_FORMATS.includes(format)) throw new TypeError(`${what} "${target.name}": format must be "standard" or "proget".`);
  return { name: target.name, url: target.url, secrets: [...new Set(secrets)], events: [...new Set(events)], feeds, format };
}

function positive(what: string, name: string, value: unknown, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw new TypeError(`${what}.${name} must be a whole number of at least ${min} (got ${String(value)}).`);
  return value;
}

/** Parses the `webhooks` option once. */
export function resolveWebhookOptions(what: string, options: WebhookOptions): ResolvedWebhookOptions {
  if (!options || typeof options !== 'object') throw new TypeError(`${what} must be an object such as { targets: [{ name, url, secret }] }.`);
  checkOptionKeys(what, options, OPTION_KEYS);
  const allowPrivateTargets = options.allowPrivateTargets ?? WEBHOOK_DEFAULTS.allowPrivateTargets;
  if (typeof allowPrivateTargets !== 'boolean') throw new TypeError(`${what}.allowPrivateTargets must be true or false.`);
  if (options.targets !== undefined && !Array.isArray(options.targets)) throw new TypeError(`${what}.targets must be a list of { name, url, secret }.`);
  const targets = (options.targets ?? []).map((t, i) => resolveTarget(`${what}.targets[${i}]`, t, allowPrivateTargets));
  const names = new Set<string>();
  for (const t of targets) {
    if (names.has(t.name)) throw new TypeError(`${what}.targets: the name "${t.name}" is used twice; names are unique.`);
    names.add(t.name);
  }
  const schedule = options.retrySchedule ?? DEFAULT_RETRY_SCHEDULE;
  if (!Array.isArray(schedule) || schedule.some((d) => typeof d !== 'number' || !Number.isFinite(d) || d < 0)) {
    throw new TypeError(`${what}.retrySchedule must be a list of delays in milliseconds, such as [5000, 300000] (an empty list sends once).`);
  }
  const deliver = options.deliver ?? WEBHOOK_DEFAULTS.deliver;
  if (typeof deliver !== 'boolean') throw new TypeError(`${what}.deliver must be true or false.`);
  return {
    targets,
    deliver,
    retrySchedule: [...schedule],
    maxRetryAfterMs: positive(what, 'maxRetryAfterMs', options.maxRetryAfterMs, WEBHOOK_DEFAULTS.maxRetryAfterMs, 0),
    timeoutMs: positive(what, 'timeoutMs', options.timeoutMs, WEBHOOK_DEFAULTS.timeoutMs),
    concurrency: positive(what, 'concurrency', options.concurrency, WEBHOOK_DEFAULTS.concurrency),
    pollIntervalMs: positive(what, 'pollIntervalMs', options.pollIntervalMs, WEBHOOK_DEFAULTS.pollIntervalMs),
    allowPrivateTargets,
    logger: options.logger,
  };
}

/** True when `target` wants `type` events of `feed`. */
export function targetWants(target: Pick<ResolvedTarget, 'events' | 'feeds'>, type: WebhookEventType, feed: string): boolean {
  if (!target.events.includes(type)) return false;
  if (target.feeds === undefined) return true;
  const wanted = feed.toLowerCase();
  return target.feeds.some((f) => f === '*' || f.toLowerCase() === wanted);
}
