/**
 * The History page and the exports escape everything. Hostile values in every text field: HTML and
 * script, a `javascript:` (and a `data:`) Url, spreadsheet formulas, quotes, commas, line breaks,
 * U+2028/U+2029 and `</script>`.
 *
 * The validator refuses Urls that are not http(s), so these rows are written with `store.record()`
 * directly, as an older version or another tool writing the same table would: the page and the exports
 * must be safe for whatever the table holds, not only for what came through the validator.
 *
 * The page is checked in headless Chromium (the Debian package) with JavaScript ON, so that a script
 * that got through would run: once as served (with its Content-Security-Policy) and once with the same
 * HTML loaded without that header, so that escaping alone is what keeps it safe.
 */
import express from 'express';
import type { Browser, Page } from 'playwright-core';
import request from 'supertest';
import { apiKeyAuth, createDeploymentRouter, createKnexStore, type KnexDeploymentStore, type NewDeployment } from '../lib';
import { createTestDatabase, type TestDatabase } from './helpers/databases';
import { describeWithBrowser, launchChromium } from './helpers/chromium';
import { listen, type RunningServer } from './helpers/http';

const FEED = 'DefaultNuGet';
const PACKAGE = 'Evil.Package';
const PAGE = `/-/deployments/${FEED}/${PACKAGE}`;
const SCRIPT = '<script>window.__pwned=1</script>';
const IMG = '<img src=x onerror="window.__pwned=2">';
const SVG = '<svg onload="window.__pwned=4"></svg>';
const DATE = new Date('2024-05-01T12:00:00.000Z');

const base: NewDeployment = {
  feedName: FEED, packageName: PACKAGE, version: '1.0.0', application: 'BuildMaster', description: '', target: 'web-01',
  userName: 'alice', date: DATE, receivedAt: DATE,
};

/** Each field holds something hostile; the Urls are not http(s) (never written through the validator). */
const HOSTILE: NewDeployment[] = [
  {
    ...base,
    application: `${SCRIPT}=HYPERLINK("http://evil.example","click")`,
    description: `${SCRIPT}${IMG}"' & done </textarea></div></td></tr></table>${SVG}`,
    target: `"><script>window.__pwned=5</script>`,
    userName: `'onmouseover='window.__pwned=6`,
    url: 'javascript:window.__pwned=3',
    date: new Date('2024-05-03T12:00:00.000Z'),
  },
  { ...base, target: 'db-01', url: ' JaVaScRiPt:window.__pwned=7', description: 'mixed case, leading space', date: new Date('2024-05-02T12:00:00.000Z') },
  { ...base, target: 'db-02', url: 'data:text/html,<script>window.__pwned=8</script>', description: 'a data: Url', date: new Date('2024-05-02T11:00:00.000Z') },
  { ...base, target: 'web-02', url: 'https://ok.example/a?b=<c>&d="e"', description: 'an http(s) Url with markup in its query', date: DATE },
];
const NON_HTTP_URLS = HOSTILE.slice(0, 3).map((d) => d.url!);

/** CSV/NDJSON rows: cells a spreadsheet would run as a formula, and text that breaks naive formats. */
const FORMULAS = ['=1+2', '+cmd|\' /C calc\'!A0', '-2+3', '@SUM(A1:A9)', '\t=1', '\r=1'];
const EXPORTED: NewDeployment[] = [
  ...FORMULAS.map((f, i) => ({ ...base, packageName: 'Csv.Package', application: f, target: `csv-${i}`, userName: f, description: f })),
  {
    ...base,
    packageName: 'Csv.Package',
    target: 'quotes',
    application: 'a "quoted", comma\r\nand line\nbreak',
    description: `line\u2028separator\u2029</script>${SCRIPT}\u0000`,
    userName: ' padded ',
    url: 'javascript:alert(1)',
  },
];

let db: TestDatabase;
let store: KnexDeploymentStore;
let server: RunningServer;
let app: express.Express;
let browser: Browser;

