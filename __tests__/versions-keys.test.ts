/**
 * Version keys sort, byte by byte, as their scheme orders versions (on every vector of the reference
 * implementations and on generated versions), and a range's key intervals hold every keyed version the
 * range matches.
 */
import fc from 'fast-check';
import maven from './vectors/maven.json';
import nodeSemver from './vectors/node-semver.json';
import nuget from './vectors/nuget.json';
import pypi from './vectors/pypi.json';
import { parseVersionRange, VERSION_SCHEMES, type KeyInterval } from '../lib';
import { SCHEME_KEYS, UNKEYED, versionKey } from '../lib/versions/keys';
import { createVersionKeyCache } from '../lib/versions/key-cache';

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const inInterval = (k: string, i: KeyInterval) =>
  (i.from === undefined || (i.fromInclusive ? k >= i.from : k > i.from)) && (i.to === undefined || (i.toInclusive ? k <= i.to : k < i.to));

/** For every pair of keyable versions, the keys order as the scheme does. Returns how many were keyed. */
function checkKeys(scheme: string, versions: string[]): number {
  const key = SCHEME_KEYS[scheme]!;
  const keyed = [...new Set(versions)].filter((v) => key(v) !== undefined);
  const wrong: string[] = [];
  for (const a of keyed) for (const b of keyed) {
    if (Math.sign(VERSION_SCHEMES[scheme]!.compare(a, b)) !== cmp(key(a)!, key(b)!)) wrong.push(`${a} vs ${b}`);
  }
  expect(wrong).toEqual([]);
  for (const v of keyed) expect(key(v)!).toMatch(/^[!-}]+$/);
  return keyed.length;
}

const flat = (xs: unknown): string[] => (Array.isArray(xs) ? xs.flatMap(flat) : typeof xs === 'string' ? [xs] : []);
const realMaven = ['2.17.1', '1.0-SNAPSHOT', '5.3.20.RELEASE', '1.0.0-M1', '2.0.0-beta-3', '31.1-jre', '31.1-android', '1.2.3.Final', '9.4.44.v20210927', '1.0-rc-1', '1.0-beta.2', '1.0-sp1', '2.0', '2', '2.0.1', '1.0-alpha', '1.0-ga', '3.0.0-M5', '4.1.77.Final'];

describe('keys sort in each scheme\'s order', () => {
  it('maven: on the ComparableVersionTest vectors and real versions', () => {
    const n = checkKeys('maven', [...flat(maven.ordered), ...flat(maven.less), ...flat(maven.equal), ...realMaven]);
    expect(n).toBeGreaterThan(100);
    for (const v of realMaven) expect([v, SCHEME_KEYS.maven!(v)]).not.toEqual([v, undefined]);
  });
  it('nuget, semver, pypi: on their vectors', () => {
    expect(checkKeys('nuget', flat(nuget.less).concat(flat(nuget.equal)))).toBeGreaterThan(10);
    expect(checkKeys('semver', flat(nodeSemver.greater))).toBeGreaterThan(30);
    expect(checkKeys('pypi', [...pypi.ordered, ...flat(pypi.normalized)])).toBe(new Set([...pypi.ordered, ...flat(pypi.normalized)]).size);
  });
  const n = fc.integer({ min: 0, max: 12 });
  const word = fc.constantFrom('alpha', 'beta', 'rc', 'SNAPSHOT', 'sp', 'jre', 'a', 'b', 'm', 'ga', 'final', 'RELEASE', 'x', 'dev', 'post', 'c', 'pre');
  const sep = fc.constantFrom('.', '-', '');
  const generated = fc.array(fc.tuple(n, sep, fc.option(word), sep), { minLength: 1, maxLength: 4 }).map((parts) => parts.map(([a, s1, w, s2]) => `${a}${w ? s1 + w : ''}${s2}`).join('').replace(/[.-]+$/, ''));
  it.each(['maven', 'nuget', 'semver', 'pypi'])('%s: on generated versions', (scheme) => {
    fc.assert(fc.property(fc.array(generated, { minLength: 2, maxLength: 6 }), (vs) => {
      checkKeys(scheme, vs);
    }), { numRuns: 300 });
  });
  it('gives ~ to what a scheme cannot key', () => {
    expect(versionKey('semver', 'latest')).toBe(UNKEYED);
    expect(versionKey('maven', '1-1')).toBe(UNKEYED);
    expect(versionKey('unknown-scheme', '1.0')).toBe(UNKEYED);
  });
});

