/**
 * Each download URL layout on real URLs of its kind (as the clients of that feed type request them),
 * URL-encoded names among them, and URLs that are not downloads.
 */
import type { Request } from 'express';
import {
  customLayout,
  helmLayout,
  mavenLayout,
  npmLayout,
  nugetV2Layout,
  nugetV3Layout,
  packagesApiLayout,
  pypiLayout,
  routeParamsLayout,
  upackLayout,
  type FeedLayout,
} from '../lib';
import { parsePurl } from '../lib/downloads/layouts/packages-api';

const req = (originalUrl: string, params: Record<string, unknown> = {}) => ({ originalUrl, url: originalUrl, params }) as unknown as Request;
const resolve = (layout: FeedLayout, url: string) => layout.resolve(req(url));

describe('upackLayout', () => {
  const layout = upackLayout();
  it('reads the contract example: group with a slash, name, version', () => {
    expect(resolve(layout, '/upack/Products/download/InedoReleases/sub/ProGet/5.3.38')).toEqual({ feedName: 'Products', groupName: 'InedoReleases/sub', packageName: 'ProGet', version: '5.3.38' });
  });
  it('takes a package without a group, and ignores ?contentOnly', () => {
    expect(resolve(layout, '/upack/Products/download/ProGet/5.3.38?contentOnly=zip')).toEqual({ feedName: 'Products', packageName: 'ProGet', version: '5.3.38' });
  });
  it('decodes URL-encoded segments, an encoded slash in the group included', () => {
    expect(resolve(layout, '/upack/My%20Feed/download/team%2Fa/my%20tool/1.0.0%2Bbuild.5')).toEqual({ feedName: 'My Feed', groupName: 'team/a', packageName: 'my tool', version: '1.0.0+build.5' });
  });
  it('reads ?latest as a download without a version', () => {
    expect(resolve(layout, '/upack/Products/download/InedoReleases/ProGet?latest')).toEqual({ feedName: 'Products', groupName: 'InedoReleases', packageName: 'ProGet' });
  });
  it('matches the prefix case-insensitively, and refuses other URLs and bad encodings', () => {
    expect(resolve(layout, '/UPACK/Products/Download/ProGet/1.0.0')?.packageName).toBe('ProGet');
    expect(resolve(layout, '/upack/Products/packages')).toBeUndefined();
    expect(resolve(layout, '/upack/Products/download/ProGet')).toBeUndefined();
    expect(resolve(layout, '/upack/Products/download/Pro%E0Get/1.0.0')).toBeUndefined();
    expect(resolve(layout, '/nuget/Products/package/ProGet/1.0.0')).toBeUndefined();
  });
  it('takes another prefix, or a fixed feed', () => {
    expect(resolve(upackLayout({ prefix: '/feeds/:feed/upack' }), '/feeds/F/upack/g/n/1.0')).toEqual({ feedName: 'F', groupName: 'g', packageName: 'n', version: '1.0' });
    expect(resolve(upackLayout({ prefix: '/upack', feed: 'Only' }), '/upack/n/1.0')).toEqual({ feedName: 'Only', packageName: 'n', version: '1.0' });
    expect(() => upackLayout({ prefix: '/upack' })).toThrow(/no ":feed" segment/);
    expect(() => upackLayout({ prefix: 'upack/:feed' })).toThrow(/must be a path starting with "\/"/);
  });
});

describe('packagesApiLayout', () => {
  const layout = packagesApiLayout();
  it('reads group, name and version from the query', () => {
    expect(resolve(layout, '/api/packages/Products/download?group=InedoReleases%2Fsub&name=ProGet&version=5.3.38')).toEqual({ feedName: 'Products', groupName: 'InedoReleases/sub', packageName: 'ProGet', version: '5.3.38' });
  });
  it('has no version for latest, and needs a name', () => {
    expect(resolve(layout, '/api/packages/npm-packages/download?name=left-pad')).toEqual({ feedName: 'npm-packages', packageName: 'left-pad' });
    expect(resolve(layout, '/api/packages/npm-packages/download?version=1.0.0')).toBeUndefined();
  });
  it('reads a package URL', () => {
    expect(resolve(layout, `/api/packages/npm-packages/download?purl=${encodeURIComponent('pkg:npm/%40babel/core@7.24.0')}`)).toEqual({ feedName: 'npm-packages', groupName: '@babel', packageName: 'core', version: '7.24.0' });
    expect(parsePurl('pkg:maven/org.apache.commons/commons-lang3@3.14.0?type=jar')).toEqual({ groupName: 'org.apache.commons', packageName: 'commons-lang3', version: '3.14.0' });
    expect(parsePurl('pkg:nuget/Newtonsoft.Json')).toEqual({ packageName: 'Newtonsoft.Json', groupName: undefined, version: undefined });
    expect(parsePurl('not a purl')).toBeUndefined();
  });
});

