/**
 * "Where is Newtonsoft.Json < 13.0.1 running?" answered from the demo as the README says: its recording
 * loop, its one curl, and its one page URL in a real browser; the two answers agree.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { readme, readmeBlock, startDemo, type RunningDemo } from './helpers/demo';
import { describeWithBrowser, launchChromium } from './helpers/chromium';

describeWithBrowser('the README\'s "where is it running?" against the demo', () => {
  let dir: string;
  let demo: RunningDemo;
  let browser: Browser;
  const KEY = 'readme-read-key-0001';
  const run = (commands: string) =>
    execFileSync('bash', ['-euc', commands.replaceAll('http://localhost:3000', demo.url)], { env: { ...process.env, KEY }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pd-demo-read-'));
    demo = await startDemo({ DEPLOYMENTS_API_KEY: KEY }, dir);
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records with the README\'s loop, then the curl and the page agree on the answer', async () => {
    // The quick start's two deployments first, as a newcomer following the README would have done.
    expect(run(readmeBlock('<!-- demo-curl:start -->', '<!-- demo-curl:end -->')).match(/^HTTP\/1\.1 200 OK/gm)).toHaveLength(2);
    expect(run(readmeBlock('<!-- demo-read-record:start -->', '<!-- demo-read-record:end -->')).trim()).toBe('200 200 200 200 200 200');

    const csv = run(readmeBlock('<!-- demo-read-curl:start -->', '<!-- demo-read-curl:end -->'));
    const rows = csv.trim().split('\r\n').map((line) => line.split(','));
    expect(rows[0]).toEqual(['Id', 'Date', 'FeedName', 'GroupName', 'PackageName', 'Version', 'Target', 'Application', 'UserName', 'Description', 'Url', 'ReceivedAt', 'Removed']);
    const fromCurl = rows.slice(1).map((r) => `${r[6]} ${r[5]}`);
    expect(fromCurl).toEqual(['localhost 12.0.3', 'web-03 11.0.2', 'web-02 12.0.3']);
    // The README's sample output shows the same rows.
    const sample = readme.slice(readme.indexOf('<!-- demo-read-curl:end -->'), readme.indexOf('<!-- demo-read-page -->'));
    for (const r of rows.slice(1)) expect(sample).toContain(`,${r[5]},${r[6]},`);

    const pageUrl = /<!-- demo-read-page -->\n(\S+)/.exec(readme)![1]!.replace('http://localhost:3000', demo.url);
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    const res = await page.goto(pageUrl);
    expect(res?.status()).toBe(200);
    const fromPage = await page.locator('#running-now tbody tr').evaluateAll((trs) => trs.map((tr) => {
      const [target, version] = Array.from(tr.querySelectorAll('td'), (td) => String((td as unknown as { innerText: string }).innerText).trim());
      return `${target} ${version}`;
    }));
    expect(fromPage).toEqual(fromCurl);
    await context.close();
  });
});
