/**
 * `package-deployments advisories [file...]`: which targets run an affected version now, for OSV
 * advisories read from files (or `-` for stdin), or for `--purl` and `--range`. Prints one affected target
 * a line (tab-separated), reports on stderr; `--format json|csv|ndjson` prints the server's answer as it is.
 * `--fail-on-match` exits 7 when any target is affected (for CI).
 */
import { readFile } from 'node:fs/promises';
import { helpText, parseArgs, text, type FlagSpec } from './args';
import { clientFromEnv, ENV_HELP } from './env';
import { EXIT, UsageError } from './errors';
import type { CliIo, Verb } from './verb';

const FLAGS: readonly FlagSpec[] = [
  { name: 'purl', value: true, help: 'a package URL (pkg:nuget/Newtonsoft.Json), with --range' },
  { name: 'range', value: true, help: 'a version range for --purl: native to the ecosystem, or vers:' },
  { name: 'format', value: true, help: 'text (default: one affected target a line), json, csv or ndjson' },
  { name: 'fail-on-match', value: false, help: 'exit 7 when any target runs an affected version' },
];

/** The exit code of `--fail-on-match` when a target is affected. */
export const AFFECTED_EXIT = 7;

async function readInput(files: readonly string[], io: CliIo & { stdin?: NodeJS.ReadableStream }): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const file of files) {
    let content: string;
    if (file === '-') {
      const chunks: Buffer[] = [];
      for await (const c of (io.stdin ?? process.stdin) as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
      content = Buffer.concat(chunks).toString('utf8');
    } else {
      try {
        content = await readFile(file, 'utf8');
      } catch (err) {
        throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
      }
    }
    let json: unknown;
    try {
      json = JSON.parse(content);
    } catch (err) {
      throw new UsageError(`${file === '-' ? 'stdin' : file} is not JSON: ${(err as Error).message}`);
    }
    if (Array.isArray(json)) out.push(...json);
    else if (json && typeof json === 'object' && Array.isArray((json as { vulns?: unknown }).vulns)) out.push(...(json as { vulns: unknown[] }).vulns);
    else out.push(json);
  }
  return out;
}

export const advisoriesVerb: Verb = {
  name: 'advisories',
  summary: 'which targets run a version affected by advisories (OSV) now',
  help: () => helpText(
    'package-deployments advisories <osv.json|-> [...] | --purl <purl> --range <range> [--format text|json|csv|ndjson] [--fail-on-match]',
    'Sends OSV advisories (GHSA, osv.dev) to POST /api/package-deployment/advisories and prints each affected target: Advisory, Feed, Package, Version, Target, Since, Fixed (tab-separated). What could not be evaluated is printed on stderr.',
    FLAGS,
    ENV_HELP,
  ),
  async run(argv, io) {
    const args = parseArgs(argv, FLAGS);
    if (args.help) {
      io.stdout.write(advisoriesVerb.help());
      return EXIT.OK;
    }
    const purl = text(args, 'purl');
    const range = text(args, 'range');
    const format = (text(args, 'format') ?? 'text').toLowerCase();
    if (!['text', 'json', 'csv', 'ndjson'].includes(format)) throw new UsageError('--format must be text, json, csv or ndjson.');
    let body: unknown;
    if (purl !== undefined || range !== undefined) {
      if (purl === undefined || range === undefined) throw new UsageError('--purl and --range go together.');
      if (args.positional.length > 0) throw new UsageError('give advisory files or --purl/--range, not both.');
      body = { purl, range };
    } else {
      if (args.positional.length === 0) throw new UsageError('give one or more OSV files (or - for stdin), or --purl and --range.');
      body = await readInput(args.positional, io);
    }
    const client = clientFromEnv(io.env);
    if (format === 'csv' || format === 'ndjson') {
      const answer = (await client.advisories(body, { format })) as string;
      io.stdout.write(answer);
      const matches = format === 'csv' ? answer.trim().split('\r\n').length - 1 : answer.split('\n').filter((l) => l.startsWith('{"advisory"')).length;
      return args.flags.has('fail-on-match') && matches > 0 ? AFFECTED_EXIT : EXIT.OK;
    }
    const answer = (await client.advisories(body)) as { matches: Array<Record<string, unknown>>; reports: Array<Record<string, unknown>> };
    if (format === 'json') io.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
    else {
      for (const m of answer.matches) {
        const pkg = `${m.group ? `${m.group}/` : ''}${m.package}`;
        io.stdout.write(`${[m.advisory, m.feed, pkg, m.version, m.target, m.since, m.fixed ?? ''].join('\t')}\n`);
      }
      for (const r of answer.reports) io.stderr.write(`not evaluated: ${r.advisory} ${r.path}${r.feed ? ` (feed ${r.feed})` : ''}: ${r.problem}\n`);
      io.stderr.write(`${answer.matches.length} affected target${answer.matches.length === 1 ? '' : 's'}\n`);
    }
    return args.flags.has('fail-on-match') && answer.matches.length > 0 ? AFFECTED_EXIT : EXIT.OK;
  },
};
