/**
 * Key intervals: which version keys (./keys.ts) a range can match, so that a query selects only the rows
 * whose key is in them (plus the unkeyed ones). An interval may be wider than the range (`!=`, PEP 440's
 * pre-release rules), never narrower: the range's own test decides on the rows the interval selects.
 */
import semver from 'semver';
import { parsePep440Specifiers, parsePep440Version, type Pep440Specifier, type Pep440Version } from './pypi';
import { parseVersSyntax, VERS_TYPE_SCHEMES } from './vers';
import { mavenKey, nugetKey, num, pep440Base, pypiKey, SCHEME_KEYS, semverKey } from './keys';
import type { KeyInterval } from '../types/versions';

const ALL: KeyInterval[] = [{}];

function intersectOne(a: KeyInterval, b: KeyInterval): KeyInterval | undefined {
  const out: KeyInterval = {};
  const from = a.from === undefined ? b : b.from === undefined ? a : a.from > b.from ? a : a.from < b.from ? b : a.fromInclusive ? b : a;
  if (from.from !== undefined) [out.from, out.fromInclusive] = [from.from, from.fromInclusive];
  const to = a.to === undefined ? b : b.to === undefined ? a : a.to < b.to ? a : a.to > b.to ? b : a.toInclusive ? b : a;
  if (to.to !== undefined) [out.to, out.toInclusive] = [to.to, to.toInclusive];
  if (out.from !== undefined && out.to !== undefined && (out.from > out.to || (out.from === out.to && !(out.fromInclusive && out.toInclusive)))) return undefined;
  return out;
}

/** The intersection of two unions of intervals. */
export function intersectIntervals(a: readonly KeyInterval[], b: readonly KeyInterval[]): KeyInterval[] {
  const out: KeyInterval[] = [];
  for (const x of a) for (const y of b) {
    const i = intersectOne(x, y);
    if (i) out.push(i);
  }
  return out;
}

type Bound = { version: string; inclusive: boolean } | undefined;

/** An interval of versions as keys; an unkeyable bound leaves that side open (wider, never narrower). */
function between(key: (v: string) => string | undefined, low: Bound, high: Bound): KeyInterval {
  const out: KeyInterval = {};
  const lk = low && key(low.version);
  if (low && lk !== undefined) [out.from, out.fromInclusive] = [lk, low.inclusive];
  const hk = high && key(high.version);
  if (high && hk !== undefined) [out.to, out.toInclusive] = [hk, high.inclusive];
  return out;
}

