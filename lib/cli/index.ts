/** The CLI as a module: run it, list its verbs, add one (other features do, one file a verb). */
export { runCli } from './main';
export { VERBS } from './verbs';
export { EXIT, UsageError, exitCodeOfStatus } from './errors';
export { ENV } from './env';
export { parseArgs, helpText, type FlagSpec, type ParsedArgs } from './args';
export type { Verb, CliIo } from './verb';
