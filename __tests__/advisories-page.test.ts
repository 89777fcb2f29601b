/**
 * The Advisories page in a real browser (Debian Chromium, JavaScript off): paste, upload, purl + range;
 * the affected targets and the reports shown; bad input answered on the page; hostile text stays text.
 */
import express from 'express';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import advisories from './fixtures/advisories.json';
import { apiKeyAuth, createDeploymentRouter, createKnexStore, validateDeployment, type KnexDeploymentStore, type NewDeployment } from '../lib';
import { createTestDatabase, type TestDatabase } from './helpers/databases';
import { describeWithBrowser, launchChromium } from './helpers/chromium';
import { listen, type RunningServer } from './helpers/http';

const KEY = 'advisories-page-key';
const SCHEMES = { nuget: 'nuget', npm: 'npm', maven: 'maven', pypi: 'pypi' } as const;
let db: TestDatabase;
let store: KnexDeploymentStore;
let server: RunningServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let dir: string;

function d(feed: string, group: string, pkg: string, version: string, target: string, day: number): NewDeployment {
  const r = validateDeployment({ Application: 'Octopus', Description: '', Target: target, FeedName: feed, GroupName: group, PackageName: pkg, Version: version, UserName: 'alice', Date: new Date(Date.UTC(2024, 0, day)).toISOString() });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.deployment;
}

// Without Chromium the whole file says so loudly and skips (CI=true fails instead): see helpers/chromium.ts.
describeWithBrowser('the Advisories page', () => {
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pd-adv-page-'));
  db = await createTestDatabase('sqlite');
  store = createKnexStore({ knex: db.knex, versionSchemes: SCHEMES });
  await store.record([
    d('nuget', '', 'Newtonsoft.Json', '12.0.3', 'web-01', 1),
    d('nuget', '', 'Newtonsoft.Json', '13.0.1', 'web-02', 2),
    d('maven', 'org.apache.logging.log4j', 'log4j-core', '2.14.1', 'app-01', 3),
    d('pypi', '', 'requests', '2.28.1', 'py-01', 4),
  ]);
  const app = express();
  app.use(createDeploymentRouter({ store, auth: apiKeyAuth({ keys: [{ name: 'audit', key: KEY }] }), feeds: Object.keys(SCHEMES), versionSchemes: SCHEMES }));
  server = await listen(app);
  browser = await launchChromium();
  context = await browser.newContext({ javaScriptEnabled: false });
  page = await context.newPage();
}, 60_000);
afterAll(async () => {
  await context?.close();
  await browser?.close();
  await server?.close();
  await store?.close();
  await db?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const url = () => `${server.url}/-/deployments/advisories?key=${KEY}`;
const rows = () => page.locator('#affected tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => String((td as unknown as { innerText: string }).innerText).trim())));
const short = (r: string[][]) => r.map((c) => `${c[0]} ${c[3]} ${c[4]} ${c[5]} fixed:${c[9]}`).sort();
const EXPECTED = [
  'GHSA-5crp-9r3c-p9vr Newtonsoft.Json 12.0.3 web-01 fixed:13.0.1',
  'GHSA-j8r2-6x86-q33q requests 2.28.1 py-01 fixed:2.31.0',
  'GHSA-jfh8-c2jp-5v3q org.apache.logging.log4j/log4j-core 2.14.1 app-01 fixed:2.15.0',
];

it('pasting OSV advisories lists the targets running an affected version now', async () => {
  expect((await page.goto(url()))?.status()).toBe(200);
  await page.locator('#advisory').fill(JSON.stringify(advisories));
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Find affected targets' }).click()]);
  expect(short(await rows())).toEqual(EXPECTED);
  expect(await page.locator('#affected-heading').innerText()).toBe('Affected targets (3)');
  // The npm advisories find nothing running (no npm records): nothing reported, nothing matched.
  expect(await page.locator('#reports').count()).toBe(0);
});

it('uploading a file gives the same answer', async () => {
  const file = join(dir, 'advisories.json');
  writeFileSync(file, JSON.stringify({ vulns: advisories }));
  await page.goto(url());
  await page.locator('input[type=file]').setInputFiles(file);
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Find affected targets' }).click()]);
  expect(short(await rows())).toEqual(EXPECTED);
});

it('a package URL and a range', async () => {
  await page.goto(url());
  await page.locator('input[name=purl]').fill('pkg:nuget/newtonsoft.json');
  await page.locator('input[name=range]').fill('vers:nuget/<13.0.2');
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Find affected targets' }).click()]);
  expect((await rows()).map((c) => `${c[4]} ${c[5]}`).sort()).toEqual(['12.0.3 web-01', '13.0.1 web-02']);
});

it('shows what could not be evaluated, and bad input as a 400 page naming the JSON path', async () => {
  await page.goto(url());
  await page.locator('#advisory').fill(JSON.stringify({ id: 'X-1', affected: [{ package: { ecosystem: 'crates.io', name: 'time' }, versions: ['0.1.0'] }] }));
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Find affected targets' }).click()]);
  expect(await page.locator('#reports li').innerText()).toMatch(/^X-1 \$\.affected\[0\]: ecosystem "crates\.io" is not one this server maps feeds to/);

  await page.goto(url());
  await page.locator('#advisory').fill(JSON.stringify({ id: 'X-2', affected: [{ package: { ecosystem: 'npm', name: 'a' }, ranges: [{ type: 'SEMVER', events: [{ fixed: '1.0.0' }] }] }] }));
  const [res] = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Find affected targets' }).click()]);
  expect(res?.status()).toBe(400);
  expect(await page.getByRole('alert').innerText()).toBe('$.affected[0].ranges[0].events: must hold at least one introduced event.');
  // What was pasted is still there, to fix.
  expect(await page.locator('#advisory').inputValue()).toContain('"X-2"');
});

it('renders hostile advisory text as text', async () => {
  const hostile = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">';
  await page.goto(url());
  await page.locator('#advisory').fill(JSON.stringify({ id: hostile, aliases: [hostile], affected: [{ package: { ecosystem: 'NuGet', name: 'Newtonsoft.Json' }, versions: ['12.0.3'] }] }));
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Find affected targets' }).click()]);
  expect((await rows())[0]![0]).toBe(hostile);
  expect(await page.locator('#affected img').count()).toBe(0);
  expect(await page.locator('body script').count()).toBe(0);
});

it('refuses a caller who may read nothing', async () => {
  const res = await fetch(`${server.url}/-/deployments/advisories`, { method: 'POST', body: new URLSearchParams({ advisory: JSON.stringify(advisories) }) });
  expect(res.status).toBe(403);
});
});