describe('key intervals hold every keyed version the range matches', () => {
  const cases: Array<[string, string, string[]]> = [
    ['semver', '>=1.2.0 <2.0.0 || 3.x || =4.1.0', ['1.1.9', '1.2.0', '1.9.9-beta', '2.0.0-0', '2.0.0', '3.0.0-rc.1', '3.4.5', '4.1.0', '4.1.1']],
    ['semver', '<13.0.1', ['13.0.1-beta1', '13.0.0', '13.0.1', '0.0.1']],
    ['nuget', '[1.0,2.0)', ['0.9', '1.0', '1.0.0.1', '2.0-beta', '2.0']],
    ['nuget', '1.5', ['1.4', '1.5', '1.5.0.0', '9.0']],
    ['nuget', '(,1.0]', ['0.9', '1.0', '1.0.0.0', '1.1']],
    ['maven', '[2.0,2.17.1)', ['1.9', '2.0-beta', '2.0', '2.14.1', '2.17.0', '2.17.1-SNAPSHOT', '2.17.1', '2.18']],
    ['maven', '(,1.0],[1.2,)', ['0.9', '1.0', '1.1', '1.2', '1.2-jre']],
    ['pypi', '>=2.3,<2.31', ['2.2', '2.3', '2.3.1', '2.30.0+local', '2.31.0rc1', '2.31']],
    ['pypi', '==2.0.*', ['2', '2.0', '2.0.0.5', '2.0.1', '2.0a1', '2.0+x', '2.1', '1!2.0']],
    ['pypi', '~=2.2', ['2.1', '2.2', '2.2.5', '2.9', '3.0', '3.0.dev1']],
    ['pypi', '<=2.0', ['2.0', '2.0+local', '2.0.post1', '1.0']],
    ['pypi', '===2.0', ['2.0', '2.0.0', '2.0+x']],
    ['pypi', '!=2.0', ['2.0', '2.1']],
    ['pypi', 'vers:pypi/1.0|>=2.0|<3.0|>=4.0', ['1.0', '1.5', '2.0', '2.5', '3.0', '4.0', '5.0']],
    ['nuget', 'vers:nuget/<1.0|>=2.0|!=2.5|<3.0', ['0.5', '1.0', '2.0', '2.5', '2.9', '3.0']],
  ];
  it.each(cases)('%s %s', (scheme, text, versions) => {
    const range = parseVersionRange(scheme, text);
    expect(range.keys).toBeDefined();
    for (const v of versions) {
      if (!range.test(v)) continue;
      const k = SCHEME_KEYS[scheme]!(v);
      if (k === undefined) continue;
      expect([v, range.keys!.some((i) => inInterval(k, i))]).toEqual([v, true]);
    }
  });
  it('property: every scheme, comparator ranges', () => {
    const version = fc.tuple(fc.nat(5), fc.nat(5), fc.nat(5)).map((p) => p.join('.'));
    fc.assert(fc.property(fc.constantFrom('semver', 'nuget', 'maven', 'pypi'), fc.constantFrom('<', '<=', '>', '>='), version, version, (scheme, op, bound, v) => {
      const range = parseVersionRange(scheme, `${op}${bound}`);
      const k = SCHEME_KEYS[scheme]!(v);
      // (an unkeyed version is always a candidate)
      if (range.test(v) && k !== undefined) expect(range.keys!.some((i) => inInterval(k, i))).toBe(true);
    }), { numRuns: 500 });
  });
  it('a scheme object of your own has no keys', () => {
    const mine = { ...VERSION_SCHEMES.semver!, name: 'semver' };
    expect(parseVersionRange(mine, '<2').keys).toBeUndefined();
  });
});

describe('createVersionKeyCache', () => {
  it('answers what versionKey answers, for hits, misses and after it was emptied (size 4)', () => {
    const cached = createVersionKeyCache(4);
    const versions = ['1.0.0', '1.0.0-rc.1', '2.10.3', 'not a version', '1.0.0', '0.0.1', '3.0.0', '2.10.3'];
    for (const scheme of ['semver', 'nuget', 'maven', 'pypi']) {
      for (const v of versions) expect(cached(scheme, v)).toBe(versionKey(scheme, v));
    }
    // The scheme is part of the memo's key: the same text may key differently in two schemes.
    expect(cached('semver', '1.0')).toBe(versionKey('semver', '1.0'));
    expect(cached('nuget', '1.0')).toBe(versionKey('nuget', '1.0'));
  });
});