beforeAll(async () => {
  db = await createTestDatabase('sqlite');
  store = createKnexStore({ knex: db.knex });
  await store.init();
  await store.record([...HOSTILE, ...EXPORTED]);
  app = express();
  app.use(createDeploymentRouter({ store, auth: apiKeyAuth({ keys: [], anonymous: true }), feeds: [FEED] }));
  server = await listen(app);
}, 60_000);

afterAll(async () => {
  await server?.close();
  await store?.close();
  await db?.destroy();
});

/** What a page shows, and proof that nothing ran. */
async function checkPage(page: Page): Promise<void> {
  // Give event handlers (onerror, onload) their chance: wait for the load event.
  await page.waitForLoadState('load');
  expect(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  // No element came from the data: no script, img, svg, textarea; no attribute handlers anywhere.
  expect(await page.locator('body script, body img, body svg, body textarea').count()).toBe(0);
  const attributes = await page.locator('*').evaluateAll((elements) => elements.flatMap((e) => Array.from((e as unknown as { attributes: ArrayLike<{ name: string }> }).attributes, (a) => a.name)));
  expect(attributes.filter((name) => /^on/i.test(name))).toEqual([]);
  // No link to anything but http(s) (or the page's own relative links).
  const hrefs = await page.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''));
  for (const href of hrefs) expect(href).toMatch(/^(https?:\/\/|\/)/i);
  expect(await page.locator('a[href*="javascript:" i], a[href^="data:" i]').count()).toBe(0);

  // The hostile text is shown as text, exactly.
  const evil = page.locator('#history tbody tr', { hasText: 'window.__pwned=5' });
  expect(await evil.locator('.description').innerText()).toBe(HOSTILE[0]!.description);
  // The page lists every version of the package, so the version follows the application.
  expect(await evil.locator('td.application').innerText()).toBe(`${HOSTILE[0]!.application} ${HOSTILE[0]!.version}`);
  expect(await evil.locator('.target').innerText()).toBe(HOSTILE[0]!.target);
  expect(await evil.locator('.user').innerText()).toBe(HOSTILE[0]!.userName);
  // A Url that is not http(s) is shown, never linked.
  for (const url of NON_HTTP_URLS) {
    const cell = page.locator('#history td.more-info', { hasText: url.trim() });
    expect(await cell.count()).toBe(1);
    expect(await cell.locator('a').count()).toBe(0);
  }
  // An http(s) Url is linked, its markup escaped in the attribute (the browser reads it back unchanged).
  const ok = page.locator('#history td.more-info a');
  expect(await ok.count()).toBe(1);
  expect(await ok.getAttribute('href')).toBe(HOSTILE[3]!.url);
  expect(await ok.innerText()).toBe(HOSTILE[3]!.url);
  // An outside link sends no Referer: a page opened with ?key= must not hand the key to that site.
  expect((await ok.getAttribute('rel'))!.split(/\s+/)).toEqual(expect.arrayContaining(['noopener', 'noreferrer']));
  // Running now: the hostile target is a text cell.
  expect(await page.locator('#running-now td.target', { hasText: 'window.__pwned=5' }).innerText()).toBe(HOSTILE[0]!.target);
}

