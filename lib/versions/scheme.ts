/**
 * What a version scheme is: how it orders versions and which ranges it reads. One file per scheme
 * (semver.ts, nuget.ts, maven.ts); registry.ts picks one per feed.
 */

import type { VersionRange, VersionScheme } from '../types';

export type { VersionRange, VersionScheme };

/** Compares with unreadable versions first, then by text (used by the schemes' `compare`). */
export function compareOrFallback<T>(parse: (v: string) => T | undefined, cmp: (a: T, b: T) => number, a: string, b: string): number {
  const pa = parse(a);
  const pb = parse(b);
  if (pa !== undefined && pb !== undefined) return cmp(pa, pb);
  if (pa !== undefined) return 1;
  if (pb !== undefined) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Reads the comparator form every scheme accepts besides its own notation: one or more of
 * `<v`, `<=v`, `>v`, `>=v`, `=v` separated by spaces or commas, all of which must hold. Returns
 * `undefined` when `text` is not in that form or a version cannot be read.
 */
export function parseComparators<T>(text: string, parse: (v: string) => T | undefined, cmp: (a: T, b: T) => number): ((v: T) => boolean) | undefined {
  const parts = text.trim().split(/[\s,]+/).filter(Boolean);
  if (parts.length === 0) return undefined;
  const tests: Array<(v: T) => boolean> = [];
  for (let i = 0; i < parts.length; i++) {
    let part = parts[i]!;
    // "< 13.0.1": an operator on its own takes the next part.
    if (/^(<=|>=|<|>|=)$/.test(part) && i + 1 < parts.length) part += parts[++i];
    const m = /^(<=|>=|<|>|=)(.+)$/.exec(part);
    if (!m) return undefined;
    const bound = parse(m[2]!);
    if (bound === undefined) return undefined;
    const op = m[1]!;
    tests.push((v) => {
      const c = cmp(v, bound);
      return op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : op === '>=' ? c >= 0 : c === 0;
    });
  }
  return (v) => tests.every((t) => t(v));
}

/**
 * Reads interval notation as NuGet and Maven write it: `[1.0,2.0)`, `(,1.0]`, `[1.5,)`, `[1.0]`.
 * `union` allows several intervals separated by commas (Maven: `(,1.0],[1.2,)`).
 */
export function parseIntervals<T>(text: string, parse: (v: string) => T | undefined, cmp: (a: T, b: T) => number, union: boolean): ((v: T) => boolean) | undefined {
  const source = text.replace(/\s+/g, '');
  const intervals: Array<(v: T) => boolean> = [];
  const re = /([[(])([^[\]()]*)([\])])/y;
  let at = 0;
  while (at < source.length) {
    if (intervals.length > 0) {
      if (!union || source[at] !== ',') return undefined;
      at++;
    }
    re.lastIndex = at;
    const m = re.exec(source);
    if (!m) return undefined;
    at = re.lastIndex;
    const [, open, body, close] = m as unknown as [string, string, string, string];
    const pieces = body.split(',');
    if (pieces.length === 1) {
      // [1.0] is exactly 1.0; (1.0) means nothing.
      if (open !== '[' || close !== ']') return undefined;
      const exact = parse(pieces[0]!);
      if (exact === undefined) return undefined;
      intervals.push((v) => cmp(v, exact) === 0);
      continue;
    }
    if (pieces.length !== 2) return undefined;
    const [lowText, highText] = pieces as [string, string];
    const low = lowText === '' ? null : parse(lowText);
    const high = highText === '' ? null : parse(highText);
    if (low === undefined || high === undefined || (low === null && high === null && (open === '[' || close === ']'))) return undefined;
    if (low !== null && high !== null && cmp(low, high) > 0) return undefined;
    intervals.push((v) => {
      if (low !== null) {
        const c = cmp(v, low);
        if (open === '[' ? c < 0 : c <= 0) return false;
      }
      if (high !== null) {
        const c = cmp(v, high);
        if (close === ']' ? c > 0 : c >= 0) return false;
      }
      return true;
    });
  }
  if (intervals.length === 0) return undefined;
  return (v) => intervals.some((t) => t(v));
}
