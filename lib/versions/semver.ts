/**
 * The semver scheme (npm, UPack, Helm): versions and ranges as the `semver` package reads them
 * (loose parsing, so `v1.2.3` and `1.2.3-beta1` work). `<13.0.1`, `^1.2`, `~1.2.3`, `1.x`,
 * `>=1.0.0 <2.0.0`, `1.0.0 - 1.4.0`, `||` all work.
 *
 * Prereleases are included: `<13.0.1` matches `13.0.1-beta1` and `13.0.0-rc.1`. npm excludes them when
 * installing, but a deployed prerelease is still deployed, and an audit must see it.
 */
import semver from 'semver';
import { compareOrFallback, type VersionScheme } from './scheme';

const OPTIONS = { loose: true, includePrerelease: true } as const;

function parse(version: string): semver.SemVer | undefined {
  return semver.parse(version.trim(), OPTIONS) ?? undefined;
}

export const semverScheme: VersionScheme = Object.freeze({
  name: 'semver',
  isValid: (version: string) => parse(version) !== undefined,
  compare: (a: string, b: string) => compareOrFallback(parse, (x, y) => x.compare(y), a, b),
  parseRange(text: string) {
    let range: semver.Range;
    try {
      range = new semver.Range(text.trim(), OPTIONS);
    } catch {
      return undefined;
    }
    return (version: string) => {
      const v = parse(version);
      return v !== undefined && range.test(v);
    };
  },
});
