/**
 * Version keys: a text per version that sorts, byte by byte, in its scheme's order, so that a database can
 * find a range of versions with an index range scan. Which keys a range can match: ./key-intervals.ts.
 *
 * A key is printable ASCII below `~`. A version a scheme cannot key (a Maven version of an unusual shape,
 * a version the scheme cannot read, a key longer than {@link MAX_KEY_LENGTH}) gets {@link UNKEYED} (`~`),
 * which sorts after every key: queries always include those rows and test them in JavaScript.
 */
import semver from 'semver';
import { parseMavenVersion, type MavenItem } from './maven';
import { parseNuGetVersion } from './nuget';
import { parsePep440Version, type Pep440Version } from './pypi';
import type { KeyInterval } from '../types/versions';

export type { KeyInterval };

/** The key of versions a scheme cannot key: after every real key. */
export const UNKEYED = '~';
/** The longest key stored (the column is 191 characters wide). */
export const MAX_KEY_LENGTH = 191;

/** A number that sorts by value: its digit count (2 digits) then its digits. */
export function num(n: bigint | number | string): string | undefined {
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

/** A PEP 440 version's key without its local part (`+...`); key intervals of specifiers are built on it. */
export function pep440Base(v: Pep440Version): string | undefined {
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
