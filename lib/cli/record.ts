/** `package-deployments record`: records one deployment through the record endpoint. */
import { helpText, parseArgs, text, type FlagSpec } from './args';
import { clientFromEnv, ENV_HELP } from './env';
import { EXIT } from './errors';
import type { Verb } from './verb';

const FLAGS: readonly FlagSpec[] = [
  { name: 'application', value: true, help: 'the application or tool deploying', required: true },
  { name: 'target', value: true, help: 'where it was deployed (a server name)', required: true },
  { name: 'feed', value: true, help: 'the feed', required: true },
  { name: 'package', value: true, help: 'the package (@scope/name for an npm scope)', required: true },
  { name: 'version', value: true, help: 'the version', required: true },
  { name: 'description', value: true, help: 'a summary (default: empty)' },
  { name: 'group', value: true, help: 'group, scope or namespace' },
  { name: 'user', value: true, help: "who deployed (default: the credential's name)" },
  { name: 'url', value: true, help: 'an http(s) link with more information' },
  { name: 'date', value: true, help: 'when (ISO 8601; default: now)' },
];

export const recordVerb: Verb = {
  name: 'record',
  summary: 'record a deployment',
  help: () => helpText('package-deployments record --application <a> --target <t> --feed <f> --package <p> --version <v> [options]', 'Records one deployment (POST /api/package-deployment/). Prints nothing on success.', FLAGS, ENV_HELP),
  async run(argv, io) {
    const args = parseArgs(argv, FLAGS);
    if (args.help) {
      io.stdout.write(recordVerb.help());
      return EXIT.OK;
    }
    await clientFromEnv(io.env).record({
      Application: text(args, 'application')!,
      Description: text(args, 'description') ?? '',
      Target: text(args, 'target')!,
      FeedName: text(args, 'feed')!,
      PackageName: text(args, 'package')!,
      Version: text(args, 'version')!,
      GroupName: text(args, 'group'),
      UserName: text(args, 'user'),
      Url: text(args, 'url'),
      Date: text(args, 'date'),
    });
    return EXIT.OK;
  },
};
