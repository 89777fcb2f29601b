/**
 * Version keys: a text per version that sorts, byte by byte, in its scheme's order, so that a database can
 * find a range of versions with an index range scan. And key intervals: which keys a range can match.
 *
 * A key is printable ASCII below `~`. A version a scheme cannot key (a Maven version of an unusual shape,
 * a version the scheme cannot read, a key longer than {@link MAX_KEY_LENGTH}) gets {@link UNKEYED} (`~`),
 * which sorts after every key: queries always include those rows and test them in JavaScript. Key
 * intervals may be wider than the range (`!=`, PEP 440's pre-release rules): the range's own test decides
 * on the rows the interval selects, so a key interval only ever narrows the search, never the answer.
 */
import semver from 'semver';
import { parseMavenVersion, type MavenItem } from './maven';
import { parseNuGetVersion } from './nuget';
import { parsePep440Specifiers, parsePep440Version, type Pep440Specifier, type Pep440Version } from './pypi';
import { parseVersSyntax, VERS_TYPE_SCHEMES } from './vers';
import type { KeyInterval } from '../types/versions';

export type { KeyInterval };

/** The key of versions a scheme cannot key: after every real key. */
export const UNKEYED = '~';
/** The longest key stored (the column is 191 characters wide). */
export const MAX_KEY_LENGTH = 191;

/** A number that sorts by value: its digit count (2 digits) then its digits. */
function num(n: bigint | number | string): string | undefined {
  const digits = String(n).replace(/^0+(?=\d)/, '');
  return digits.length > 99 ? undefined : String(digits.length).padStart(2, '0') + digits;
}

const fit = (key: string | undefined) => (key === undefined || key.length > MAX_KEY_LENGTH ? undefined : key);

/** Prerelease identifiers: numbers before words, numbers by value, words by ASCII; fewer before more. */
function prereleaseKey(ids: readonly (string | number)[]): string | undefined {
  if (ids.length === 0) return 'Z';
  let key = 'A';
  for (const id of ids) {
    const text = String(id);
    if (/^\d+$/.test(text)) {
      const n = num(text);
      if (n === undefined) return undefined;
      key += 'N' + n;
    } else {
      if (!/^[0-9A-Za-z-]+$/.test(text)) return undefined;
      key += 'S' + text + '!';
    }
  }
  return key + '#';
}

export function semverKey(version: string): string | undefined {
  const v = semver.parse(version.trim(), { loose: true });
  if (!v) return undefined;
  const parts = [v.major, v.minor, v.patch].map(num);
  const pre = prereleaseKey(v.prerelease);
  if (parts.includes(undefined) || pre === undefined) return undefined;
  return fit('E' + parts.join('') + pre);
}

export function nugetKey(version: string): string | undefined {
  const v = parseNuGetVersion(version);
  if (!v) return undefined;
  const pre = prereleaseKey(v.prerelease);
  return pre === undefined ? undefined : fit('E' + v.parts.map((p) => num(p)!).join('') + pre);
}

// Maven: keyed for the shapes real versions have: numbers, then at most one qualifier list whose first
// item is a word (or word+number, "rc1") followed by numbers ("1.0-beta-2", "31.1-jre", "5.3.20.RELEASE",
// "1.0-SNAPSHOT"). Anything else is UNKEYED (and tested in JavaScript).
const MAVEN_QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const MAVEN_RELEASE = new Set(['ga', 'final', 'release', '']);

function mavenQualifierKey(q: string): string | undefined {
  if (!/^[a-z]+$/.test(q)) return undefined;
  const i = MAVEN_QUALIFIERS.indexOf(q);
  return (i === -1 ? `7${q}` : String(i)) + '!';
}

export function mavenKey(version: string): string | undefined {
  const parsed = parseMavenVersion(version);
  if (!parsed || parsed.kind !== 'list') return undefined;
  const items = parsed.items.slice();
  // "0", "0.0": nothing at all, before every other keyed version.
  if (items.length === 0) return 'C';
  if (items[0]!.kind !== 'int') return undefined;
  let key = '';
  let i = 0;
  for (; i < items.length && items[i]!.kind === 'int'; i++) {
    const n = num((items[i] as { value: bigint }).value);
    if (n === undefined) return undefined;
    key += 'E' + n;
  }
  if (i < items.length) {
    if (i !== items.length - 1) return undefined;
    const list = items[i]!;
    if (list.kind !== 'list' || list.items.length === 0) return undefined;
    const [first, ...rest] = list.items as [MavenItem, ...MavenItem[]];
    if (rest.some((r) => r.kind !== 'int')) return undefined;
    let q: string;
    let digits: bigint | undefined;
    if (first.kind === 'string') q = first.value;
    else if (first.kind === 'combination') [q, digits] = [first.text, first.digits];
    else return undefined;
    if (MAVEN_RELEASE.has(q)) {
      // "1.0-ga" is "1.0"; "1-ga1" and "1-ga.1" are left to JavaScript.
      if (digits !== undefined || rest.length > 0) return undefined;
      return fit(key + 'C');
    }
    const qk = mavenQualifierKey(q);
    if (qk === undefined) return undefined;
    const positive = MAVEN_QUALIFIERS.indexOf(q) === -1 || MAVEN_QUALIFIERS.indexOf(q) > MAVEN_QUALIFIERS.indexOf('');
    key += (positive ? 'D' : 'B') + qk + (digits === undefined ? 'a' : 'b' + num(digits));
    for (const r of rest) {
      const n = num((r as { value: bigint }).value);
      if (n === undefined) return undefined;
      key += 'E' + n;
    }
    key += 'C';
  }
  return fit(key + 'C');
}

function pep440Base(v: Pep440Version): string | undefined {
  const parts = [num(v.epoch)];
  for (const r of v.release) parts.push('E', num(r));
  if (parts.includes(undefined)) return undefined;
  let key = parts.join('') + 'C';
  if (v.pre) key += ({ a: 'a', b: 'b', rc: 'c' } as const)[v.pre.label] + num(v.pre.n);
  else key += v.post === undefined && v.dev !== undefined ? '0' : 'z';
  key += v.post === undefined ? '0' : '1' + num(v.post);
  key += v.dev === undefined ? 'z' : '1' + num(v.dev);
  return key.includes('undefined') ? undefined : key;
}

function pep440Local(v: Pep440Version): string | undefined {
  if (v.local === undefined) return '0';
  let key = '1';
  for (const seg of v.local) {
    if (typeof seg === 'bigint') {
      const n = num(seg);
      if (n === undefined) return undefined;
      key += 'B' + n;
    } else key += 'A' + seg + '!';
  }
  return key + '#';
}

export function pypiKey(version: string): string | undefined {
  const v = parsePep440Version(version);
  if (!v) return undefined;
  const base = pep440Base(v);
  const local = pep440Local(v);
  return base === undefined || local === undefined ? undefined : fit(base + local);
}

/** The key function of each built-in scheme. */
export const SCHEME_KEYS: Readonly<Record<string, (version: string) => string | undefined>> = Object.freeze({
  semver: semverKey,
  nuget: nugetKey,
  maven: mavenKey,
  pypi: pypiKey,
});

/** The key to store for `version` in a feed using scheme `schemeName`: its key, or {@link UNKEYED}. */
export function versionKey(schemeName: string, version: string): string {
  const f = SCHEME_KEYS[schemeName];
  return (f && f(version)) ?? UNKEYED;
}

// ---------------------------------------------------------------------------------------------------
// Key intervals of ranges
// ---------------------------------------------------------------------------------------------------

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