describe('nugetV2Layout', () => {
  const layout = nugetV2Layout();
  it('reads id and version as NuGet v2 clients request them', () => {
    expect(resolve(layout, '/nuget/DefaultNuGet/package/Newtonsoft.Json/12.0.3')).toEqual({ feedName: 'DefaultNuGet', packageName: 'Newtonsoft.Json', version: '12.0.3' });
  });
  it('reads a download without a version as latest, and decodes names', () => {
    expect(resolve(layout, '/nuget/DefaultNuGet/package/Newtonsoft.Json')).toEqual({ feedName: 'DefaultNuGet', packageName: 'Newtonsoft.Json' });
    expect(resolve(layout, '/nuget/Default%20NuGet/package/My.Pkg/1.0.0-beta%2B1')).toEqual({ feedName: 'Default NuGet', packageName: 'My.Pkg', version: '1.0.0-beta+1' });
  });
  it('refuses other NuGet URLs', () => {
    expect(resolve(layout, '/nuget/DefaultNuGet/Packages()')).toBeUndefined();
    expect(resolve(layout, '/nuget/DefaultNuGet/package/a/b/c')).toBeUndefined();
  });
});

describe('nugetV3Layout', () => {
  const layout = nugetV3Layout();
  it('reads the flat container download', () => {
    expect(resolve(layout, '/nuget/DefaultNuGet/v3/flatcontainer/newtonsoft.json/13.0.3/newtonsoft.json.13.0.3.nupkg')).toEqual({ feedName: 'DefaultNuGet', packageName: 'newtonsoft.json', version: '13.0.3' });
  });
  it('refuses the .nuspec and the version index, and file names of another package', () => {
    expect(resolve(layout, '/nuget/DefaultNuGet/v3/flatcontainer/newtonsoft.json/13.0.3/newtonsoft.json.nuspec')).toBeUndefined();
    expect(resolve(layout, '/nuget/DefaultNuGet/v3/flatcontainer/newtonsoft.json/index.json')).toBeUndefined();
    expect(resolve(layout, '/nuget/DefaultNuGet/v3/flatcontainer/a/1.0.0/b.1.0.0.nupkg')).toBeUndefined();
  });
  it('decodes encoded versions', () => {
    expect(resolve(layout, '/nuget/F/v3/flatcontainer/my.pkg/1.0.0-rc.1/my.pkg.1.0.0-rc.1.nupkg')?.version).toBe('1.0.0-rc.1');
    expect(resolve(nugetV3Layout({ prefix: '/v3-flatcontainer', feed: 'nuget.org' }), '/v3-flatcontainer/x/1.0.0/x.1.0.0.nupkg')).toEqual({ feedName: 'nuget.org', packageName: 'x', version: '1.0.0' });
  });
});

describe('npmLayout', () => {
  const layout = npmLayout();
  it('reads an unscoped tarball', () => {
    expect(resolve(layout, '/npm/npm-packages/left-pad/-/left-pad-1.3.0.tgz')).toEqual({ feedName: 'npm-packages', packageName: 'left-pad', version: '1.3.0' });
  });
  it('reads a scoped tarball: the scope is the group', () => {
    expect(resolve(layout, '/npm/npm-packages/@babel/core/-/core-7.24.0.tgz')).toEqual({ feedName: 'npm-packages', groupName: '@babel', packageName: 'core', version: '7.24.0' });
  });
  it('reads a scope sent URL-encoded, in one segment or two', () => {
    expect(resolve(layout, '/npm/npm-packages/@babel%2fcore/-/core-7.24.0.tgz')).toEqual({ feedName: 'npm-packages', groupName: '@babel', packageName: 'core', version: '7.24.0' });
    expect(resolve(layout, '/npm/npm-packages/%40babel/core/-/core-7.24.0-beta.1.tgz')).toEqual({ feedName: 'npm-packages', groupName: '@babel', packageName: 'core', version: '7.24.0-beta.1' });
  });
  it('refuses metadata requests and mismatched file names', () => {
    expect(resolve(layout, '/npm/npm-packages/left-pad')).toBeUndefined();
    expect(resolve(layout, '/npm/npm-packages/@babel%2fcore')).toBeUndefined();
    expect(resolve(layout, '/npm/npm-packages/left-pad/-/right-pad-1.0.0.tgz')).toBeUndefined();
  });
});

