/** Version schemes: ordering and ranges of semver/npm, NuGet and Maven, and the scheme registry. */
import fc from 'fast-check';
import { mavenScheme, nugetScheme, parseVersionRange, semverScheme, type VersionScheme } from '../lib';
import { schemeResolver } from '../lib/versions/registry';

const inRange = (scheme: string, range: string, versions: string[]) => versions.filter((v) => parseVersionRange(scheme, range).test(v));

/** Asserts that `sorted` is strictly increasing under the scheme, pairwise. */
function expectOrdered(scheme: VersionScheme, sorted: string[]) {
  for (let i = 0; i < sorted.length; i++) {
    for (let j = 0; j < sorted.length; j++) {
      expect([sorted[i], sorted[j], Math.sign(scheme.compare(sorted[i]!, sorted[j]!))]).toEqual([sorted[i], sorted[j], Math.sign(i - j)]);
    }
  }
}

describe('semver (npm)', () => {
  it('reads npm ranges', () => {
    const versions = ['1.1.9', '1.2.0', '1.2.7', '1.9.0', '2.0.0', '12.0.3', '13.0.0', '13.0.1', '13.0.2'];
    expect(inRange('semver', '<13.0.1', versions)).toEqual(['1.1.9', '1.2.0', '1.2.7', '1.9.0', '2.0.0', '12.0.3', '13.0.0']);
    expect(inRange('npm', '^1.2', versions)).toEqual(['1.2.0', '1.2.7', '1.9.0']);
    expect(inRange('npm', '~1.2.3', versions)).toEqual(['1.2.7']);
    expect(inRange('npm', '>=2.0.0 <13.0.1 || 1.1.x', versions)).toEqual(['1.1.9', '2.0.0', '12.0.3', '13.0.0']);
  });
  it('includes prereleases, because a deployed prerelease is deployed', () => {
    expect(inRange('semver', '<13.0.1', ['13.0.1-beta1', '13.0.0-rc.1', '13.0.1'])).toEqual(['13.0.1-beta1', '13.0.0-rc.1']);
  });
  it('never matches a version it cannot read', () => {
    expect(inRange('semver', '<2', ['1.0.0.0', 'latest', ''])).toEqual([]);
  });
  it('refuses what is not a range with a 400 naming range', () => {
    expect(() => parseVersionRange('semver', '[1.0,2.0)')).toThrow(expect.objectContaining({ status: 400, message: expect.stringMatching(/^range: "\[1\.0,2\.0\)" is not a semver version range/) }));
    expect(() => parseVersionRange('semver', '   ')).toThrow(expect.objectContaining({ status: 400 }));
  });
  it('orders versions', () => expectOrdered(semverScheme, ['0.9.0', '1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-beta', '1.0.0', '1.0.1', '1.10.0']));
});

describe('NuGet', () => {
  it('reads interval notation, with NuGet\'s meaning of a bare version (a minimum)', () => {
    const versions = ['0.9', '1.0', '1.0.0.1', '1.5', '2.0', '2.0.0.1', '13.0.1'];
    expect(inRange('nuget', '[1.0,2.0)', versions)).toEqual(['1.0', '1.0.0.1', '1.5']);
    expect(inRange('nuget', '(1.0,2.0]', versions)).toEqual(['1.0.0.1', '1.5', '2.0']);
    expect(inRange('nuget', '(,1.0]', versions)).toEqual(['0.9', '1.0']);
    expect(inRange('nuget', '(,13.0.1)', versions)).toEqual(['0.9', '1.0', '1.0.0.1', '1.5', '2.0', '2.0.0.1']);
    expect(inRange('nuget', '[1.5,)', versions)).toEqual(['1.5', '2.0', '2.0.0.1', '13.0.1']);
    expect(inRange('nuget', '[2.0]', versions)).toEqual(['2.0']);
    expect(inRange('nuget', '1.5', versions)).toEqual(['1.5', '2.0', '2.0.0.1', '13.0.1']);
    expect(inRange('nuget', '<13.0.1', versions)).toEqual(['0.9', '1.0', '1.0.0.1', '1.5', '2.0', '2.0.0.1']);
    expect(inRange('nuget', '>= 1.0 < 2.0', versions)).toEqual(['1.0', '1.0.0.1', '1.5']);
  });
  it('treats 1.0, 1.0.0 and 1.0.0.0 as one version, and four-part versions in order', () => {
    expect(nugetScheme.compare('1.0', '1.0.0.0')).toBe(0);
    expect(nugetScheme.compare('1.0.0+build.5', '1.0.0')).toBe(0);
    expectOrdered(nugetScheme, ['1.0.0-alpha', '1.0.0-alpha.2', '1.0.0-alpha.10', '1.0.0-beta', '1.0.0', '1.0.0.1', '1.0.0.10', '1.0.1', '4.5.11', '13.0.1']);
  });
  it('compares prerelease labels case-insensitively', () => {
    expect(nugetScheme.compare('1.0.0-Beta', '1.0.0-beta')).toBe(0);
    expect(inRange('nuget', '[1.0.0-BETA]', ['1.0.0-beta', '1.0.0-Beta', '1.0.0-rc'])).toEqual(['1.0.0-beta', '1.0.0-Beta']);
    expect(nugetScheme.compare('1.0.0-Alpha', '1.0.0-beta')).toBeLessThan(0);
  });
  it('refuses malformed ranges', () => {
    for (const bad of ['[1.0,2.0', '(1.0)', '[2.0,1.0]', '[,]', '(1.0,2.0,3.0)', '^1.2', 'abc', '[1.0,2.0),[3.0,)']) {
      expect(() => parseVersionRange('nuget', bad)).toThrow(expect.objectContaining({ status: 400, message: expect.stringMatching(/^range: /) }));
    }
  });
});

