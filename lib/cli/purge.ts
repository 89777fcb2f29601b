/**
 * `package-deployments purge`: applies a retention policy through the purge API (needs
 * `Feeds_DeletePackage`). A dry run unless `--yes`: it prints what would be deleted, per package.
 */
import { helpText, parseArgs, text, type FlagSpec } from './args';
import { clientFromEnv, ENV_HELP } from './env';
import { EXIT, UsageError } from './errors';
import type { Verb } from './verb';

const FLAGS: readonly FlagSpec[] = [
  { name: 'feed', value: true, help: 'the feed to purge', required: true },
  { name: 'group', value: true, help: 'only this group' },
  { name: 'package', value: true, help: 'only this package' },
  { name: 'target', value: true, help: 'only this target' },
  { name: 'keep-latest', value: true, help: 'records kept per package and target (at least 1)' },
  { name: 'older-than', value: true, help: 'drop records older than this: 90d, 12h, 2w, P90D' },
  { name: 'before', value: true, help: 'drop records deployed before this ISO 8601 date' },
  { name: 'keep-previous', value: false, help: "keep the record before each target's current one too" },
  { name: 'yes', value: false, help: 'delete for real (without it: a dry run that deletes nothing)' },
  { name: 'json', value: false, help: "print the server's JSON answer" },
];

export const purgeVerb: Verb = {
  name: 'purge',
  summary: 'apply a retention policy (a dry run unless --yes)',
  help: () => helpText(
    'package-deployments purge --feed <f> (--keep-latest <n> | --older-than <d> | --before <date>) [options]',
    "Deletes old records of a feed (POST /api/package-deployment/purge; needs Feeds_DeletePackage). Never a target's current record. Without --yes, a dry run: prints what would be deleted, per package, and deletes nothing.",
    FLAGS,
    ENV_HELP,
  ),
  async run(argv, io) {
    const args = parseArgs(argv, FLAGS);
    if (args.help) {
      io.stdout.write(purgeVerb.help());
      return EXIT.OK;
    }
    const keep = text(args, 'keep-latest');
    if (keep !== undefined && !/^\d+$/.test(keep)) throw new UsageError('--keep-latest must be a whole number, at least 1.');
    if (keep === undefined && text(args, 'older-than') === undefined && text(args, 'before') === undefined) {
      throw new UsageError('say what to drop: --keep-latest <n>, --older-than <duration> and/or --before <date>.');
    }
    const answer = await clientFromEnv(io.env).purge({
      feed: text(args, 'feed')!,
      group: text(args, 'group'),
      package: text(args, 'package'),
      target: text(args, 'target'),
      keepLatest: keep !== undefined ? Number(keep) : undefined,
      olderThan: text(args, 'older-than'),
      before: text(args, 'before'),
      keepPrevious: args.flags.get('keep-previous') === true ? true : undefined,
      dryRun: args.flags.get('yes') !== true,
    });
    if (args.flags.get('json') === true) {
      io.stdout.write(`${JSON.stringify(answer)}\n`);
      return EXIT.OK;
    }
    io.stdout.write(answer.dryRun
      ? `dry run: ${answer.matched} record(s) would be deleted (of ${answer.scanned} looked at); run again with --yes to delete them.\n`
      : `deleted ${answer.deleted} record(s) (of ${answer.scanned} looked at).\n`);
    for (const p of answer.byPackage) io.stdout.write(`${p.feedName}\t${p.groupName ?? ''}\t${p.packageName}\t${p.count}\n`);
    return EXIT.OK;
  },
};
