/**
 * `package-deployments webhooks targets|add|remove|deliveries|redeliver`: webhook targets and the
 * outbox, in the database the server records into (PACKAGE_DEPLOYMENTS_DATABASE). A new target's secret
 * comes from PACKAGE_DEPLOYMENTS_WEBHOOK_SECRET, or is made and printed once; it is never listed.
 */
import { createKnexStore } from '../store/knex-store';
import { generateWebhookSecret } from '../webhooks/signing';
import type { WebhookDeliveryStatus, WebhookEventType, WebhookFormat } from '../webhooks/types';
import { helpText, parseArgs, text, type FlagSpec } from './args';
import { ENV } from './env';
import { EXIT, UsageError } from './errors';
import { knexFromEnv } from './keys';
import type { Verb } from './verb';

/** Where `webhooks add` reads the target's secret (never from the command line). */
export const WEBHOOK_SECRET_ENV = 'PACKAGE_DEPLOYMENTS_WEBHOOK_SECRET';

const FLAGS: readonly FlagSpec[] = [
  { name: 'url', value: true, help: 'add: the target URL (http or https)' },
  { name: 'events', value: true, help: 'add: comma-separated events (default: deployment.created)' },
  { name: 'feeds', value: true, help: 'add: comma-separated feeds (default: every feed)' },
  { name: 'format', value: true, help: 'add: standard (default) or proget' },
  { name: 'allow-private', value: false, help: 'add: allow loopback, private and metadata addresses' },
  { name: 'status', value: true, help: 'deliveries: pending, delivered or failed' },
  { name: 'target', value: true, help: 'deliveries: only this target' },
  { name: 'record', value: true, help: 'deliveries: only this record id' },
  { name: 'limit', value: true, help: 'deliveries: how many, newest first (default 100, at most 1000)' },
  { name: 'json', value: false, help: 'print JSON' },
];

const list = (value: string | undefined) => value?.split(',').map((v) => v.trim()).filter(Boolean);

export const webhooksVerb: Verb = {
  name: 'webhooks',
  summary: 'list, add or remove webhook targets; list and redeliver deliveries',
  help: () => helpText(
    'package-deployments webhooks targets | add <name> --url <url> [--events a,b] [--feeds a,b] [--format proget] | remove <name> | deliveries [--status failed] [--target t] [--record id] [--limit n] | redeliver <id>',
    'Webhook targets and deliveries in the database the server records into. `add` takes the secret from ' +
      `${WEBHOOK_SECRET_ENV} ("whsec_..."), or makes one and prints it once. Secrets are never listed. ` +
      'A redelivery is sent by the server\'s delivery worker, with the same webhook-id.',
    FLAGS,
    `Environment: ${ENV.DATABASE} (required): an SQLite file, or a postgres:// or mysql:// URL; ${WEBHOOK_SECRET_ENV} (add).`,
  ),
  async run(argv, io) {
    const args = parseArgs(argv, FLAGS);
    if (args.help) {
      io.stdout.write(webhooksVerb.help());
      return EXIT.OK;
    }
    const [action, name, ...rest] = args.positional;
    if (rest.length > 0) throw new UsageError(`unexpected ${rest.join(' ')}.`);
    const actions = ['targets', 'add', 'remove', 'deliveries', 'redeliver'];
    if (!action || !actions.includes(action)) throw new UsageError(`say webhooks ${actions.join(', webhooks ')}.`);
    if ((action === 'add' || action === 'remove' || action === 'redeliver') && !name) throw new UsageError(`webhooks ${action} needs the ${action === 'redeliver' ? "delivery's id" : "target's name"}.`);
    if (action === 'add' && !text(args, 'url')) throw new UsageError('webhooks add needs --url.');
    const status = text(args, 'status');
    if (status !== undefined && !['pending', 'delivered', 'failed'].includes(status)) throw new UsageError('--status must be pending, delivered or failed.');
    const limit = text(args, 'limit');
    if (limit !== undefined && !(/^\d+$/.test(limit) && Number(limit) >= 1 && Number(limit) <= 1000)) throw new UsageError('--limit must be a whole number from 1 to 1000.');
    const json = args.flags.has('json');
    const knex = knexFromEnv(io.env);
    const store = createKnexStore({ knex });
    try {
      await store.init();
      if (action === 'targets') {
        const targets = await store.listWebhookTargets();
        if (json) io.stdout.write(`${JSON.stringify(targets, null, 2)}\n`);
        else for (const t of targets) io.stdout.write(`${[t.name, t.url, t.events.join(','), t.feeds?.join(',') ?? '*', t.format, t.source, t.disabledAt ? `disabled ${t.disabledAt.toISOString()}` : 'enabled'].join('\t')}\n`);
        return EXIT.OK;
      }
      if (action === 'add') {
        const given = io.env[WEBHOOK_SECRET_ENV];
        const secret = given || generateWebhookSecret();
        try {
          const info = await store.addWebhookTarget({
            name: name!,
            url: text(args, 'url')!,
            secret,
            ...(list(text(args, 'events')) ? { events: list(text(args, 'events')) as WebhookEventType[] } : {}),
            ...(list(text(args, 'feeds')) ? { feeds: list(text(args, 'feeds')) } : {}),
            ...(text(args, 'format') ? { format: text(args, 'format') as WebhookFormat } : {}),
          }, { allowPrivateTargets: args.flags.has('allow-private') });
          if (json) io.stdout.write(`${JSON.stringify(given ? info : { ...info, secret })}\n`);
          else if (!given) io.stdout.write(`${secret}\n`);
          io.stderr.write(`added webhook target "${info.name}"${given ? '' : '; its secret is shown this once'}.\n`);
          return EXIT.OK;
        } catch (err) {
          if (err instanceof TypeError) {
            io.stderr.write(`package-deployments webhooks: ${err.message}\n`);
            return EXIT.REJECTED;
          }
          throw err;
        }
      }
      if (action === 'remove') {
        if (!(await store.removeWebhookTarget(name!))) {
          io.stderr.write(`no webhook target named "${name}".\n`);
          return EXIT.NOT_FOUND;
        }
        io.stderr.write(`removed webhook target "${name}".\n`);
        return EXIT.OK;
      }
      if (action === 'redeliver') {
        const delivery = await store.redeliverWebhook(name!);
        if (!delivery) {
          io.stderr.write(`no webhook delivery has the id "${name}".\n`);
          return EXIT.NOT_FOUND;
        }
        if (json) io.stdout.write(`${JSON.stringify(delivery)}\n`);
        io.stderr.write(`delivery ${delivery.id} (${delivery.webhookId}) is ${delivery.status}; the server's worker sends it.\n`);
        return EXIT.OK;
      }
      const page = await store.listWebhookDeliveries({
        ...(status ? { status: status as WebhookDeliveryStatus } : {}),
        ...(text(args, 'target') ? { target: text(args, 'target') } : {}),
        ...(text(args, 'record') ? { recordId: text(args, 'record') } : {}),
        ...(limit ? { limit: Number(limit) } : {}),
      });
      if (json) io.stdout.write(`${JSON.stringify(page.deliveries, null, 2)}\n`);
      else {
        for (const d of page.deliveries) {
          io.stdout.write(`${[d.id, d.webhookId, d.target, d.recordId, d.status, `${d.attempts} attempt(s)`, d.lastStatus ?? '-', d.lastError ?? ''].join('\t')}\n`);
        }
      }
      return EXIT.OK;
    } finally {
      await store.close();
      await knex.destroy();
    }
  },
};
