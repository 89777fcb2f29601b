/**
 * The Maven scheme: versions ordered as the current Maven's `ComparableVersion` orders them (Maven 3.9/4:
 * `1.0` = `1`, `1.0-alpha-1` < `1.0-beta` < `1.0-milestone` < `1.0-rc` < `1.0-SNAPSHOT` < `1.0` = `1.0-ga`
 * < `1.0-sp`, unknown qualifiers after those, alphabetically; case-insensitive; `2.0.a` = `2-a` < `2-1`;
 * `1-0.alpha` < `1` (MNG-6964)), and Maven's ranges: `[1.0,2.0)`, `[1.5,)`, `(,1.0],[1.2,)` (a union),
 * `[1.0]` (exactly). A bare version (`1.0`) is a "soft requirement" in Maven; as a filter it means exactly
 * that version. Comparators (`<2.17.1`) are read too.
 *
 * Checked against the vectors of Maven's own ComparableVersionTest (`__tests__/vectors/maven.json`).
 */
import { compareOrFallback, parseComparators, parseIntervals, type VersionScheme } from './scheme';

/** One parsed item: a number, a qualifier, a qualifier followed by a number (`rc1`), or a sub-list. */
export type MavenItem =
  | { kind: 'int'; value: bigint }
  | { kind: 'string'; value: string }
  | { kind: 'combination'; text: string; digits: bigint }
  | { kind: 'list'; items: MavenItem[] };

const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const RELEASE_QUALIFIERS = new Set(['ga', 'final', 'release']);
const RELEASE_INDEX = String(QUALIFIERS.indexOf(''));
/** Maven refuses longer version strings (it bounds parsing cost); so do we. */
export const MAVEN_MAX_VERSION_LENGTH = 256;

function qualifier(value: string, followedByDigit: boolean): string {
  let v = value;
  if (followedByDigit && v.length === 1) v = v === 'a' ? 'alpha' : v === 'b' ? 'beta' : v === 'm' ? 'milestone' : v;
  return v === 'cr' ? 'rc' : v;
}

const isAsciiDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';

function number(text: string): MavenItem {
  const digits = text.replace(/^0+/, '');
  return { kind: 'int', value: digits === '' ? 0n : BigInt(digits) };
}

function item(combination: boolean, digit: boolean, text: string): MavenItem {
  if (combination) {
    const t = text.replace(/-/g, '');
    const at = t.search(/\d/);
    const split = at < 0 ? 0 : at;
    return { kind: 'combination', text: qualifier(t.slice(0, split), true), digits: (number(t.slice(split)) as { value: bigint }).value };
  }
  if (digit) return number(text);
  return { kind: 'string', value: qualifier(text, false) };
}

const isNull = (i: MavenItem): boolean =>
  i.kind === 'int' ? i.value === 0n : i.kind === 'string' ? i.value === '' : i.kind === 'list' ? i.items.length === 0 : false;

function normalize(list: MavenItem[]): void {
  for (let i = list.length - 1; i >= 0; i--) {
    if (i >= list.length || !isNull(list[i]!)) continue;
    const next = list[i + 1];
    if (next === undefined || next.kind === 'string') list.splice(i, 1);
    else if (next.kind === 'list') {
      const first = next.items[0];
      if (first === undefined || first.kind === 'combination' || first.kind === 'string') list.splice(i, 1);
    }
  }
  if (list.length === 1 && list[0]!.kind === 'list') list.splice(0, 1, ...list[0]!.items);
}

/** Parses a version as Maven's ComparableVersion does; `undefined` for an empty or over-long string. */
export function parseMavenVersion(text: string): MavenItem | undefined {
  const version = text.trim().toLowerCase();
  if (version === '' || version.length > MAVEN_MAX_VERSION_LENGTH || /\s/.test(version)) return undefined;
  const root: MavenItem[] = [];
  let list = root;
  const stack: MavenItem[][] = [root];
  const open = () => {
    const next: MavenItem[] = [];
    list.push({ kind: 'list', items: next });
    list = next;
    stack.push(next);
  };
  let digit = false;
  let combination = false;
  let start = 0;
  for (let i = 0; i < version.length; i++) {
    const c = version[i]!;
    if (c === '.') {
      list.push(i === start ? { kind: 'int', value: 0n } : item(combination, digit, version.slice(start, i)));
      combination = false;
      start = i + 1;
    } else if (c === '-') {
      if (i === start) list.push({ kind: 'int', value: 0n });
      else {
        // "X-1" reads as "X1".
        if (!digit && i !== version.length - 1 && isAsciiDigit(version[i + 1])) {
          combination = true;
          continue;
        }
        list.push(item(combination, digit, version.slice(start, i)));
      }
      start = i + 1;
      if (list.length > 0) open();
      combination = false;
    } else if (isAsciiDigit(c)) {
      if (!digit && i > start) {
        combination = true;
        if (list.length > 0) open();
      }
      digit = true;
    } else {
      if (digit && i > start) {
        list.push(item(combination, true, version.slice(start, i)));
        start = i;
        open();
        combination = false;
      }
      digit = false;
    }
  }
  if (version.length > start) {
    // "1.0.0.X1" < "1.0.0-X2": ".X" reads as "-X".
    if (!digit && list.length > 0) open();
    list.push(item(combination, digit, version.slice(start)));
  }
  while (stack.length > 0) normalize(stack.pop()!);
  return { kind: 'list', items: root };
}

