/**
 * `vers:` version ranges (package-url's VERS specification): `vers:npm/>=1.0.0|<2.0.0`,
 * `vers:pypi/1.2.3|>=2.0|<3.0|!=2.5`, `vers:maven/*`. Read in canonical form only, as the spec requires: no
 * whitespace, no leading, trailing or doubled pipes, no leading `=`, each version percent-decoded once,
 * constraints sorted by version with no version twice, and no redundant comparator sequence
 * (`>=1|>=2`, `<1|<2`). Containment follows the spec's procedure. Versions are compared with the scheme of
 * the VERS type: `npm` and `semver` (our semver scheme), `nuget`, `maven`, `pypi`.
 */
import type { VersionScheme } from './scheme';

export type VersComparator = '=' | '!=' | '<' | '<=' | '>' | '>=';

export interface VersConstraint {
  comparator: VersComparator;
  version: string;
}

export interface ParsedVers {
  type: string;
  /** `'*'` for every version; otherwise the constraints, sorted by version. */
  constraints: '*' | VersConstraint[];
}

/** The scheme name of each VERS type this library reads. */
export const VERS_TYPE_SCHEMES: Readonly<Record<string, string>> = Object.freeze({
  npm: 'semver',
  semver: 'semver',
  nuget: 'nuget',
  maven: 'maven',
  pypi: 'pypi',
});

export class VersError extends Error {}

const fail = (message: string): never => {
  throw new VersError(`non-canonical VERS: ${message}`);
};

function decode(version: string): string {
  if (/%(?![0-9A-Fa-f]{2})/.test(version)) fail('invalid percent-encoding in version');
  try {
    return decodeURIComponent(version);
  } catch {
    return fail('invalid percent-encoding in version');
  }
}

/**
 * Reads a `vers:` string without comparing versions (the syntax checks). Throws a {@link VersError} naming
 * the first problem.
 */
export function parseVersSyntax(text: string): ParsedVers {
  if (/[\t\n\f\r ]/.test(text)) fail('whitespace is not permitted');
  const colon = text.indexOf(':');
  if (colon < 0 || text.slice(0, colon) !== 'vers') fail('it must start with "vers:" in lower case');
  const rest = text.slice(colon + 1);
  const slash = rest.indexOf('/');
  if (slash <= 0) fail('a type is required: vers:<type>/<constraints>');
  const type = rest.slice(0, slash);
  if (type !== type.toLowerCase()) fail('the type must be lower case');
  const constraints = rest.slice(slash + 1);
  if (constraints === '') fail('constraints are required');
  if (constraints === '*') return { type, constraints: '*' };
  if (constraints.includes('*')) fail('"*" must be the only constraint');
  if (constraints.startsWith('|')) fail('leading pipe is not permitted');
  if (constraints.endsWith('|')) fail('trailing pipe is not permitted');
  if (constraints.includes('||')) fail('consecutive pipes are not permitted');
  const parsed: VersConstraint[] = constraints.split('|').map((c) => {
    if (c.startsWith('=')) fail('equality is a bare version, without a leading "="');
    const m = /^(>=|<=|!=|<|>)?(.*)$/.exec(c)!;
    const version = decode(m[2]!);
    if (version === '') fail('a constraint has no version');
    return { comparator: (m[1] ?? '=') as VersComparator, version };
  });
  return { type, constraints: parsed };
}

const isLow = (c: VersComparator) => c === '>' || c === '>=';
const isHigh = (c: VersComparator) => c === '<' || c === '<=';

/** Checks order, duplicates and comparator sequences with `scheme`; throws a {@link VersError}. */
export function checkVersOrder(parsed: ParsedVers, scheme: VersionScheme): void {
  if (parsed.constraints === '*') return;
  const cs = parsed.constraints;
  for (const c of cs) if (!scheme.isValid(c.version)) throw new VersError(`"${c.version}" is not a ${scheme.name} version`);
  for (let i = 1; i < cs.length; i++) {
    const order = scheme.compare(cs[i - 1]!.version, cs[i]!.version);
    if (order === 0) fail(`version "${cs[i]!.version}" appears twice`);
    if (order > 0) fail('constraints are not sorted by version');
  }
  const bounds = cs.filter((c) => c.comparator !== '!=');
  for (let i = 1; i < bounds.length; i++) {
    const [a, b] = [bounds[i - 1]!.comparator, bounds[i]!.comparator];
    if ((a === '=' || isHigh(a)) && isHigh(b)) fail(`"${a === '=' ? '' : a}${bounds[i - 1]!.version}" followed by "${b}${bounds[i]!.version}" is redundant`);
    if (isLow(a) && (b === '=' || isLow(b))) fail(`"${a}${bounds[i - 1]!.version}" followed by "${b === '=' ? '' : b}${bounds[i]!.version}" is redundant`);
  }
}

/** The spec's containment procedure, with `scheme` comparing versions. */
export function versContains(parsed: ParsedVers, scheme: VersionScheme, version: string): boolean {
  if (parsed.constraints === '*') return scheme.isValid(version);
  if (!scheme.isValid(version)) return false;
  const cs = parsed.constraints;
  const eq = (c: VersConstraint) => scheme.compare(version, c.version) === 0;
  if (cs.some((c) => (c.comparator === '=' || c.comparator === '<=' || c.comparator === '>=') && eq(c))) return true;
  if (cs.some((c) => c.comparator === '!=' && eq(c))) return false;
  const bounds = cs.filter((c) => c.comparator !== '=' && c.comparator !== '!=');
  if (bounds.length === 0) return false;
  const lt = (c: VersConstraint) => scheme.compare(version, c.version) < 0;
  const gt = (c: VersConstraint) => scheme.compare(version, c.version) > 0;
  if (isHigh(bounds[0]!.comparator) && lt(bounds[0]!)) return true;
  if (isLow(bounds[bounds.length - 1]!.comparator) && gt(bounds[bounds.length - 1]!)) return true;
  for (let i = 0; i + 1 < bounds.length; i++) {
    const [cur, next] = [bounds[i]!, bounds[i + 1]!];
    if (isLow(cur.comparator) && isHigh(next.comparator) && gt(cur) && lt(next)) return true;
  }
  return false;
}

/**
 * Reads a `vers:` range for `scheme` (whose name must be the VERS type's scheme). Throws a {@link VersError}
 * saying what is wrong.
 */
export function parseVers(text: string, scheme: VersionScheme): { parsed: ParsedVers; test: (version: string) => boolean } {
  const parsed = parseVersSyntax(text);
  const wanted = VERS_TYPE_SCHEMES[parsed.type];
  if (wanted === undefined) throw new VersError(`VERS type "${parsed.type}" is not supported: use ${Object.keys(VERS_TYPE_SCHEMES).join(', ')}`);
  if (wanted !== scheme.name) throw new VersError(`a vers:${parsed.type} range compares ${wanted} versions, but this feed uses ${scheme.name} versions`);
  checkVersOrder(parsed, scheme);
  return { parsed, test: (version: string) => versContains(parsed, scheme, version) };
}