function intervalNotation(text: string, key: (v: string) => string | undefined, bareMeans: 'exact' | 'minimum'): KeyInterval[] | undefined {
  const t = text.replace(/\s+/g, '');
  if (/^[[(]/.test(t)) {
    const out: KeyInterval[] = [];
    const re = /([[(])([^[\]()]*)([\])]),?/gy;
    let m: RegExpExecArray | null;
    while ((m = re.exec(t)) !== null) {
      const [, open, body, close] = m as unknown as [string, string, string, string];
      const parts = body.split(',');
      if (parts.length === 1) out.push(between(key, { version: parts[0]!, inclusive: true }, { version: parts[0]!, inclusive: true }));
      else out.push(between(key, parts[0] ? { version: parts[0], inclusive: open === '[' } : undefined, parts[1] ? { version: parts[1], inclusive: close === ']' } : undefined));
      if (re.lastIndex >= t.length) break;
    }
    return out.length > 0 ? out : undefined;
  }
  if (/^[<>=]/.test(text.trim())) return comparators(text, key);
  return [between(key, { version: text.trim(), inclusive: true }, bareMeans === 'exact' ? { version: text.trim(), inclusive: true } : undefined)];
}

function comparators(text: string, key: (v: string) => string | undefined): KeyInterval[] {
  let out: KeyInterval[] = ALL;
  const parts = text.trim().split(/[\s,]+/).filter(Boolean);
  for (let i = 0; i < parts.length; i++) {
    let part = parts[i]!;
    if (/^(<=|>=|<|>|=)$/.test(part) && i + 1 < parts.length) part += parts[++i];
    const m = /^(<=|>=|<|>|=)(.+)$/.exec(part);
    if (!m) return ALL;
    const [op, v] = [m[1]!, m[2]!];
    const one = op === '<' || op === '<=' ? between(key, undefined, { version: v, inclusive: op === '<=' }) : op === '=' ? between(key, { version: v, inclusive: true }, { version: v, inclusive: true }) : between(key, { version: v, inclusive: op === '>=' }, undefined);
    out = intersectIntervals(out, [one]);
  }
  return out;
}

function semverIntervals(text: string): KeyInterval[] {
  let range: semver.Range;
  try {
    range = new semver.Range(text.trim(), { loose: true, includePrerelease: true });
  } catch {
    return ALL;
  }
  const out: KeyInterval[] = [];
  for (const set of range.set) {
    let acc: KeyInterval[] = ALL;
    for (const c of set) {
      // "*" (any version) is a comparator with an empty value.
      if (c.value === '') continue;
      const v = c.semver.version;
      const op = c.operator;
      const one = op.startsWith('<') ? between(semverKey, undefined, { version: v, inclusive: op === '<=' }) : op.startsWith('>') ? between(semverKey, { version: v, inclusive: op === '>=' }, undefined) : between(semverKey, { version: v, inclusive: true }, { version: v, inclusive: true });
      acc = intersectIntervals(acc, [one]);
    }
    out.push(...acc);
  }
  return out;
}

function pep440SpecIntervals(s: Pep440Specifier): KeyInterval[] {
  if (s.op === '!=') return ALL;
  if (s.op === '===') {
    const v = parsePep440Version(s.text);
    const base = v && pep440Base(v);
    return base === undefined ? [] : [{ from: base + '0', fromInclusive: true, to: base + '2', toInclusive: false }];
  }
  const v = s.version!;
  const base = pep440Base(v);
  const full = pypiKey(v.text);
  if (base === undefined || full === undefined) return ALL;
  const prefixIntervals = (spec: Pep440Version): KeyInterval[] => {
    const written = spec.releaseAsWritten.map((r) => 'E' + num(r)).join('');
    const stripped = spec.release.map((r) => 'E' + num(r)).join('');
    const epoch = num(spec.epoch)!;
    return [
      { from: epoch + stripped + 'C', fromInclusive: true, to: epoch + stripped + 'C~', toInclusive: false },
      { from: epoch + written, fromInclusive: true, to: epoch + written + '~', toInclusive: false },
    ];
  };
  switch (s.op) {
    case '==':
      if (s.prefix) return prefixIntervals(v);
      return v.local ? [{ from: full, fromInclusive: true, to: full, toInclusive: true }] : [{ from: base + '0', fromInclusive: true, to: base + '2', toInclusive: false }];
    case '~=':
      return intersectIntervals([{ from: full, fromInclusive: true }], prefixIntervals({ ...v, releaseAsWritten: v.releaseAsWritten.slice(0, -1), release: trimZeros(v.releaseAsWritten.slice(0, -1)) }));
    case '<':
      return [{ to: full, toInclusive: false }];
    case '<=':
      return [{ to: base + '2', toInclusive: false }];
    case '>':
      return [{ from: full, fromInclusive: false }];
    case '>=':
      return [{ from: full, fromInclusive: true }];
  }
}

function trimZeros(r: bigint[]): bigint[] {
  const out = r.slice();
  while (out.length > 0 && out[out.length - 1] === 0n) out.pop();
  return out;
}

function pypiIntervals(text: string): KeyInterval[] {
  const specs = parsePep440Specifiers(text);
  if (!specs) return ALL;
  return specs.reduce<KeyInterval[]>((acc, s) => intersectIntervals(acc, pep440SpecIntervals(s)), ALL);
}

function versIntervals(text: string, key: (v: string) => string | undefined): KeyInterval[] {
  let parsed;
  try {
    parsed = parseVersSyntax(text);
  } catch {
    return ALL;
  }
  if (parsed.constraints === '*') return ALL;
  const out: KeyInterval[] = [];
  const point = (v: string) => between(key, { version: v, inclusive: true }, { version: v, inclusive: true });
  const bounds = parsed.constraints.filter((c) => c.comparator !== '!=');
  for (const c of bounds) if (c.comparator === '=' || c.comparator === '<=' || c.comparator === '>=') out.push(point(c.version));
  const cmp = bounds.filter((c) => c.comparator !== '=');
  if (cmp.length > 0 && cmp[0]!.comparator.startsWith('<')) out.push(between(key, undefined, { version: cmp[0]!.version, inclusive: true }));
  const last = cmp[cmp.length - 1];
  if (last && last.comparator.startsWith('>')) out.push(between(key, { version: last.version, inclusive: true }, undefined));
  for (let i = 0; i + 1 < cmp.length; i++) {
    if (cmp[i]!.comparator.startsWith('>') && cmp[i + 1]!.comparator.startsWith('<')) {
      out.push(between(key, { version: cmp[i]!.version, inclusive: true }, { version: cmp[i + 1]!.version, inclusive: true }));
    }
  }
  return out;
}

/**
 * The key intervals holding every keyed version that range `text` of scheme `schemeName` matches
 * (`undefined` for a scheme without keys). An empty list means no keyed version can match.
 */
export function rangeKeyIntervals(schemeName: string, text: string): KeyInterval[] | undefined {
  const key = SCHEME_KEYS[schemeName];
  if (!key) return undefined;
  if (text.startsWith('vers:')) {
    const type = /^vers:([^/]*)\//.exec(text)?.[1];
    return type !== undefined && VERS_TYPE_SCHEMES[type] === schemeName ? versIntervals(text, key) : ALL;
  }
  switch (schemeName) {
    case 'semver':
      return semverIntervals(text);
    case 'nuget':
      return intervalNotation(text, nugetKey, 'minimum') ?? ALL;
    case 'maven':
      return intervalNotation(text, mavenKey, 'exact') ?? ALL;
    case 'pypi':
      return pypiIntervals(text);
  }
  return ALL;
}
