/**
 * The one options layer. Every public factory reads its options here once, at construction: a copy is
 * taken (later changes to the caller's object change nothing), unknown names are refused with the
 * closest valid one, and structural mistakes throw an {@link OptionsError} whose message says how to
 * fix them and whose `code` a program can test.
 */

/** The stable codes of {@link OptionsError}. */
export type OptionsErrorCode =
  /** An option name the factory does not know (usually a typo: the message names the closest one). */
  | 'unknown_option'
  /** An option an earlier version took, since removed or renamed: the message names its replacement. */
  | 'removed_option'
  /** An option has the wrong type or an out-of-range value; or the options are not an object. */
  | 'invalid_option'
  /** A required option is missing. */
  | 'missing_option'
  /** A factory was handed to `app.use()` without being called. */
  | 'not_called';

/** Thrown at construction by every factory for options it cannot use. A `TypeError`, with a stable `code`. */
export class OptionsError extends TypeError {
  override readonly name = 'OptionsError';
  readonly code: OptionsErrorCode;
  /** The factory that refused its options, such as `"createKnexStore"`. */
  readonly factory: string;
  /** The option at fault, when there is one (`"filenam"`, `"limits.Target"`). */
  readonly option?: string;
  /** For `unknown_option`: the closest valid name, when one is close. */
  readonly suggestion?: string;

  constructor(code: OptionsErrorCode, factory: string, message: string, details: { option?: string; suggestion?: string } = {}) {
    super(message);
    this.code = code;
    this.factory = factory;
    if (details.option !== undefined) this.option = details.option;
    if (details.suggestion !== undefined) this.suggestion = details.suggestion;
  }
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

/** The known name closest to `key` (case-insensitively), when it is close enough to be a typo. */
export function closestName(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const name of known) {
    const d = distance(key.toLowerCase(), name.toLowerCase());
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(key.length / 2)) ? best : undefined;
}

/** Throws on option keys the factory does not know, suggesting the closest known one. */
export function checkOptionKeys(factory: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const best = closestName(key, known);
    const hint = best !== undefined ? ` Did you mean "${best}"?` : '';
    throw new OptionsError(
      'unknown_option',
      factory,
      `${factory}: unknown option "${key}".${hint} Known options: ${known.join(', ')}.`,
      best === undefined ? { option: key } : { option: key, suggestion: best },
    );
  }
}

/**
 * Every option name of `T`, checked by the compiler both ways: a name `T` does not have is an error,
 * and so is leaving one of `T`'s names out (the error names the missing one).
 *
 * @example
 * const KNOWN = optionNames<KnexStoreOptions>()('knex', 'filename', 'migrate');
 */
export function optionNames<T extends object>() {
  return <const K extends readonly (keyof T & string)[]>(
    ...names: K & ([Exclude<keyof T & string, K[number]>] extends [never] ? unknown : { missingOptionNames: Exclude<keyof T & string, K[number]> })
  ): readonly (keyof T & string)[] => names;
}

/**
 * Reads a factory's options once: `undefined` is `{}` unless `required`; anything but a plain object
 * throws; a `removed` name throws with its replacement; unknown names throw with the closest valid one. Returns a frozen shallow copy, the factory's
 * private view from then on.
 */
export function readOptions<T extends object>(
  factory: string,
  options: T | undefined,
  known: readonly (keyof T & string)[],
  usage: string,
  { required = false, removed = {} }: { required?: boolean; removed?: Readonly<Record<string, string>> } = {},
): Readonly<T> {
  if (options === undefined && !required) return Object.freeze({}) as Readonly<T>;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new OptionsError(required && options === undefined ? 'missing_option' : 'invalid_option', factory, `${factory}(options) needs an options object, for example ${usage}.`);
  }
  for (const name of Object.keys(removed)) {
    if (Object.prototype.hasOwnProperty.call(options, name)) throw new OptionsError('removed_option', factory, `${factory}: ${removed[name]}`, { option: name });
  }
  checkOptionKeys(factory, options, known);
  return Object.freeze({ ...options });
}

/** Throws an `invalid_option` OptionsError naming the option and what it must be. */
export function invalidOption(factory: string, option: string, mustBe: string): never {
  throw new OptionsError('invalid_option', factory, `${factory}: ${option} ${mustBe}`, { option });
}

/** Throws unless `value` has every named method. */
export function checkMethods(what: string, value: unknown, methods: readonly string[], fix: string): void {
  const [factory = what, option] = what.split(': ');
  if (!value || typeof value !== 'object') throw new OptionsError('invalid_option', factory, `${what} must be an object. ${fix}`, option ? { option } : {});
  for (const m of methods) {
    if (typeof (value as Record<string, unknown>)[m] !== 'function') {
      throw new OptionsError('invalid_option', factory, `${what} has no ${m}() method. ${fix}`, option ? { option } : {});
    }
  }
}

/** Throws when a factory was handed to `app.use()` without being called. */
export function checkCalledAsFactory(factory: string, args: IArguments): void {
  const [first, second, third] = Array.from(args) as unknown[];
  const looksLikeRequest = !!first && typeof first === 'object' && 'method' in first && 'headers' in first;
  if (looksLikeRequest || (typeof third === 'function' && !!second)) {
    throw new OptionsError('not_called', factory, `${factory} was mounted without being called. Write app.use(${factory}({ ... })), not app.use(${factory}).`);
  }
}
