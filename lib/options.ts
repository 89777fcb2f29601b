/**
 * Option checking shared by the factories: unknown keys get a "did you mean" hint, structural mistakes
 * throw at construction with a message that says how to fix them.
 */

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

/** Throws on option keys the factory does not know, suggesting the closest known one. */
export function checkOptionKeys(factory: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const best = [...known].sort((a, b) => distance(key.toLowerCase(), a.toLowerCase()) - distance(key.toLowerCase(), b.toLowerCase()))[0];
    const hint = best !== undefined && distance(key.toLowerCase(), best.toLowerCase()) <= 3 ? ` Did you mean "${best}"?` : '';
    throw new TypeError(`${factory}: unknown option "${key}".${hint} Known options: ${known.join(', ')}.`);
  }
}

/** Throws unless `value` has every named method. */
export function checkMethods(what: string, value: unknown, methods: readonly string[], fix: string): void {
  if (!value || typeof value !== 'object') throw new TypeError(`${what} must be an object. ${fix}`);
  for (const m of methods) {
    if (typeof (value as Record<string, unknown>)[m] !== 'function') {
      throw new TypeError(`${what} has no ${m}() method. ${fix}`);
    }
  }
}

/** Throws when a factory was handed to `app.use()` without being called. */
export function checkCalledAsFactory(factory: string, args: IArguments): void {
  const [first, second, third] = Array.from(args) as unknown[];
  const looksLikeRequest = !!first && typeof first === 'object' && 'method' in first && 'headers' in first;
  if (looksLikeRequest || (typeof third === 'function' && !!second)) {
    throw new TypeError(`${factory} was mounted without being called. Write app.use(${factory}({ ... })), not app.use(${factory}).`);
  }
}
