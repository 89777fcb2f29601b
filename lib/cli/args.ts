/** Command-line arguments: `--name value`, `--name=value`, boolean `--flag`, and positionals. */
import { UsageError } from './errors';

export interface FlagSpec {
  /** `--name` (kebab-case). */
  name: string;
  /** Takes a value (else a boolean switch). */
  value: boolean;
  /** For --help. */
  help: string;
  required?: boolean;
}

export interface ParsedArgs {
  flags: Map<string, string | true>;
  positional: string[];
  help: boolean;
}

/** Parses `argv` against `specs`; unknown flags and missing values are usage errors naming the flag. */
export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[]): ParsedArgs {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const spec = byName.get(name);
    if (!spec) {
      const known = specs.map((s) => `--${s.name}`).join(', ');
      throw new UsageError(`unknown option --${name}${known ? `; known options: ${known}` : ''}.`);
    }
    if (!spec.value) {
      if (eq >= 0) throw new UsageError(`--${name} takes no value.`);
      flags.set(name, true);
      continue;
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value.`);
    if (flags.has(name)) throw new UsageError(`--${name} is given more than once.`);
    flags.set(name, value);
  }
  if (!help) {
    const missing = specs.filter((s) => s.required && !flags.has(s.name)).map((s) => `--${s.name}`);
    if (missing.length > 0) throw new UsageError(`missing ${missing.join(', ')}.`);
  }
  return { flags, positional, help };
}

/** The flag's text value, or `undefined`. */
export function text(args: ParsedArgs, name: string): string | undefined {
  const value = args.flags.get(name);
  return typeof value === 'string' ? value : undefined;
}

/** The help text of a verb: usage, summary, options. */
export function helpText(usage: string, summary: string, specs: readonly FlagSpec[], extra = ''): string {
  const width = Math.max(0, ...specs.map((s) => s.name.length + (s.value ? 8 : 0)));
  const lines = specs.map((s) => `  --${`${s.name}${s.value ? ' <value>' : ''}`.padEnd(width + 1)} ${s.help}${s.required ? ' (required)' : ''}`);
  return `Usage: ${usage}\n\n${summary}\n${lines.length ? `\nOptions:\n${lines.join('\n')}\n` : ''}${extra ? `\n${extra}\n` : ''}`;
}
