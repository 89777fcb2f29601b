/** What `history` and `current` share: read a page (or all), print it as a table or JSON. */
import type { RecordPage, WireRecord } from '../client';
import { helpText, parseArgs, text, type FlagSpec } from './args';
import { clientFromEnv, ENV_HELP } from './env';
import { EXIT } from './errors';
import { READ_FLAGS, readQuery } from './read-flags';
import type { CliIo } from './verb';

const LIST_FLAGS: readonly FlagSpec[] = [
  ...READ_FLAGS,
  { name: 'limit', value: true, help: 'records a page (default 100)' },
  { name: 'cursor', value: true, help: 'the nextCursor of a previous page' },
  { name: 'all', value: false, help: 'every page, not just the first' },
  { name: 'json', value: false, help: 'print the JSON answer (one page; with --all, one record a line)' },
];

function line(r: WireRecord): string {
  const pkg = `${r.GroupName ? `${r.GroupName}/` : ''}${r.PackageName}`;
  return [r.Date, r.FeedName, pkg, r.Version, r.Target, r.Application, r.UserName].join('\t');
}

export function listHelp(verb: string, summary: string): string {
  return helpText(`package-deployments ${verb} --feed <f> [--package <p>] [filters] [--all] [--json]`, summary, LIST_FLAGS, `Prints one record a line: Date, Feed, Package, Version, Target, Application, User (tab-separated).\n${ENV_HELP}`);
}

export async function runList(argv: readonly string[], io: CliIo, current: boolean, help: () => string): Promise<number> {
  const args = parseArgs(argv, LIST_FLAGS);
  if (args.help) {
    io.stdout.write(help());
    return EXIT.OK;
  }
  const client = clientFromEnv(io.env);
  const query = { ...readQuery(args), cursor: text(args, 'cursor') };
  if (args.flags.has('all')) {
    for await (const record of client.all(query, { current })) io.stdout.write(`${args.flags.has('json') ? JSON.stringify(record) : line(record)}\n`);
    return EXIT.OK;
  }
  const page: RecordPage = current ? await client.current(query as never) : await client.history(query);
  if (args.flags.has('json')) io.stdout.write(`${JSON.stringify(page, null, 2)}\n`);
  else {
    for (const record of page.records) io.stdout.write(`${line(record)}\n`);
    if (page.nextCursor) io.stderr.write(`more: --cursor ${page.nextCursor} (or --all)\n`);
  }
  return EXIT.OK;
}
