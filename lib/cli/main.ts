#!/usr/bin/env node
/**
 * The `package-deployments` command: `package-deployments <verb> [options]`. Each verb is a file of this
 * folder, listed in verbs.ts. Exit codes: see errors.ts `EXIT` (README, "CLI").
 */
import { DeploymentsClientError } from '../client';
import { EXIT, exitCodeOfStatus, UsageError } from './errors';
import { VERBS } from './verbs';
import type { CliIo, Verb } from './verb';

function overview(verbs: readonly Verb[]): string {
  const width = Math.max(...verbs.map((v) => v.name.length));
  return [
    'Usage: package-deployments <verb> [options]   (package-deployments <verb> --help for its options)',
    '',
    'Verbs:',
    ...verbs.map((v) => `  ${v.name.padEnd(width)}  ${v.summary}`),
    '',
    `Exit codes: ${EXIT.OK} done, ${EXIT.ERROR} unexpected error, ${EXIT.USAGE} wrong command line, ${EXIT.REJECTED} input refused (400/413/415),`,
    `  ${EXIT.FORBIDDEN} credentials refused (401/403), ${EXIT.NOT_FOUND} not found (404), ${EXIT.UNAVAILABLE} server unreachable or failing (5xx).`,
    '',
  ].join('\n');
}

/** Runs the CLI with `argv` (without node and the script); resolves with the exit code. */
export async function runCli(argv: readonly string[], io: CliIo, verbs: readonly Verb[] = VERBS): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const verb = name === 'help' ? verbs.find((v) => v.name === rest[0]) : undefined;
    io.stdout.write(verb ? verb.help() : overview(verbs));
    return name === undefined ? EXIT.USAGE : EXIT.OK;
  }
  const verb = verbs.find((v) => v.name === name);
  try {
    if (!verb) throw new UsageError(`unknown verb "${name}"; verbs: ${verbs.map((v) => v.name).join(', ')}.`);
    return await verb.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`package-deployments${verb ? ` ${verb.name}` : ''}: ${err.message}\n(see package-deployments ${verb ? `${verb.name} ` : ''}--help)\n`);
      return EXIT.USAGE;
    }
    if (err instanceof DeploymentsClientError) {
      io.stderr.write(`package-deployments ${verb!.name}: ${err.message}\n`);
      return exitCodeOfStatus(err.status);
    }
    io.stderr.write(`package-deployments ${verb?.name ?? ''}: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT.ERROR;
  }
}

if (require.main === module) {
  void runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then((code) => {
    process.exitCode = code;
  });
}