describe('Maven', () => {
  it('orders versions as ComparableVersion does', () => {
    expectOrdered(mavenScheme, ['1-alpha-1', '1-alpha-2', '1-beta', '1-milestone', '1-rc', '1-SNAPSHOT', '1', '1-sp', '1-abc', '1.0.1', '1.1', '2.0-alpha', '2.0', '2.17.0', '2.17.1', '10.0']);
    expect(mavenScheme.compare('1.0', '1')).toBe(0);
    expect(mavenScheme.compare('1.0.0', '1-ga')).toBe(0);
    expect(mavenScheme.compare('1.0-final', '1')).toBe(0);
    expect(mavenScheme.compare('1.0-CR1', '1.0-rc1')).toBe(0);
    expect(mavenScheme.compare('1.0a1', '1.0-alpha-1')).toBe(0);
    expect(mavenScheme.compare('1.0-RELEASE', '1.0')).toBe(0);
  });
  it('reads Maven ranges, unions among them', () => {
    const versions = ['1.0', '1.1', '1.2', '1.5', '2.0', '2.14.1', '2.17.0', '2.17.1'];
    expect(inRange('maven', '[1.0,2.0)', versions)).toEqual(['1.0', '1.1', '1.2', '1.5']);
    expect(inRange('maven', '(,1.0],[1.2,1.5]', versions)).toEqual(['1.0', '1.2', '1.5']);
    expect(inRange('maven', '[2.0,2.17.1)', versions)).toEqual(['2.0', '2.14.1', '2.17.0']);
    expect(inRange('maven', '[1.5]', versions)).toEqual(['1.5']);
    expect(inRange('maven', '1.5', versions)).toEqual(['1.5']);
    expect(inRange('maven', '<2.17.1', versions)).toEqual(versions.slice(0, -1));
    expect(inRange('maven', '[2.0-beta,2.0)', ['2.0-alpha', '2.0-beta', '2.0-SNAPSHOT', '2.0'])).toEqual(['2.0-beta', '2.0-SNAPSHOT']);
  });
  it('refuses malformed ranges', () => {
    for (const bad of ['[1.0,2.0', '(1.0)', '[2.0,1.0]', '[1.0,2.0)x', '^1.0']) {
      expect(() => parseVersionRange('maven', bad)).toThrow(expect.objectContaining({ status: 400 }));
    }
  });
});

describe('every scheme', () => {
  const numeric = fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 3, maxLength: 3 }).map((p) => p.join('.'));
  it.each([['semver', semverScheme], ['nuget', nugetScheme], ['maven', mavenScheme]] as const)('%s: compare is an order consistent with its ranges', (name, scheme) => {
    fc.assert(fc.property(numeric, numeric, numeric, (a, b, c) => {
      // (+ 0 turns -0 into 0)
      expect(Math.sign(scheme.compare(a, b)) + 0).toBe(-Math.sign(scheme.compare(b, a)) + 0);
      if (scheme.compare(a, b) <= 0 && scheme.compare(b, c) <= 0) expect(scheme.compare(a, c)).toBeLessThanOrEqual(0);
      expect(parseVersionRange(name, `<${b}`).test(a)).toBe(scheme.compare(a, b) < 0);
      expect(parseVersionRange(name, `>=${b}`).test(a)).toBe(scheme.compare(a, b) >= 0);
    }));
  });
});

describe('the scheme of a feed', () => {
  it('comes from the versionSchemes map (case-insensitive feed names; scheme names or feed types), else the default', () => {
    const schemeFor = schemeResolver({ DefaultNuGet: 'nuget', 'maven-releases': 'maven', Products: 'upack', 'npm-packages': 'npm' });
    expect(schemeFor('defaultnuget').name).toBe('nuget');
    expect(schemeFor('maven-releases').name).toBe('maven');
    expect(schemeFor('Products').name).toBe('semver');
    expect(schemeFor('npm-packages').name).toBe('semver');
    expect(schemeFor('Unlisted').name).toBe('semver');
    expect(schemeResolver(undefined, 'nuget')('x').name).toBe('nuget');
    expect(schemeResolver((feed) => (feed.startsWith('nu') ? 'nuget' : undefined))('nuFeed').name).toBe('nuget');
  });
  it('throws at construction for an unknown scheme, saying which exist', () => {
    expect(() => schemeResolver({ F: 'pep440' })).toThrow(/versionSchemes\["F"\]: unknown version scheme "pep440". Use one of: scheme names semver, npm, nuget, maven/);
    expect(() => schemeResolver(undefined, 'nope')).toThrow(/defaultVersionScheme/);
  });
  it('accepts a scheme object of your own', () => {
    const exact: VersionScheme = { name: 'exact', isValid: () => true, compare: (a, b) => (a < b ? -1 : a > b ? 1 : 0), parseRange: (t) => (v) => v === t };
    expect(parseVersionRange(schemeResolver({ F: exact })('F'), 'x').test('x')).toBe(true);
  });
});