function comparableQualifier(q: string): string {
  if (RELEASE_QUALIFIERS.has(q)) return RELEASE_INDEX;
  const i = QUALIFIERS.indexOf(q);
  return i === -1 ? `${QUALIFIERS.length}-${q}` : String(i);
}

const cmp = <T>(a: T, b: T) => (a < b ? -1 : a > b ? 1 : 0);
const intVsNull = (v: bigint) => (v === 0n ? 0 : 1);
const stringVsNull = (q: string) => cmp(comparableQualifier(q), RELEASE_INDEX);

/** Compares an item with another, or with "nothing" (`null`), with ComparableVersion's rules. */
function compareItems(a: MavenItem | null, b: MavenItem | null): number {
  if (a === null) return b === null ? 0 : -compareItems(b, null);
  switch (a.kind) {
    case 'int':
      if (b === null) return intVsNull(a.value);
      return b.kind === 'int' ? cmp(a.value, b.value) : 1;
    case 'string':
      if (b === null) return stringVsNull(a.value);
      if (b.kind === 'int') return -1;
      if (b.kind === 'string') return cmp(comparableQualifier(a.value), comparableQualifier(b.value));
      if (b.kind === 'combination') {
        const r = cmp(comparableQualifier(a.value), comparableQualifier(b.text));
        if (r !== 0) return r;
        return stringVsNull(a.value) === 0 ? -intVsNull(b.digits) : -1;
      }
      return -compareItems(b, a);
    case 'combination': {
      if (b === null) {
        const r = stringVsNull(a.text);
        return r === 0 ? intVsNull(a.digits) : r;
      }
      if (b.kind === 'int') return -1;
      if (b.kind === 'string') {
        const r = cmp(comparableQualifier(a.text), comparableQualifier(b.value));
        if (r !== 0) return r;
        return stringVsNull(a.text) === 0 ? intVsNull(a.digits) : 1;
      }
      if (b.kind === 'combination') {
        const r = cmp(comparableQualifier(a.text), comparableQualifier(b.text));
        return r !== 0 ? r : cmp(a.digits, b.digits);
      }
      return -compareItems(b, a);
    }
    case 'list': {
      if (b === null) {
        for (const i of a.items) {
          const r = compareItems(i, null);
          if (r !== 0) return r;
        }
        return 0;
      }
      if (b.kind === 'int') return -1;
      if (b.kind === 'string' || b.kind === 'combination') {
        let r = a.items.length === 0 ? -compareItems(b, null) : compareItems(a.items[0]!, b);
        for (let i = 1; r === 0 && i < a.items.length; i++) r = compareItems(a.items[i]!, null);
        return r;
      }
      const n = Math.max(a.items.length, b.items.length);
      for (let i = 0; i < n; i++) {
        const r = compareItems(a.items[i] ?? null, b.items[i] ?? null);
        if (r !== 0) return r;
      }
      return 0;
    }
  }
}

export const compareMavenVersions = (a: MavenItem, b: MavenItem): number => compareItems(a, b);

export const mavenScheme: VersionScheme = Object.freeze({
  name: 'maven',
  isValid: (version: string) => parseMavenVersion(version) !== undefined,
  compare: (a: string, b: string) => compareOrFallback(parseMavenVersion, compareMavenVersions, a, b),
  parseRange(text: string) {
    const trimmed = text.trim();
    let test: ((v: MavenItem) => boolean) | undefined;
    if (/^[[(]/.test(trimmed)) test = parseIntervals(trimmed, parseMavenVersion, compareMavenVersions, true);
    else if (/^[<>=]/.test(trimmed)) test = parseComparators(trimmed, parseMavenVersion, compareMavenVersions);
    else if (!/[\s,[\]()^~*|]/.test(trimmed)) {
      const exact = parseMavenVersion(trimmed);
      if (exact !== undefined) test = (v) => compareMavenVersions(v, exact) === 0;
    }
    if (!test) return undefined;
    const t = test;
    return (version: string) => {
      const v = parseMavenVersion(version);
      return v !== undefined && t(v);
    };
  },
});