describeWithBrowser('the History page with hostile records', () => {
  beforeAll(async () => {
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  it('as served: renders every field as text, runs nothing, links no javascript: or data: Url', async () => {
    const context = await browser.newContext({ javaScriptEnabled: true });
    try {
      const page = await context.newPage();
      page.setDefaultTimeout(5000);
      const res = await page.goto(`${server.url}${PAGE}`);
      expect(res!.status()).toBe(200);
      await checkPage(page);
    } finally {
      await context.close();
    }
  });

  it('the same HTML without its Content-Security-Policy: escaping alone keeps it safe', async () => {
    const res = await request(app).get(PAGE).expect(200);
    expect(res.headers['content-security-policy']).toMatch(/default-src 'none'/);
    const html = res.text;
    expect(html).not.toContain(SCRIPT);
    expect(html).toContain('&lt;script&gt;window.__pwned=1&lt;/script&gt;');
    expect(html).not.toMatch(/href\s*=\s*["']?\s*(javascript|data):/i);
    expect(html).not.toMatch(/<(img|svg)\b/i);
    const context = await browser.newContext({ javaScriptEnabled: true });
    try {
      const page = await context.newPage();
      page.setDefaultTimeout(5000);
      // The browser is handed the same HTML without the CSP header (intercepted, never sent to the
      // server), so that nothing but the escaping is in the way.
      const bare = `${server.url}/without-csp${PAGE}`;
      await page.route(bare, (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }));
      const served = await page.goto(bare);
      expect(served!.headers()['content-security-policy']).toBeUndefined();
      // Prove that scripts do run on this page, so that "nothing ran" means something.
      expect(await page.evaluate(() => 1 + 1)).toBe(2);
      await page.addScriptTag({ content: 'window.__probe = 42' });
      expect(await page.evaluate(() => (globalThis as unknown as { __probe?: number }).__probe)).toBe(42);
      await checkPage(page);
    } finally {
      await context.close();
    }
  });
});

/** A small RFC 4180 parser: quoted cells, doubled quotes, CR/LF inside quotes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; }
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; }
    else if (c === '\r' && text[i + 1] === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; i++; }
    else cell += c;
  }
  if (cell !== '' || row.length > 0) { row.push(cell); rows.push(row); }
  return rows;
}

describe('exports of hostile records', () => {
  it('CSV: cells starting with = + - @ tab or CR are neutralised with a leading quote; quotes, commas and line breaks survive', async () => {
    const res = await request(app).get(`/api/package-deployment?feed=${FEED}&package=Csv.Package&format=csv`).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    const [header, ...rows] = parseCsv(res.text);
    expect(header).toContain('Application');
    expect(rows).toHaveLength(EXPORTED.length);
    for (const cell of rows.flat()) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    const column = (name: string) => rows.map((r) => r[header!.indexOf(name)]!);
    // Every formula, in each text column it was in, became the same text behind a leading '.
    for (const name of ['Application', 'UserName', 'Description']) {
      for (const f of FORMULAS) expect(column(name)).toContain(`'${f}`);
    }
    // Text that is not a formula is unchanged, quotes, commas and line breaks included.
    const quotes = rows.find((r) => r[header!.indexOf('Target')] === 'quotes')!;
    expect(quotes[header!.indexOf('Application')]).toBe(EXPORTED.at(-1)!.application);
    expect(quotes[header!.indexOf('Description')]).toBe(EXPORTED.at(-1)!.description);
    expect(quotes[header!.indexOf('UserName')]).toBe(' padded ');
    expect(quotes[header!.indexOf('Url')]).toBe('javascript:alert(1)');
  });

  it('NDJSON: every line is one valid JSON object, U+2028/U+2029 and hostile text included, round-tripping exactly', async () => {
    const res = await request(app).get(`/api/package-deployment?feed=${FEED}&package=Csv.Package`).set('Accept', 'application/x-ndjson').expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
    expect(res.text.endsWith('\n')).toBe(true);
    const lines = res.text.slice(0, -1).split('\n');
    expect(lines).toHaveLength(EXPORTED.length);
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, string>);
    const byTarget = new Map(parsed.map((r) => [r.Target, r]));
    for (const d of EXPORTED) {
      expect(byTarget.get(d.target)).toMatchObject({ Application: d.application, Description: d.description, UserName: d.userName, Url: d.url ?? null });
    }
  });

  it('JSON: the hostile record round-trips exactly', async () => {
    const res = await request(app).get(`/api/package-deployment?feed=${FEED}&package=${PACKAGE}`).expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const evil = (res.body.records as Array<Record<string, string>>).find((r) => r.Target === HOSTILE[0]!.target)!;
    expect(evil).toMatchObject({ Application: HOSTILE[0]!.application, Description: HOSTILE[0]!.description, Url: HOSTILE[0]!.url });
  });
});
