/**
 * `package-deployments export`: every matching record, streamed to a file as CSV or NDJSON, with a
 * progress line on stderr (records and bytes so far; rewritten in place on a terminal).
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { helpText, parseArgs, text, type FlagSpec } from './args';
import { clientFromEnv, ENV_HELP } from './env';
import { EXIT, UsageError } from './errors';
import { READ_FLAGS, readQuery } from './read-flags';
import type { Verb } from './verb';

const FLAGS: readonly FlagSpec[] = [
  { name: 'output', value: true, help: 'the file to write (written whole, or not at all)', required: true },
  { name: 'format', value: true, help: 'csv or ndjson (default: from the file name, else csv)' },
  { name: 'current', value: false, help: "each target's latest record only" },
  ...READ_FLAGS,
  { name: 'limit', value: true, help: 'the most records to export' },
];

/** How often the progress line is written, in records, when stderr is not a terminal. */
export const PROGRESS_EVERY = 10_000;

export const exportVerb: Verb = {
  name: 'export',
  summary: 'export deployments to a CSV or NDJSON file',
  help: () => helpText('package-deployments export --output <file> --feed <f> [--format csv|ndjson] [--current] [filters]', 'Streams every matching record to a file, with a progress line on stderr.', FLAGS, ENV_HELP),
  async run(argv, io) {
    const args = parseArgs(argv, FLAGS);
    if (args.help) {
      io.stdout.write(exportVerb.help());
      return EXIT.OK;
    }
    const output = text(args, 'output')!;
    const format = (text(args, 'format') ?? (/\.ndjson$|\.jsonl$/i.test(output) ? 'ndjson' : 'csv')).toLowerCase();
    if (format !== 'csv' && format !== 'ndjson') throw new UsageError('--format must be csv or ndjson.');
    const res = await clientFromEnv(io.env).export(readQuery(args), { format, current: args.flags.has('current') });
    const partial = `${output}.partial`;
    const file = createWriteStream(partial);
    let records = 0;
    let bytes = 0;
    let lastLine = 0;
    const tty = io.stderr.isTTY === true;
    const progress = (done: boolean) => {
      const message = `exported ${records} record${records === 1 ? '' : 's'} (${bytes} bytes)${done ? ` to ${output}` : ''}`;
      io.stderr.write(tty ? `\r${message}${done ? '\n' : ''}` : `${message}\n`);
    };
    try {
      const reader = res.body!.getReader();
      // Records are counted as they stream: NDJSON has one a line; a CSV row ends at a line break outside
      // quotes (a Description may hold line breaks), and the first row is the header.
      let header = format === 'csv';
      let quoted = false;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        bytes += value.byteLength;
        for (const byte of value) {
          if (byte === 0x22 && format === 'csv') quoted = !quoted;
          else if (byte === 0x0a && !quoted) {
            if (header) header = false;
            else records++;
          }
        }
        if (!file.write(value)) await new Promise<void>((r) => file.once('drain', () => r()));
        const now = Date.now();
        if (tty ? now - lastLine > 200 : records - lastLine >= PROGRESS_EVERY) {
          lastLine = tty ? now : records - (records % PROGRESS_EVERY);
          progress(false);
        }
      }
      await new Promise<void>((resolve, reject) => file.end((err?: Error | null) => (err ? reject(err) : resolve())));
      await rename(partial, output);
    } catch (err) {
      file.destroy();
      await rm(partial, { force: true });
      throw err;
    }
    progress(true);
    return EXIT.OK;
  },
};
