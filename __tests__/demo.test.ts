/**
 * The README's quick start, as a newcomer runs it: the demo feed server, then the README's own curl
 * commands, pasted verbatim, then the README's look into the SQLite file.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, readme, readmeBlock, startDemo, type RunningDemo } from './helpers/demo';

describe('the README quick start against the demo feed server', () => {
  let dir: string;
  let demo: RunningDemo;
  const KEY = 'readme-demo-key-0001';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pd-demo-'));
    demo = await startDemo({ DEPLOYMENTS_API_KEY: KEY }, dir);
  });
  afterAll(async () => {
    await demo?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the API key it uses', () => {
    expect(demo.output()).toContain(`API key: ${KEY}`);
  });

  it('records the two deployments of the README\'s curl commands, and the SQLite file shows them', () => {
    const commands = readmeBlock('<!-- demo-curl:start -->', '<!-- demo-curl:end -->').replaceAll('http://localhost:3000', demo.url);
    const out = execFileSync('bash', ['-euc', commands], { env: { ...process.env, KEY }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(out.match(/^HTTP\/1\.1 200 OK/gm)).toHaveLength(2);

    const look = /^node -e .*$/m.exec(readme)![0];
    const table = execFileSync('bash', ['-c', look], { cwd: dir, env: { ...process.env, NODE_PATH: join(REPO, 'node_modules') }, encoding: 'utf8' });
    expect(table.match(/Newtonsoft\.Json/g)).toHaveLength(2);
    expect(table).toContain('12.0.3');
    expect(table).toContain('demo');
  });

  it('answers the README\'s bad requests with their documented status', () => {
    const curl = (...args: string[]) =>
      execFileSync('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-X', 'POST', `${demo.url}/api/package-deployment/`, ...args], { encoding: 'utf8' });
    expect(curl('--data', 'FeedName=DefaultNuGet&Application=a&Description=&Target=t&PackageName=p&Version=1')).toBe('403');
    expect(curl('-H', `X-ApiKey: ${KEY}`, '--data', 'FeedName=DefaultNuGet&Target=web')).toBe('400');
    expect(curl('-H', `X-ApiKey: ${KEY}`, '--data', 'FeedName=NoSuchFeed&Application=a&Description=&Target=t&PackageName=p&Version=1')).toBe('404');
    expect(curl('-H', `X-ApiKey: ${KEY}`, '-H', 'Content-Type: text/xml', '--data', '<x/>')).toBe('415');
    expect(curl('-H', `X-ApiKey: ${KEY}`, '--data', `Description=${'x'.repeat(70_000)}`)).toBe('413');
    expect(curl('-H', `X-ApiKey: ${KEY}`, '-H', 'Content-Type: application/json', '--data', '{"FeedName":')).toBe('400');
  });

  it('stops cleanly on SIGTERM', async () => {
    expect(await demo.stop('SIGTERM')).toBe(0);
  });
});
