/** The PyPI scheme's ranges on a feed, and vers: ranges for every scheme, with the spec's canonical checks. */
import vers from './vectors/vers.json';
import { parseVersionRange, semverScheme } from '../lib';
import { parseVersSyntax, VersError, parseVers } from '../lib/versions/vers';

const inRange = (scheme: string, range: string, versions: string[]) => versions.filter((v) => parseVersionRange(scheme, range).test(v));

describe('PyPI ranges', () => {
  const versions = ['2.2', '2.3', '2.3.1', '2.30.0', '2.31.0', '2.31.0rc1', '3.0', '3.0.post1', '1!1.0', '2.5+ubuntu1'];
  it('reads specifier sets', () => {
    expect(inRange('pypi', '>=2.3,<2.31', versions)).toEqual(['2.3', '2.3.1', '2.30.0', '2.5+ubuntu1']);
    expect(inRange('pypi', '~=2.3', versions)).toEqual(['2.3', '2.3.1', '2.30.0', '2.31.0', '2.31.0rc1', '2.5+ubuntu1']);
    expect(inRange('pypi', '==2.*', versions)).toEqual(['2.2', '2.3', '2.3.1', '2.30.0', '2.31.0', '2.31.0rc1', '2.5+ubuntu1']);
    expect(inRange('pypi', '!=2.3.1, <3', versions)).toEqual(['2.2', '2.3', '2.30.0', '2.31.0', '2.31.0rc1', '2.5+ubuntu1']);
    expect(inRange('pypi', '===3.0.post1', versions)).toEqual(['3.0.post1']);
    expect(inRange('pypi', '>=1!0', versions)).toEqual(['1!1.0']);
  });
  it('is the scheme of PyPI feeds (by feed type)', () => {
    expect(parseVersionRange('pypi', '<2').scheme).toBe('pypi');
  });
  it('refuses what PEP 440 refuses, with a 400 naming range', () => {
    for (const bad of ['~=1', '>=1.0.*', '==1.0+5.*', '=>2.0', '[1.0,2.0)', '>=1.0+local', '', '>=2,,<3']) {
      expect(() => parseVersionRange('pypi', bad)).toThrow(expect.objectContaining({ status: 400, message: expect.stringMatching(/^range: /) }));
    }
  });
});

describe('vers: ranges', () => {
  it.each(vers.parse)('canonical parse: $input', (c) => {
    if ('error' in c && c.error) {
      expect(() => parseVers(c.input, semverScheme)).toThrow(new VersError(c.error));
    } else {
      const parsed = parseVersSyntax(c.input);
      expect(parsed.constraints).toEqual((c.constraints ?? []).map(([comparator, version]) => ({ comparator, version })));
    }
  });
  it(`containment: ${vers.containment.length} cases of the spec's tests`, () => {
    const wrong = vers.containment.filter(([range, version, want]) => parseVersionRange('pypi', range as string).test(version as string) !== want);
    expect(wrong).toEqual([]);
  });
  it('refuses the spec tests that list constraints out of order (non-canonical)', () => {
    for (const [range] of vers.unsortedRefused) {
      expect(() => parseVersionRange('pypi', range as string)).toThrow(expect.objectContaining({ status: 400, message: expect.stringMatching(/not sorted by version|appears twice/) }));
    }
  });
  it('works for every scheme, with that scheme\'s order', () => {
    expect(inRange('npm', 'vers:npm/>=1.2.0|<2.0.0-0', ['1.1.9', '1.2.0', '1.9.9', '2.0.0-beta', '2.0.0'])).toEqual(['1.2.0', '1.9.9']);
    expect(inRange('nuget', 'vers:nuget/>=1.0|!=1.5|<2.0', ['0.9', '1.0', '1.0.0.1', '1.5', '2.0'])).toEqual(['1.0', '1.0.0.1']);
    expect(inRange('maven', 'vers:maven/<2.17.1', ['2.0-beta', '2.17.0', '2.17.1', '2.17.1-SNAPSHOT'])).toEqual(['2.0-beta', '2.17.0', '2.17.1-SNAPSHOT']);
    expect(inRange('pypi', 'vers:pypi/1.0|>=2.0|<3.0|>=4.0', ['1.0', '1.5', '2.5', '3.0', '4.1'])).toEqual(['1.0', '2.5', '4.1']);
    expect(inRange('nuget', 'vers:nuget/*', ['1.0', 'not-a-version'])).toEqual(['1.0']);
  });
  it('refuses a vers: type that is not the feed\'s scheme, unknown types and redundant sequences', () => {
    expect(() => parseVersionRange('nuget', 'vers:npm/<2.0.0')).toThrow(/compares semver versions, but this feed uses nuget versions/);
    expect(() => parseVersionRange('nuget', 'vers:deb/<2.0')).toThrow(/VERS type "deb" is not supported/);
    expect(() => parseVersionRange('npm', 'vers:npm/>=1.0.0|>=2.0.0')).toThrow(/redundant/);
    expect(() => parseVersionRange('npm', 'vers:npm/<1.0.0|<2.0.0')).toThrow(/redundant/);
    expect(() => parseVersionRange('npm', 'vers:npm/=1.0.0')).toThrow(/without a leading "="/);
    expect(() => parseVersionRange('npm', 'vers:npm/1.0.0|1.0.0')).toThrow(/appears twice/);
    expect(() => parseVersionRange('npm', 'VERS:npm/1.0.0')).toThrow(/^range: /);
  });
});
