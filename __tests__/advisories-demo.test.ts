/** The README's "Which servers are vulnerable?" pasted against the demo: the answer is the one it shows. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readme, readmeBlock, startDemo, type RunningDemo } from './helpers/demo';

describe('the README\'s advisories section against the demo', () => {
  let dir: string;
  let demo: RunningDemo;
  const KEY = 'readme-advisory-key-0001';
  const run = (commands: string) =>
    execFileSync('bash', ['-euc', commands.replaceAll('http://localhost:3000', demo.url)], { env: { ...process.env, KEY }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pd-demo-adv-'));
    demo = await startDemo({ DEPLOYMENTS_API_KEY: KEY }, dir);
  }, 60_000);
  afterAll(async () => {
    await demo?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records, then answers the three advisories as the README shows', async () => {
    expect(run(readmeBlock('<!-- demo-curl:start -->', '<!-- demo-curl:end -->')).match(/^HTTP\/1\.1 200 OK/gm)).toHaveLength(2);
    expect(run(readmeBlock('<!-- advisories-record:start -->', '<!-- advisories-record:end -->')).trim()).toBe('200 200');
    // A download's deployment is written just after the download is served: wait for it (at most 5 s).
    let csv: string[] = [];
    for (let i = 0; i < 50; i++) {
      csv = run(readmeBlock('<!-- advisories-curl:start -->', '<!-- advisories-curl:end -->')).trim().split('\r\n');
      if (csv.length >= 4) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const sample = readme.slice(readme.indexOf('<!-- advisories-curl:end -->')).split('```text\n')[1]!.split('\n```')[0]!.split('\n');
    expect(csv[0]).toBe(sample[0]);
    // The quick start recorded Newtonsoft.Json 12.0.3 twice on localhost: it runs there once.
    const strip = (line: string) => line.replace(/,\d{4}-[^,]*,/, ',<since>,');
    expect(csv.slice(1).map(strip).sort()).toEqual(sample.slice(1).map(strip).sort());
  });
});
