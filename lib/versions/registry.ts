/**
 * The version schemes by name, which scheme a feed type uses, and which scheme a feed uses under the
 * router's `versionSchemes` option.
 */
import { DeploymentError } from '../http/errors';
import { mavenScheme } from './maven';
import { nugetScheme } from './nuget';
import { pypiScheme } from './pypi';
import type { KeyInterval, VersionRange, VersionScheme, VersionSchemeSetting } from '../types';
import { semverScheme } from './semver';
import { parseVers, VersError } from './vers';
import { rangeKeyIntervals } from './key-intervals';

/** The built-in schemes. `npm` is another name for `semver`. */
export const VERSION_SCHEMES: Readonly<Record<string, VersionScheme>> = Object.freeze({
  semver: semverScheme,
  npm: semverScheme,
  nuget: nugetScheme,
  maven: mavenScheme,
  pypi: pypiScheme,
});

/** The scheme each feed type uses (the feed types of the wire contract's download URL layouts). */
export const FEED_TYPE_SCHEMES: Readonly<Record<string, string>> = Object.freeze({
  nuget: 'nuget',
  npm: 'semver',
  maven: 'maven',
  upack: 'semver',
  universal: 'semver',
  helm: 'semver',
  pypi: 'pypi',
});

/**
 * The bound on a range's size, so that testing one version against a range costs at most a few hundred
 * comparisons: at most `maxLength` characters and `maxParts` parts (versions, comparators and bounds: the
 * pieces between spaces, commas and `|`). Beyond it the read API answers 400 naming the limit.
 */
export const RANGE_LIMITS: Readonly<{ maxLength: number; maxParts: number }> = Object.freeze({ maxLength: 1000, maxParts: 64 });

function checkRangeSize(text: unknown): void {
  if (typeof text !== 'string') return;
  if (text.length > RANGE_LIMITS.maxLength) {
    throw new DeploymentError(400, 'bad_query', `range: ${text.length} characters, more than the ${RANGE_LIMITS.maxLength} a range may have; split it into several queries.`);
  }
  const parts = text.split(/[\s,|]+/).filter((p) => p !== '').length;
  if (parts > RANGE_LIMITS.maxParts) {
    throw new DeploymentError(400, 'bad_query', `range: ${parts} parts (versions, comparators, bounds), more than the ${RANGE_LIMITS.maxParts} a range may have; split it into several queries.`);
  }
}

/** The scheme used for a feed the `versionSchemes` option does not name. */
export const DEFAULT_VERSION_SCHEME = 'semver';


/** The scheme a setting names: a scheme name, else a feed type's scheme, else `undefined`. */
export function schemeNamed(setting: VersionSchemeSetting): VersionScheme | undefined {
  if (typeof setting === 'object' && setting !== null) return setting;
  const key = String(setting).toLowerCase();
  return VERSION_SCHEMES[key] ?? (FEED_TYPE_SCHEMES[key] !== undefined ? VERSION_SCHEMES[FEED_TYPE_SCHEMES[key]!] : undefined);
}

const isScheme = (value: unknown): value is VersionScheme =>
  !!value && typeof value === 'object' && ['isValid', 'compare', 'parseRange'].every((m) => typeof (value as Record<string, unknown>)[m] === 'function') && typeof (value as { name?: unknown }).name === 'string';

/**
 * Resolves the router's `versionSchemes` option once, at construction: a map of feed name (matched
 * case-insensitively) to scheme name, feed type or scheme object, or a function of the feed name.
 * Unknown names throw, saying which ones exist.
 */
