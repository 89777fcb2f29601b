/**
 * The History page in a real browser: headless Chromium (the Debian package, never a download), driven by
 * playwright-core with JavaScript turned off, as a person would use it: filters, pages, running now.
 */
import express from 'express';
import type { Browser, Page } from 'playwright-core';
import request from 'supertest';
import {
  apiKeyAuth,
  createDeploymentRouter,
  createKnexStore,
  validateDeployment,
  type KnexDeploymentStore,
  type NewDeployment,
} from '../lib';
import { renderHistoryPage } from '../lib/read/history-page';
import { createTestDatabase, type TestDatabase } from './helpers/databases';
import { describeWithBrowser, launchChromium } from './helpers/chromium';
import { listen, type RunningServer } from './helpers/http';

const KEY = 'history-page-key';
const XSS = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">';

let db: TestDatabase;
let store: KnexDeploymentStore;
let server: RunningServer;
let browser: Browser;
let page: Page;
let app: express.Express;

function deployment(overrides: Record<string, string>): NewDeployment {
  const result = validateDeployment({ Application: 'Octopus', Description: 'Deployed by Octopus', Target: 'web-01', FeedName: 'DefaultNuGet', PackageName: 'Newtonsoft.Json', Version: '12.0.3', UserName: 'alice', ...overrides });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.deployment;
}

beforeAll(async () => {
  db = await createTestDatabase('sqlite');
  store = createKnexStore({ knex: db.knex });
  const history: NewDeployment[] = [];
  // 60 older deployments on build agents, so that the history has two pages of 50.
  for (let i = 0; i < 60; i++) {
    history.push(deployment({ Target: `agent-${String(i).padStart(2, '0')}`, Version: i % 2 ? '12.0.1' : '13.0.2', Date: new Date(Date.UTC(2023, 0, 1, 0, i)).toISOString() }));
  }
  history.push(
    deployment({ Target: 'web-01', Version: '12.0.3', Date: '2024-01-01T10:00:00Z', Url: 'https://buildmaster.example/builds/7?a=1&b=2' }),
    deployment({ Target: 'web-01', Version: '13.0.1', Date: '2024-02-01T10:00:00Z', Application: 'BuildMaster', UserName: 'bob' }),
    deployment({ Target: 'web-02', Version: '11.0.2', Date: '2024-01-15T10:00:00Z', Description: XSS, Application: '<b>Tool</b>' }),
  );
  await store.record(history);
  // A URL that is not http(s), as a store written by something else might hold: shown, never linked.
  await store.record([{ ...deployment({ Target: 'db-01', Version: '9.0.1', Date: '2024-03-01T10:00:00Z' }), url: 'javascript:alert(document.domain)' }]);

  app = express();
  app.use(createDeploymentRouter({
    store,
    auth: apiKeyAuth({ keys: [{ name: 'ci', key: KEY }], anonymous: { feeds: ['DefaultNuGet'] } }),
    feeds: ['DefaultNuGet', 'Private'],
    versionSchemes: { DefaultNuGet: 'nuget' },
  }));
  server = await listen(app);
}, 60_000);

afterAll(async () => {
  await server?.close();
  await store?.close();
  await db?.destroy();
});

const cells = (selector: string) => page.locator(selector).evaluateAll((rows) => rows.map((row) => Array.from(row.querySelectorAll('td'), (td) => String((td as unknown as { innerText: string }).innerText).trim())));

