/** What a verb is: the CLI lists them in verbs.ts; other features add theirs there (one file a verb). */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

export interface Verb {
  /** The word after `package-deployments` (`record`, `keys`...). */
  name: string;
  /** One line for the verb list. */
  summary: string;
  /** The full `--help` text. */
  help(): string;
  /** Runs the verb; resolves with the exit code (see errors.ts `EXIT`). Throws UsageError for a wrong command line. */
  run(argv: readonly string[], io: CliIo): Promise<number>;
}