describe('mavenLayout', () => {
  const layout = mavenLayout();
  it('reads group path, artifact and version', () => {
    expect(resolve(layout, '/maven2/maven-releases/org/apache/commons/commons-lang3/3.14.0/commons-lang3-3.14.0.jar')).toEqual({ feedName: 'maven-releases', groupName: 'org.apache.commons', packageName: 'commons-lang3', version: '3.14.0' });
  });
  it('takes classifiers, and the unique version of a SNAPSHOT', () => {
    expect(resolve(layout, '/maven2/m/com/example/app/1.0/app-1.0-sources.jar')?.version).toBe('1.0');
    expect(resolve(layout, '/maven2/m/com/example/app/1.0-SNAPSHOT/app-1.0-20240501.120000-3.war')).toEqual({ feedName: 'm', groupName: 'com.example', packageName: 'app', version: '1.0-20240501.120000-3' });
  });
  it('skips POMs, checksums, signatures and metadata', () => {
    for (const file of ['app-1.0.pom', 'app-1.0.jar.sha1', 'app-1.0.jar.asc', 'app-1.0.jar.md5']) {
      expect(resolve(layout, `/maven2/m/com/example/app/1.0/${file}`)).toBeUndefined();
    }
    expect(resolve(layout, '/maven2/m/com/example/app/maven-metadata.xml')).toBeUndefined();
    expect(resolve(mavenLayout({ skipExtensions: [] }), '/maven2/m/com/example/app/1.0/app-1.0.pom')?.version).toBe('1.0');
  });
});

describe('pypiLayout', () => {
  const layout = pypiLayout();
  it('reads wheels and sdists, names normalised (PEP 503)', () => {
    expect(resolve(layout, '/pypi/pypi-packages/download/requests/2.31.0/requests-2.31.0-py3-none-any.whl')).toEqual({ feedName: 'pypi-packages', packageName: 'requests', version: '2.31.0' });
    expect(resolve(layout, '/pypi/pypi-packages/packages/Django-4.2.11.tar.gz')).toEqual({ feedName: 'pypi-packages', packageName: 'django', version: '4.2.11' });
    expect(resolve(layout, '/pypi/p/packages/typing_extensions-4.9.0-py3-none-any.whl')?.packageName).toBe('typing-extensions');
    expect(resolve(layout, '/pypi/p/packages/python-dateutil-2.8.2.tar.gz')).toEqual({ feedName: 'p', packageName: 'python-dateutil', version: '2.8.2' });
    expect(resolve(layout, '/pypi/p/packages/numpy-1.26.4-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl')?.version).toBe('1.26.4');
    expect(resolve(layout, '/pypi/p/packages/my%20pkg-1.0rc1.zip')?.version).toBe('1.0rc1');
  });
  it('refuses the simple index and other files', () => {
    expect(resolve(layout, '/pypi/p/simple/requests/')).toBeUndefined();
    expect(resolve(layout, '/pypi/p/packages/requests.tar.gz')).toBeUndefined();
  });
});

describe('helmLayout', () => {
  const layout = helmLayout();
  it('reads chart archives whose names hold dashes', () => {
    expect(resolve(layout, '/helm/charts/my-web-app-1.2.3.tgz')).toEqual({ feedName: 'charts', packageName: 'my-web-app', version: '1.2.3' });
    expect(resolve(layout, '/helm/charts/charts/nginx-15.0.0-rc.1%2Bmeta.tgz')).toEqual({ feedName: 'charts', packageName: 'nginx', version: '15.0.0-rc.1+meta' });
  });
  it('refuses the index and names without a SemVer version', () => {
    expect(resolve(layout, '/helm/charts/index.yaml')).toBeUndefined();
    expect(resolve(layout, '/helm/charts/nginx-latest.tgz')).toBeUndefined();
  });
});

describe('routeParamsLayout and customLayout', () => {
  it('reads the route parameters, wildcard arrays joined with "/"', () => {
    const layout = routeParamsLayout({ feedType: 'upack', params: { group: 'group', name: 'pkg', version: 'ver' } });
    expect(layout.resolve(req('/x', { feed: 'F', group: ['a', 'b'], pkg: 'n', ver: '1.0' }))).toEqual({ feedName: 'F', groupName: 'a/b', packageName: 'n', version: '1.0' });
    expect(layout.resolve(req('/x', { feed: 'F' }))).toBeUndefined();
    expect(layout.feedType).toBe('upack');
    expect(routeParamsLayout({ feed: 'Fixed' }).resolve(req('/x', { name: 'n' }))).toEqual({ feedName: 'Fixed', packageName: 'n' });
  });
  it('calls your function', () => {
    const layout = customLayout((r) => (r.originalUrl === '/dl/x' ? { feedName: 'F', packageName: 'x', version: '2' } : undefined), { feedType: 'files' });
    expect(layout.resolve(req('/dl/x'))).toEqual({ feedName: 'F', packageName: 'x', version: '2' });
    expect(layout.resolve(req('/dl/y'))).toBeUndefined();
    expect(() => customLayout(undefined as never)).toThrow(/must be a function/);
  });
});