describeWithBrowser('the History page', () => {
  beforeAll(async () => {
    browser = await launchChromium();
    const context = await browser.newContext({ javaScriptEnabled: false });
    page = await context.newPage();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  it('shows running now and the history, newest first, as Application | Details | More Info', async () => {
    const res = await page.goto(`${server.url}/-/deployments/DefaultNuGet/Newtonsoft.Json`);
    expect(res?.status()).toBe(200);
    expect(await page.title()).toBe('Newtonsoft.Json · deployments · DefaultNuGet');
    expect(await page.locator('h1').innerText()).toBe('Deployments of Newtonsoft.Json');

    const running = await cells('#running-now tbody tr');
    expect(running.slice(0, 3).map((r) => [r[0], r[1]])).toEqual([['db-01', '9.0.1'], ['web-01', '13.0.1'], ['web-02', '11.0.2']]);
    expect(running).toHaveLength(63);

    expect(await page.locator('#history thead th').allInnerTexts()).toEqual(['Application', 'Details', 'More Info']);
    const rows = await cells('#history tbody tr');
    expect(rows).toHaveLength(50);
    expect(rows[0]![1]).toBe('db-01 on 2024-03-01 10:00:00 UTC by alice\nDeployed by Octopus');
    expect(rows[1]![0]).toBe('BuildMaster 13.0.1');
    expect(rows[1]![1]).toBe('web-01 on 2024-02-01 10:00:00 UTC by bob\nDeployed by Octopus');
  });

  it('escapes every field, and links a Url only when it is http(s)', async () => {
    await page.goto(`${server.url}/-/deployments/DefaultNuGet/Newtonsoft.Json`);
    const web02 = page.locator('#history tbody tr', { hasText: 'web-02 on' });
    expect(await web02.locator('td').first().innerText()).toBe('<b>Tool</b> 11.0.2');
    expect(await web02.locator('.description').innerText()).toBe(XSS);
    expect(await page.locator('#history img, #history b, #history script').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned)).toBeUndefined();

    const db01 = page.locator('#history tbody tr', { hasText: 'db-01 on' }).locator('.more-info');
    expect(await db01.innerText()).toBe('javascript:alert(document.domain)');
    expect(await db01.locator('a').count()).toBe(0);
    const link = page.locator('#history tbody tr', { hasText: 'web-01 on 2024-01-01' }).locator('.more-info a');
    expect(await link.getAttribute('href')).toBe('https://buildmaster.example/builds/7?a=1&b=2');
  });

  it('filters with the plain form: a range shows only the targets running a matching version now', async () => {
    await page.goto(`${server.url}/-/deployments/DefaultNuGet/Newtonsoft.Json`);
    await page.getByLabel('Version range').fill('(,13.0.1)');
    await page.getByLabel('Target starts with').fill('web-');
    await Promise.all([page.waitForURL(/range=/), page.getByRole('button', { name: 'Filter' }).click()]);
    expect(new URL(page.url()).searchParams.get('range')).toBe('(,13.0.1)');
    // web-01 once ran 12.0.3 but runs 13.0.1 now: only web-02 is running a version below 13.0.1.
    expect((await cells('#running-now tbody tr')).map((r) => r[0])).toEqual(['web-02']);
    expect((await cells('#history tbody tr')).map((r) => r[1]!.split(' on ')[0])).toEqual(['web-02', 'web-01']);
    expect(await page.getByLabel('Version range').inputValue()).toBe('(,13.0.1)');

    // The page and the read API agree.
    const api = await request(app).get('/api/package-deployment/current').query({ feed: 'DefaultNuGet', package: 'Newtonsoft.Json', range: '(,13.0.1)', targetPrefix: 'web-' }).expect(200);
    expect(api.body.records.map((r: { Target: string }) => r.Target)).toEqual(['web-02']);
    // The page's export links carry its filters.
    const exported = await page.locator('#running-now a', { hasText: 'NDJSON' }).getAttribute('href');
    const lines = (await request(app).get(exported!).expect(200)).text.trimEnd().split('\n').map((l) => JSON.parse(l).Target);
    expect(lines).toEqual(['web-02']);
  });

  it('keeps an exact version typed in the form in the export links', async () => {
    await page.goto(`${server.url}/-/deployments/DefaultNuGet/Newtonsoft.Json?version=12.0.3`);
    const csv = await page.locator('#history a', { hasText: 'CSV' }).getAttribute('href');
    expect(new URLSearchParams(csv!.split('?')[1]).get('version')).toBe('12.0.3');
  });

  it('pages with Older and Newest links', async () => {
    await page.goto(`${server.url}/-/deployments/DefaultNuGet/Newtonsoft.Json`);
    const first = await cells('#history tbody tr');
    await Promise.all([page.waitForURL(/cursor=/), page.getByRole('link', { name: 'Older' }).click()]);
    const second = await cells('#history tbody tr');
    expect(second).toHaveLength(14);
    expect(second[0]![1]).toMatch(/^agent-13 on 2023-01-01 00:13:00 UTC by alice/);
    expect(second[13]![1]).toMatch(/^agent-00 on/);
    expect(await page.getByRole('link', { name: 'Older' }).count()).toBe(0);
    await Promise.all([page.waitForURL((u) => !u.search.includes('cursor')), page.getByRole('link', { name: 'Newest' }).click()]);
    expect(await cells('#history tbody tr')).toEqual(first);
  });

  it('shows a bad filter above the form with status 400', async () => {
    await page.goto(`${server.url}/-/deployments/DefaultNuGet/Newtonsoft.Json`);
    await page.getByLabel('Version range').fill('^13');
    const [res] = await Promise.all([page.waitForResponse(/range=/), page.getByRole('button', { name: 'Filter' }).click()]);
    expect(res.status()).toBe(400);
    expect(await page.getByRole('alert').innerText()).toMatch(/^range: "\^13" is not a nuget version range/);
  });

  it('has a page per version, and export links that answer CSV', async () => {
    await page.goto(`${server.url}/-/deployments/DefaultNuGet/Newtonsoft.Json/13.0.1`);
    expect(await page.locator('h1').innerText()).toBe('Deployments of Newtonsoft.Json 13.0.1');
    expect((await cells('#history tbody tr')).map((r) => r[1]!.split(' on ')[0])).toEqual(['web-01']);
    const csv = await page.locator('#history a', { hasText: 'CSV' }).getAttribute('href');
    const res = await request(app).get(csv!).expect(200);
    expect(res.text.trim().split('\r\n')).toHaveLength(2);
  });

  it('needs the read privilege: anonymous gets 403 on a feed it may not view', async () => {
    const res = await page.goto(`${server.url}/-/deployments/Private/Newtonsoft.Json`);
    expect(res?.status()).toBe(403);
    const withKey = await page.goto(`${server.url}/-/deployments/Private/Newtonsoft.Json?key=${KEY}`);
    expect(withKey?.status()).toBe(200);
    expect(await page.locator('#history .empty').innerText()).toBe('No deployments match.');
  });
});

describe('renderHistoryPage', () => {
  it('escapes what it is given, the feed and package names among them', () => {
    const html = renderHistoryPage({ feed: '<f>', packageName: '"p"', filters: { range: '"><script>' }, scheme: 'semver', path: '/deployments/x/y', apiPath: '/api/package-deployment' });
    expect(html).not.toMatch(/<script>|<f>|value=""><script>/);
    expect(html).toContain('&lt;f&gt;');
    expect(html).toContain('&quot;p&quot;');
  });
});
