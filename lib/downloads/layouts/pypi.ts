/**
 * PyPI distribution files, anywhere under `{base}` (default `/pypi/{feed}`): sdists
 * `{name}-{version}.tar.gz` (or `.zip`, `.tar.bz2`) and wheels `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`.
 * The name is recorded normalised as PEP 503 says (lower case, runs of `-_.` as one `-`), so that
 * `Django-4.2.tar.gz` and `django-4.2-py3-none-any.whl` are the same package.
 */
import type { FeedLayout, PathLayoutOptions } from '../../types';
import { compilePrefix, pathSegments, ref, withoutSuffix } from './path';

/** A PEP 440 version (public and local parts), leniently cased. */
const PEP440 = /^v?(\d+!)?\d+(\.\d+)*([-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?\d*)?([-_.]?(post|rev|r)[-_.]?\d*)?([-_.]?dev[-_.]?\d*)?(\+[a-z0-9]+([-_.][a-z0-9]+)*)?$/i;

/** PEP 503 name normalisation. */
export function normalizePypiName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

/** Name and version out of a PyPI distribution file name, or `undefined`. */
export function parsePypiFile(file: string): { name: string; version: string } | undefined {
  const wheel = withoutSuffix(file, '.whl');
  if (wheel !== undefined) {
    const parts = wheel.split('-');
    if (parts.length < 5 || parts.length > 6 || !PEP440.test(parts[1]!)) return undefined;
    return { name: normalizePypiName(parts[0]!), version: parts[1]! };
  }
  const stem = withoutSuffix(file, '.tar.gz') ?? withoutSuffix(file, '.zip') ?? withoutSuffix(file, '.tar.bz2');
  if (stem === undefined) return undefined;
  // The version starts at the first "-" followed by a digit whose remainder is a version.
  for (let i = stem.indexOf('-'); i > 0; i = stem.indexOf('-', i + 1)) {
    const version = stem.slice(i + 1);
    if (/^v?\d/.test(version) && PEP440.test(version)) return { name: normalizePypiName(stem.slice(0, i)), version };
  }
  return undefined;
}

export function pypiLayout(options?: PathLayoutOptions): FeedLayout {
  const prefix = compilePrefix('pypiLayout', options, '/pypi/:feed');
  return {
    feedType: 'pypi',
    resolve(req) {
      const segments = pathSegments(req);
      const match = segments && prefix.match(segments);
      if (!match || match.rest.length < 1) return undefined;
      const parsed = parsePypiFile(match.rest[match.rest.length - 1]!);
      return parsed && ref(match.feedName, parsed.name, parsed.version);
    },
  };
}
