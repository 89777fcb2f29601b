/**
 * The README's feed-download example against the demo feed server, pasted verbatim: the curl download
 * with the deployment headers, the demo's log line, then the README's look at the newest row, which must
 * print the table the README shows.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, readme, readmeBlock, startDemo, type RunningDemo } from './helpers/demo';
import { FIXTURES } from './helpers/feed-app';

describe('the README feed-download example against the demo feed server', () => {
  let dir: string;
  let demo: RunningDemo;
  const KEY = 'readme-feed-key-0001';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pd-feed-demo-'));
    demo = await startDemo({ DEPLOYMENTS_API_KEY: KEY }, dir);
  });
  afterAll(async () => {
    await demo?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('downloads the real .upack unchanged, records it, and the SQLite file shows the README\'s row', async () => {
    const commands = readmeBlock('<!-- feed-curl:start -->', '<!-- feed-curl:end -->').replaceAll('http://localhost:3000', demo.url);
    const out = execFileSync('bash', ['-euc', commands], { cwd: dir, env: { ...process.env, KEY }, encoding: 'utf8' });
    expect(out.trim()).toBe(`200 ${FIXTURES.upack.bytes.length} bytes`);
    expect(readme).toContain(`It answers \`200 ${FIXTURES.upack.bytes.length} bytes\``);
    expect(readFileSync(join(dir, 'deploy-kit.upack')).equals(FIXTURES.upack.bytes)).toBe(true);

    // The demo logs each committed record; wait for its line rather than for a time.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no record logged:\n${demo.output()}`)), 10_000);
      const check = () => {
        if (/recorded #\d+ \(upack download\): deploy-kit 5\.3\.38 on web-01 by demo/.test(demo.output())) {
          clearTimeout(timer);
          demo.child.stdout!.off('data', check);
          resolve();
        }
      };
      demo.child.stdout!.on('data', check);
      check();
    });

    const look = readme.slice(readme.indexOf('<!-- feed-curl:end -->')).match(/^node -e .*$/m)![0];
    const table = execFileSync('bash', ['-c', look], { cwd: dir, env: { ...process.env, NODE_PATH: join(REPO, 'node_modules') }, encoding: 'utf8' });
    expect(table.trim()).toBe(readmeBlock('<!-- feed-row:start -->', '<!-- feed-row:end -->'));
  });

  it('serves the .nupkg and the npm .tgz under their layouts, unchanged, recording nothing without headers', () => {
    const get = (path: string) => execFileSync('curl', ['-s', '-f', `${demo.url}${path}`], { encoding: 'buffer', maxBuffer: 1 << 20 });
    expect(get('/nuget/DefaultNuGet/package/Inedo.Demo/1.2.3').equals(FIXTURES.nuget.bytes)).toBe(true);
    expect(get('/nuget/DefaultNuGet/v3/flatcontainer/inedo.demo/1.2.3/inedo.demo.1.2.3.nupkg').equals(FIXTURES.nuget.bytes)).toBe(true);
    expect(get('/npm/npm-packages/@demo/left-pad/-/left-pad-1.0.0.tgz').equals(FIXTURES.npm.bytes)).toBe(true);
    expect(get('/upack/Products/download/demo/tools/deploy-kit?latest').equals(FIXTURES.upack.bytes)).toBe(true);
    // The .nupkg is a zip holding the .nuspec; the .tgz a gzipped tar holding package/package.json.
    expect(FIXTURES.nuget.bytes.includes(Buffer.from('Inedo.Demo.nuspec'))).toBe(true);
    expect(execFileSync('tar', ['-tz'], { input: FIXTURES.npm.bytes, encoding: 'utf8' })).toContain('package/package.json');
  });
});
