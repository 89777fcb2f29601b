/**
 * Which OSV ecosystem each feed holds (the router's `ecosystems` option), and how an ecosystem's package
 * name reads as a record's group and name: NuGet `Newtonsoft.Json` (no group; names case-insensitive),
 * npm `@scope/name` (group `@scope`), Maven `groupId:artifactId` (group and name), PyPI `zope.interface`
 * (PEP 503 normalised).
 */
import type { VersionSchemeSetting } from '../types';

/** The ecosystems advisories can be matched in, and the version scheme of each. */
export const ECOSYSTEM_SCHEMES: Readonly<Record<string, string>> = Object.freeze({ NuGet: 'nuget', npm: 'semver', Maven: 'maven', PyPI: 'pypi' });

/** What the `ecosystems` option maps a feed to: an ecosystem name, or `false` for none. */
export type EcosystemSetting = string | false;

const FROM_SCHEME_SETTING: Record<string, string> = { nuget: 'NuGet', npm: 'npm', maven: 'Maven', pypi: 'PyPI' };

function checkEcosystem(value: unknown, where: string): string | undefined {
  if (value === false || value === undefined || value === null) return undefined;
  const known = Object.keys(ECOSYSTEM_SCHEMES);
  const name = known.find((k) => k.toLowerCase() === String(value).toLowerCase());
  if (!name) throw new TypeError(`${where}: unknown ecosystem "${String(value)}". Use one of: ${known.join(', ')}, or false for none.`);
  return name;
}

/**
 * Resolves the `ecosystems` option once: a map of feed name (case-insensitive) to ecosystem, or a
 * function of the feed name. A feed it does not name takes its ecosystem from its `versionSchemes`
 * setting when that names one (`nuget` → NuGet, `npm` → npm, `maven` → Maven, `pypi` → PyPI); `semver`,
 * `upack` and `helm` feeds hold no advisory ecosystem unless mapped.
 */
export function ecosystemResolver(
  setting: Readonly<Record<string, EcosystemSetting>> | ((feed: string) => EcosystemSetting | undefined) | undefined,
  schemes: Readonly<Record<string, VersionSchemeSetting>> | ((feed: string) => VersionSchemeSetting | undefined) | undefined,
): { ecosystemOf(feed: string): string | undefined; namedFeeds: string[] } {
  const byFeed = new Map<string, string | undefined>();
  const named: string[] = [];
  if (typeof setting === 'object' && setting !== null) {
    for (const [feed, value] of Object.entries(setting)) {
      byFeed.set(feed.toLowerCase(), checkEcosystem(value, `createDeploymentRouter: options.ecosystems["${feed}"]`));
      named.push(feed);
    }
  } else if (setting !== undefined && typeof setting !== 'function') {
    throw new TypeError('createDeploymentRouter: options.ecosystems must map feed names to NuGet, npm, Maven or PyPI (or false), or be a function of the feed name.');
  }
  const fromScheme = (feed: string): string | undefined => {
    let value: VersionSchemeSetting | undefined;
    if (typeof schemes === 'function') value = schemes(feed);
    else if (schemes) value = Object.entries(schemes).find(([f]) => f.toLowerCase() === feed.toLowerCase())?.[1];
    return typeof value === 'string' ? FROM_SCHEME_SETTING[value.toLowerCase()] : undefined;
  };
  if (schemes && typeof schemes === 'object') named.push(...Object.keys(schemes));
  return {
    namedFeeds: named,
    ecosystemOf(feed) {
      if (typeof setting === 'function') {
        const v = setting(feed);
        if (v !== undefined) return checkEcosystem(v, `ecosystems("${feed}")`);
      } else if (byFeed.has(feed.toLowerCase())) return byFeed.get(feed.toLowerCase());
      return fromScheme(feed);
    },
  };
}

/** An ecosystem's package name as a record's group and name (`@babel/core` → `@babel`, `core`). */
export function recordNameOf(ecosystem: string, name: string): { group: string; name: string } {
  if (ecosystem === 'Maven') {
    const i = name.indexOf(':');
    return i < 0 ? { group: '', name } : { group: name.slice(0, i), name: name.slice(i + 1) };
  }
  if (ecosystem === 'npm' && name.startsWith('@')) {
    const i = name.indexOf('/');
    if (i > 0) return { group: name.slice(0, i), name: name.slice(i + 1) };
  }
  return { group: '', name };
}
