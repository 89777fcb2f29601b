/**
 * The Maven scheme: versions ordered as Maven's `ComparableVersion` orders them (`1.0` = `1`,
 * `1.0-alpha-1` < `1.0-beta` < `1.0-milestone` < `1.0-rc` < `1.0-SNAPSHOT` < `1.0` < `1.0-sp`, unknown
 * qualifiers after those, alphabetically; case-insensitive), and Maven's ranges: `[1.0,2.0)`, `[1.5,)`,
 * `(,1.0],[1.2,)` (a union), `[1.0]` (exactly). A bare version (`1.0`) is a "soft requirement" in Maven;
 * as a filter it means exactly that version. Comparators (`<2.17.1`) are read too.
 */
import { compareOrFallback, parseComparators, parseIntervals, type VersionScheme } from './scheme';

type Item = { kind: 'int'; value: bigint } | { kind: 'string'; value: string } | { kind: 'list'; items: Item[] };

const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const ALIASES: Record<string, string> = { ga: '', final: '', release: '', cr: 'rc' };
const RELEASE_INDEX = String(QUALIFIERS.indexOf(''));

function stringItem(value: string, followedByDigit: boolean): Item {
  let v = value;
  if (followedByDigit && v.length === 1) v = v === 'a' ? 'alpha' : v === 'b' ? 'beta' : v === 'm' ? 'milestone' : v;
  return { kind: 'string', value: ALIASES[v] ?? v };
}

function parseItem(isDigit: boolean, text: string, followedByDigit = false): Item {
  if (isDigit) return { kind: 'int', value: BigInt(text.replace(/^0+(?=\d)/, '')) };
  return stringItem(text, followedByDigit);
}

const isNull = (item: Item): boolean =>
  item.kind === 'int' ? item.value === 0n : item.kind === 'string' ? item.value === '' : item.items.length === 0;

function normalize(list: Item[]): void {
  for (let i = list.length - 1; i >= 0; i--) {
    const last = list[i]!;
    if (isNull(last)) list.splice(i, 1);
    else if (last.kind !== 'list') break;
  }
}

/** Maven's ComparableVersion.parseVersion. */
export function parseMavenVersion(text: string): Item | undefined {
  const version = text.trim().toLowerCase();
  if (version === '' || !/^[0-9a-z._+-]+$/.test(version)) return undefined;
  const root: Item[] = [];
  let list = root;
  const stack: Item[][] = [root];
  let isDigit = false;
  let start = 0;
  for (let i = 0; i < version.length; i++) {
    const c = version[i]!;
    if (c === '.') {
      list.push(i === start ? { kind: 'int', value: 0n } : parseItem(isDigit, version.slice(start, i)));
      start = i + 1;
    } else if (c === '-') {
      list.push(i === start ? { kind: 'int', value: 0n } : parseItem(isDigit, version.slice(start, i)));
      start = i + 1;
      const next: Item[] = [];
      list.push({ kind: 'list', items: next });
      list = next;
      stack.push(next);
    } else if (c >= '0' && c <= '9') {
      if (!isDigit && i > start) {
        list.push(stringItem(version.slice(start, i), true));
        start = i;
        const next: Item[] = [];
        list.push({ kind: 'list', items: next });
        list = next;
        stack.push(next);
      }
      isDigit = true;
    } else {
      if (isDigit && i > start) {
        list.push(parseItem(true, version.slice(start, i)));
        start = i;
        const next: Item[] = [];
        list.push({ kind: 'list', items: next });
        list = next;
        stack.push(next);
      }
      isDigit = false;
    }
  }
  if (version.length > start) list.push(parseItem(isDigit, version.slice(start)));
  while (stack.length > 0) normalize(stack.pop()!);
  return { kind: 'list', items: root };
}

function comparableQualifier(q: string): string {
  const i = QUALIFIERS.indexOf(q);
  return i === -1 ? `${QUALIFIERS.length}-${q}` : String(i);
}

const cmpText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Compares an item with another, or with "nothing" (`null`), as ComparableVersion does. */
function compareItems(a: Item | null, b: Item | null): number {
  if (a === null) return b === null ? 0 : -compareItems(b, null);
  switch (a.kind) {
    case 'int':
      if (b === null) return a.value === 0n ? 0 : 1;
      if (b.kind === 'int') return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
      return 1;
    case 'string':
      if (b === null) return cmpText(comparableQualifier(a.value), RELEASE_INDEX);
      if (b.kind === 'int' || b.kind === 'list') return -1;
      return cmpText(comparableQualifier(a.value), comparableQualifier(b.value));
    case 'list': {
      if (b === null) return a.items.length === 0 ? 0 : compareItems(a.items[0]!, null);
      if (b.kind === 'int') return -1;
      if (b.kind === 'string') return 1;
      const n = Math.max(a.items.length, b.items.length);
      for (let i = 0; i < n; i++) {
        const c = compareItems(a.items[i] ?? null, b.items[i] ?? null);
        if (c !== 0) return c;
      }
      return 0;
    }
  }
}

export const compareMavenVersions = (a: Item, b: Item): number => compareItems(a, b);

export const mavenScheme: VersionScheme = Object.freeze({
  name: 'maven',
  isValid: (version: string) => parseMavenVersion(version) !== undefined,
  compare: (a: string, b: string) => compareOrFallback(parseMavenVersion, compareMavenVersions, a, b),
  parseRange(text: string) {
    const trimmed = text.trim();
    let test: ((v: Item) => boolean) | undefined;
    if (/^[[(]/.test(trimmed)) test = parseIntervals(trimmed, parseMavenVersion, compareMavenVersions, true);
    else if (/^[<>=]/.test(trimmed)) test = parseComparators(trimmed, parseMavenVersion, compareMavenVersions);
    else {
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
