/**
 * The NuGet scheme: versions of one to four numeric parts (`1.0` = `1.0.0` = `1.0.0.0`), an optional
 * prerelease label compared case-insensitively (`1.0.0-Beta` = `1.0.0-beta`), `+metadata` ignored; and
 * NuGet's interval notation:
 *
 * | range | means |
 * |---|---|
 * | `1.0` | 1.0 or later (NuGet's minimum version) |
 * | `[1.0]` | exactly 1.0 |
 * | `(,1.0]` / `(,1.0)` | at most / below 1.0 |
 * | `[1.0,2.0)` | 1.0 or later, below 2.0 |
 * | `(1.0,)` | above 1.0 |
 *
 * Comparators (`<13.0.1`, `>=1.0 <2.0`) are read too.
 */
import { compareOrFallback, parseComparators, parseIntervals, type VersionScheme } from './scheme';

export interface NuGetVersion {
  parts: [number, number, number, number];
  /** Prerelease identifiers, lower-cased; empty for a release. */
  prerelease: string[];
}

const VERSION = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/i;

export function parseNuGetVersion(text: string): NuGetVersion | undefined {
  const m = VERSION.exec(text.trim());
  if (!m) return undefined;
  const parts = [m[1], m[2], m[3], m[4]].map((p) => (p === undefined ? 0 : Number(p))) as NuGetVersion['parts'];
  if (parts.some((p) => !Number.isSafeInteger(p))) return undefined;
  return { parts, prerelease: m[5] ? m[5].toLowerCase().split('.') : [] };
}

function compareIdentifiers(a: string, b: string): number {
  const an = /^\d+$/.test(a);
  const bn = /^\d+$/.test(b);
  if (an && bn) return Math.sign(Number(a) - Number(b));
  if (an) return -1;
  if (bn) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareNuGetVersions(a: NuGetVersion, b: NuGetVersion): number {
  for (let i = 0; i < 4; i++) {
    if (a.parts[i] !== b.parts[i]) return Math.sign(a.parts[i]! - b.parts[i]!);
  }
  // A release is later than its prereleases.
  if (a.prerelease.length === 0 || b.prerelease.length === 0) return Math.sign(b.prerelease.length - a.prerelease.length);
  for (let i = 0; i < Math.min(a.prerelease.length, b.prerelease.length); i++) {
    const c = compareIdentifiers(a.prerelease[i]!, b.prerelease[i]!);
    if (c !== 0) return c;
  }
  return Math.sign(a.prerelease.length - b.prerelease.length);
}

export const nugetScheme: VersionScheme = Object.freeze({
  name: 'nuget',
  isValid: (version: string) => parseNuGetVersion(version) !== undefined,
  compare: (a: string, b: string) => compareOrFallback(parseNuGetVersion, compareNuGetVersions, a, b),
  parseRange(text: string) {
    const trimmed = text.trim();
    let test: ((v: NuGetVersion) => boolean) | undefined;
    if (/^[[(]/.test(trimmed)) test = parseIntervals(trimmed, parseNuGetVersion, compareNuGetVersions, false);
    else if (/^[<>=]/.test(trimmed)) test = parseComparators(trimmed, parseNuGetVersion, compareNuGetVersions);
    else {
      const min = parseNuGetVersion(trimmed);
      if (min !== undefined) test = (v) => compareNuGetVersions(v, min) >= 0;
    }
    if (!test) return undefined;
    const t = test;
    return (version: string) => {
      const v = parseNuGetVersion(version);
      return v !== undefined && t(v);
    };
  },
});
