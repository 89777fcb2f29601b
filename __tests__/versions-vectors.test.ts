/**
 * Each scheme's ordering against the public test data of its reference implementation, transcribed into
 * __tests__/vectors/*.json (data, not code; each file names its source and commit). The counts are in the
 * README ("Version schemes, checked").
 */
import maven from './vectors/maven.json';
import nodeSemver from './vectors/node-semver.json';
import nuget from './vectors/nuget.json';
import pypi from './vectors/pypi.json';
import { mavenScheme, nugetScheme, parseVersionRange, pypiScheme, semverScheme, type VersionScheme } from '../lib';

type Case = [string, string, number];

/** Every pair of a strictly increasing list. */
const pairsOf = (list: string[]): Case[] => list.flatMap((a, i) => list.slice(i + 1).map((b): Case => [a, b, -1]));
const groupPairs = (group: string[]): Case[] => group.flatMap((a, i) => group.slice(i).map((b): Case => [a, b, 0]));

function check(scheme: VersionScheme, cases: Case[]) {
  const wrong = cases.filter(([a, b, want]) => Math.sign(scheme.compare(a, b)) !== want || Math.sign(scheme.compare(b, a)) !== -want);
  expect(wrong).toEqual([]);
  return cases.length;
}

const counts: Record<string, number> = {};
afterAll(() => {
  // The README's table quotes these numbers.
  process.stdout.write(`version vectors: ${JSON.stringify(counts)}\n`);
});

describe('Maven: ComparableVersionTest', () => {
  const cases: Case[] = [
    ...maven.ordered.flatMap(pairsOf),
    ...maven.less.map(([a, b]): Case => [a!, b!, -1]),
    ...maven.equal.map(([a, b]): Case => [a!, b!, 0]),
    ...maven.equalGroups.flatMap(groupPairs),
  ];
  it(`agrees on all ${cases.length} cases`, () => {
    counts.maven = check(mavenScheme, cases);
  });
  it('has the three cases the issue names', () => {
    expect(mavenScheme.compare('2.0.a', '2-1')).toBeLessThan(0);
    expect(mavenScheme.compare('1-0.alpha', '1')).toBeLessThan(0);
    expect(mavenScheme.compare('1-0.beta', '1')).toBeLessThan(0);
  });
});

describe('NuGet: NuGet.Versioning VersionComparerTests', () => {
  const cases: Case[] = [...nuget.equal.map(([a, b]): Case => [a!, b!, 0]), ...nuget.less.map(([a, b]): Case => [a!, b!, -1])];
  it(`agrees on all ${cases.length} cases`, () => {
    counts.nuget = check(nugetScheme, cases);
  });
});

describe('semver (npm): node-semver fixtures', () => {
  const strip = (v: string) => v.replace(/^\s*=?\s*v?\s*/, '');
  const cases: Case[] = [
    ...nodeSemver.greater.map(([a, b]): Case => [b as string, a as string, -1]),
    // node-semver reads "= 1.2.3" and "v 1.2.3" loosely as ranges-with-spaces; a deployed version has none of
    // that, so the equality fixtures are compared after dropping the leading "=", "v" and spaces.
    ...nodeSemver.equal.map(([a, b]): Case => [strip(a as string), strip(b as string), 0]),
  ];
  it(`agrees on all ${cases.length} cases`, () => {
    counts.semver = check(semverScheme, cases);
  });
});

describe('PyPI: packaging (PEP 440)', () => {
  const ordering: Case[] = [...pairsOf(pypi.ordered), ...pypi.normalized.map(([a, b]): Case => [a!, b!, 0])];
  it(`orders all ${ordering.length} version pairs`, () => {
    counts.pypiOrder = check(pypiScheme, ordering);
  });
  it(`refuses all ${pypi.invalid.length} invalid versions`, () => {
    expect(pypi.invalid.filter((v) => pypiScheme.isValid(v))).toEqual([]);
    expect(pypi.ordered.filter((v) => !pypiScheme.isValid(v))).toEqual([]);
    counts.pypiInvalid = pypi.invalid.length;
  });
  it(`agrees on all ${pypi.specifiers.length} specifier cases`, () => {
    const wrong = pypi.specifiers.filter(([v, spec, want]) => parseVersionRange('pypi', spec as string).test(v as string) !== want);
    expect(wrong).toEqual([]);
    counts.pypiSpecifiers = pypi.specifiers.length;
  });
});