export function schemeResolver(
  setting: Readonly<Record<string, VersionSchemeSetting>> | ((feed: string) => VersionSchemeSetting | undefined) | undefined,
  fallback: VersionSchemeSetting = DEFAULT_VERSION_SCHEME,
): (feed: string) => VersionScheme {
  const known = `scheme names ${Object.keys(VERSION_SCHEMES).join(', ')}; feed types ${Object.keys(FEED_TYPE_SCHEMES).join(', ')}; or an object with name, isValid, compare and parseRange`;
  const check = (value: VersionSchemeSetting, where: string): VersionScheme => {
    if (typeof value === 'object' && value !== null) {
      if (!isScheme(value)) throw new TypeError(`${where}: a scheme object needs name, isValid(), compare() and parseRange().`);
      return value;
    }
    const scheme = schemeNamed(value);
    if (!scheme) throw new TypeError(`${where}: unknown version scheme "${String(value)}". Use one of: ${known}.`);
    return scheme;
  };
  const defaultScheme = check(fallback, 'createDeploymentRouter: options.defaultVersionScheme');
  if (setting === undefined) return () => defaultScheme;
  if (typeof setting === 'function') {
    return (feed) => {
      const value = setting(feed);
      return value === undefined || value === null ? defaultScheme : check(value, `versionSchemes("${feed}")`);
    };
  }
  if (typeof setting !== 'object') throw new TypeError(`createDeploymentRouter: options.versionSchemes must map feed names to ${known}.`);
  const byFeed = new Map<string, VersionScheme>();
  for (const [feed, value] of Object.entries(setting)) {
    byFeed.set(feed.toLowerCase(), check(value, `createDeploymentRouter: options.versionSchemes["${feed}"]`));
  }
  return (feed) => byFeed.get(feed.toLowerCase()) ?? defaultScheme;
}

/**
 * Reads `text` as a range of `scheme` (a name, feed type or scheme object). Throws a 400
 * {@link DeploymentError} naming the `range` parameter when the scheme cannot read it.
 *
 * @example
 * const range = parseVersionRange('nuget', '[1.0,13.0.1)');
 * range.test('12.0.3') // true
 */
export function parseVersionRange(scheme: VersionSchemeSetting, text: string): VersionRange {
  const resolved = schemeNamed(scheme);
  if (!resolved) throw new TypeError(`parseVersionRange: unknown version scheme "${String(scheme)}"; use semver, npm, nuget, maven or pypi.`);
  checkRangeSize(text);
  if (typeof text === 'string' && text.startsWith('vers:')) {
    try {
      const { test } = parseVers(text, resolved);
      return Object.freeze({ scheme: resolved.name, text, test, ...keysOf(resolved, text) });
    } catch (err) {
      if (!(err instanceof VersError)) throw err;
      throw new DeploymentError(400, 'bad_query', `range: "${text}" is not a usable vers: range: ${err.message}.`);
    }
  }
  const test = typeof text === 'string' && text.trim() !== '' ? resolved.parseRange(text) : undefined;
  if (!test) {
    throw new DeploymentError(400, 'bad_query', `range: "${String(text)}" is not a ${resolved.name} version range (${RANGE_HINTS[resolved.name] ?? 'see the scheme\'s documentation'}).`);
  }
  return Object.freeze({ scheme: resolved.name, text, test, ...keysOf(resolved, text) });
}

/** Key intervals for the built-in schemes only (a scheme object of your own has no keys). */
function keysOf(scheme: VersionScheme, text: string): { keys?: readonly KeyInterval[] } {
  if (VERSION_SCHEMES[scheme.name] !== scheme) return {};
  const keys = rangeKeyIntervals(scheme.name, text);
  return keys ? { keys: Object.freeze(keys) } : {};
}

const RANGE_HINTS: Record<string, string> = {
  semver: 'for example <13.0.1, ^1.2, ~1.2.3, >=1.0.0 <2.0.0',
  nuget: 'for example [1.0,2.0), (,13.0.1), [1.0], or <13.0.1',
  maven: 'for example [1.0,2.0), (,1.0],[1.2,), [1.0], or <2.17.1',
  pypi: 'for example >=2.3,<2.31, ~=2.2, ==2.*, !=2.0.1',
};
for (const name of Object.keys(RANGE_HINTS)) RANGE_HINTS[name] += `; or a vers:${name === 'semver' ? 'npm' : name}/... range`;
