/**
 * The Verdaccio plug-in in a REAL Verdaccio 6 with the REAL npm CLI (issue 12), on 127.0.0.1, a free port
 * and a temporary folder:
 * - npm publishes two packages (one scoped) at two versions each, and a package named `deployments`;
 * - `npm install` through the plug-in gets byte for byte what the same Verdaccio serves without it, and
 *   npm's own traffic records nothing;
 * - downloads at Verdaccio's own URLs (scoped, `@scope%2fname`, `%40scope%2fname`, unscoped) with deployment
 *   headers, from curl and from Node, with Verdaccio's Bearer token or an API key, are recorded: every
 *   complete download (problem 2, re-verified under Verdaccio's own streaming);
 * - the record endpoint, read API and History page under /-/deployments take Verdaccio's login, API keys
 *   and npm scopes; exports finish through Verdaccio's logger and compression (problem 1, re-verified);
 * - records still queued when Verdaccio gets SIGTERM are written before it exits.
 * It runs in `.ci/run` (CI=true); it needs the npm CLI and curl, and says so loudly when they are missing.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createKnexStore, createSqliteKnex } from '../lib';
import { addUser, startVerdaccio, writeVerdaccioConfig, type RunningVerdaccio } from './helpers/verdaccio';
import { readmeBlock } from './helpers/demo';

const run = promisify(execFile);
const KEY = 'verdaccio-tools-key-0001';
const FEED = 'npm'; // as the README's config.yaml says

function available(command: string): boolean {
  try {
    execFileSync(command, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const missing = ['npm', 'curl'].filter((c) => !available(c));
if (missing.length > 0) {
  const message = `[package-deployments tests] verdaccio.test.ts CANNOT RUN: ${missing.join(' and ')} not found on PATH.`;
  if (/^(1|true|yes)$/i.test(process.env.CI ?? '')) throw new Error(`${message} CI needs them.`);
  process.stdout.write(`\n${'!'.repeat(100)}\n${message} The Verdaccio suite is SKIPPED.\n${'!'.repeat(100)}\n`);
}
const describeIf = missing.length > 0 ? describe.skip : describe;

/** The packages published: name, versions, and the file each version holds. */
const PACKAGES = [
  { name: 'pd-tool', dir: 'pd-tool', versions: ['1.0.0', '1.1.0'] },
  { name: '@acme/widget', dir: 'widget', versions: ['1.0.0', '2.0.0'] },
  { name: 'deployments', dir: 'deployments', versions: ['1.0.0'] },
];
const sourceOf = (name: string, version: string) => `module.exports = ${JSON.stringify(`${name}@${version}`)};\n// ${'x'.repeat(20_000)}\n`;

const HEADERS = {
  'X-ProGet-Deployment-Application': 'Ansible',
  'X-ProGet-Deployment-Description': 'rolled out by the pipeline',
  'X-ProGet-Deployment-Target': 'web-01',
};

describeIf('Verdaccio 6 with the package-deployments plug-in, and the real npm CLI', () => {
  let dir: string;
  let withPlugin: RunningVerdaccio;
  let without: RunningVerdaccio;
  let token: string;
  let npmrc: string;
  let npmEnv: NodeJS.ProcessEnv;

  /** The real npm CLI against `url`, with its own config, cache and HOME. */
  async function npm(args: string[], cwd: string, url = withPlugin.url): Promise<string> {
    const { stdout } = await run('npm', [...args, '--registry', `${url}/`, '--userconfig', npmrc, '--cache', join(dir, 'npm-cache'), '--no-audit', '--no-fund', '--no-update-notifier'], { cwd, env: npmEnv, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  }

  async function curl(args: string[]): Promise<string> {
    const { stdout } = await run('curl', ['-sS', '--fail', '--max-time', '20', ...args], { maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  }

  async function readRecords(query: string): Promise<Record<string, string | null>[]> {
    const res = await fetch(`${withPlugin.url}/-/deployments/api/package-deployment?feed=${FEED}&limit=1000&${query}`, { headers: { 'X-ApiKey': KEY } });
    expect(res.status).toBe(200);
    return ((await res.json()) as { records: Record<string, string | null>[] }).records;
  }

  /** Polls until `query` reads `n` records (the download middleware writes through a queue). */
  async function waitForRecords(query: string, n: number): Promise<Record<string, string | null>[]> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const records = await readRecords(query);
      if (records.length >= n || Date.now() > deadline) return records;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const tarballPath = (name: string, version: string) => `/${name}/-/${name.split('/').pop()}-${version}.tgz`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pd-verdaccio-'));
    // The plug-in's config.yaml section exactly as the README shows it.
    const section = readmeBlock('<!-- verdaccio-config:start -->', '<!-- verdaccio-config:end -->').replace(/^yaml\n/, '');
    const middlewares = section.split('\n').map((l) => l.replace(/^ {3}/, '')).filter((l) => !/^(plugins|middlewares):/.test(l)).join('\n');
    expect(middlewares).toMatch(/^ {2}package-deployments:\n {4}feed: npm /);
    const config = writeVerdaccioConfig(join(dir, 'with'), middlewares);
    withPlugin = await startVerdaccio(config, { DEPLOYMENTS_CI_KEY: KEY });
    // The same storage and users, without the plug-in: what Verdaccio serves on its own.
    const plain = writeVerdaccioConfig(join(dir, 'without'), undefined, { storage: join(dir, 'with', 'storage'), htpasswd: join(dir, 'with', 'htpasswd') });
    without = await startVerdaccio(plain);
    // The plug-in loaded (Verdaccio only logs a plug-in it cannot load): its endpoint answers.
    const probe = await fetch(`${withPlugin.url}/-/deployments/api/package-deployment?feed=${FEED}`);
    expect({ status: probe.status, output: probe.status === 403 ? '' : withPlugin.output() }).toEqual({ status: 403, output: '' });

    token = await addUser(withPlugin.url, 'alice', 'alice-password-1');
    npmrc = join(dir, '.npmrc');
    const host = (url: string) => url.replace(/^http:/, '');
    writeFileSync(npmrc, `${host(withPlugin.url)}/:_authToken=${token}\n${host(without.url)}/:_authToken=${token}\n`);
    npmEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
    npmEnv.HOME = dir;
    npmEnv.NODE_OPTIONS = '';

    for (const pkg of PACKAGES) {
      for (const version of pkg.versions) {
        const src = join(dir, 'src', pkg.dir, version);
        mkdirSync(src, { recursive: true });
        writeFileSync(join(src, 'package.json'), JSON.stringify({ name: pkg.name, version, main: 'index.js', license: 'MIT' }, null, 2));
        writeFileSync(join(src, 'index.js'), sourceOf(pkg.name, version));
        await npm(['publish', ...(pkg.name.startsWith('@') ? ['--access', 'public'] : [])], src);
      }
    }
  }, 180_000);

  afterAll(async () => {
    await without?.stop();
    await withPlugin?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('npm published every version, the package named "deployments" included', async () => {
    for (const pkg of PACKAGES) {
      const meta = JSON.parse(await npm(['view', pkg.name, 'versions', '--json'], dir)) as string[] | string;
      expect([meta].flat()).toEqual(pkg.versions);
    }
  }, 60_000);

  it('npm install through the plug-in installs byte for byte what Verdaccio serves without it, and records nothing', async () => {
    const installed: Record<string, Buffer> = {};
    for (const [label, url] of [['with', withPlugin.url], ['without', without.url]] as const) {
      const consumer = join(dir, `consumer-${label}`);
      mkdirSync(consumer, { recursive: true });
      writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: `consumer-${label}`, version: '1.0.0', private: true }));
      await npm(['install', 'pd-tool@1.1.0', '@acme/widget@2.0.0', 'deployments@1.0.0'], consumer, url);
      for (const [name, version] of [['pd-tool', '1.1.0'], ['@acme/widget', '2.0.0'], ['deployments', '1.0.0']]) {
        const file = readFileSync(join(consumer, 'node_modules', name!, 'index.js'));
        expect(file.toString()).toBe(sourceOf(name!, version!));
        installed[`${label} ${name}`] = file;
      }
    }
    for (const pkg of PACKAGES) {
      expect(installed[`with ${pkg.name}`]!.equals(installed[`without ${pkg.name}`]!)).toBe(true);
      for (const version of pkg.versions) {
        const [a, b] = await Promise.all([withPlugin.url, without.url].map(async (url) => {
          const res = await fetch(`${url}${tarballPath(pkg.name, version)}`, { headers: { Authorization: `Bearer ${token}` } });
          expect(res.status).toBe(200);
          return Buffer.from(await res.arrayBuffer());
        }));
        expect(a!.length).toBeGreaterThan(100);
        expect(a!.equals(b!)).toBe(true);
      }
    }
    expect(await readRecords('')).toEqual([]);
  }, 120_000);

  it('records downloads with deployment headers from curl: scoped (every encoding) with the Bearer token, unscoped with an API key', async () => {
    const headerArgs = Object.entries(HEADERS).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
    const file = join(dir, 'downloaded.tgz');
    await curl([...headerArgs, '-H', `Authorization: Bearer ${token}`, '-o', file, `${withPlugin.url}/@acme/widget/-/widget-2.0.0.tgz`]);
    const plain = Buffer.from(await (await fetch(`${without.url}/@acme/widget/-/widget-2.0.0.tgz`, { headers: { Authorization: `Bearer ${token}` } })).arrayBuffer());
    expect(readFileSync(file).equals(plain)).toBe(true);
    await curl([...headerArgs, '-H', `Authorization: Bearer ${token}`, '-o', '/dev/null', `${withPlugin.url}/@acme%2fwidget/-/widget-1.0.0.tgz`]);
    await curl([...headerArgs, '-H', `Authorization: Bearer ${token}`, '-o', '/dev/null', `${withPlugin.url}/%40acme%2Fwidget/-/widget-1.0.0.tgz`]);
    await curl([...headerArgs, '-H', `X-ApiKey: ${KEY}`, '-o', '/dev/null', `${withPlugin.url}/pd-tool/-/pd-tool-1.0.0.tgz`]);
    await curl([...headerArgs, '-o', '/dev/null', `${withPlugin.url}/deployments/-/deployments-1.0.0.tgz`, '-H', `Authorization: Bearer ${token}`]);

    const widget = await waitForRecords('package=@acme/widget', 3);
    expect(widget.map((r) => [r.GroupName, r.PackageName, r.Version, r.UserName, r.Target, r.Application]).sort()).toEqual([
      ['@acme', 'widget', '1.0.0', 'alice', 'web-01', 'Ansible'],
      ['@acme', 'widget', '1.0.0', 'alice', 'web-01', 'Ansible'],
      ['@acme', 'widget', '2.0.0', 'alice', 'web-01', 'Ansible'],
    ]);
    const tool = await waitForRecords('package=pd-tool', 1);
    expect(tool.map((r) => [r.GroupName, r.Version, r.UserName])).toEqual([[null, '1.0.0', 'ci']]);
    expect((await waitForRecords('package=deployments', 1)).map((r) => r.Version)).toEqual(['1.0.0']);
  }, 60_000);

  it('every complete download is recorded: 30 curl downloads with -o /dev/null and the Bearer token (problem 2 under Verdaccio)', async () => {
    const headerArgs = Object.entries({ ...HEADERS, 'X-ProGet-Deployment-Target': 'fleet' }).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
    for (let i = 0; i < 30; i++) {
      await curl([...headerArgs, '-H', `Authorization: Bearer ${token}`, '-o', '/dev/null', `${withPlugin.url}/pd-tool/-/pd-tool-1.1.0.tgz`]);
    }
    const records = await waitForRecords('package=pd-tool&target=fleet', 30);
    expect(records).toHaveLength(30);
  }, 120_000);

  it('records downloads from Node (fetch): the Bearer token on a scoped package, Basic api:<key> on a public one', async () => {
    // Verdaccio decides who may download: `@*/*` needs a Verdaccio login, so a tool's API key alone gets
    // Verdaccio's 401 there (and nothing is recorded); public packages take the key.
    const downloads: [string, string][] = [
      ['/@acme/widget/-/widget-1.0.0.tgz', `Bearer ${token}`],
      ['/pd-tool/-/pd-tool-1.1.0.tgz', `Basic ${Buffer.from(`api:${KEY}`).toString('base64')}`],
    ];
    for (const [path, auth] of downloads) {
      const res = await fetch(`${withPlugin.url}${path}`, { headers: { ...HEADERS, 'X-ProGet-Deployment-Target': 'node-client', Authorization: auth } });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    const refused = await fetch(`${withPlugin.url}/@acme/widget/-/widget-2.0.0.tgz`, { headers: { ...HEADERS, 'X-ProGet-Deployment-Target': 'node-client', 'X-ApiKey': KEY } });
    expect(refused.status).toBe(401);
    await refused.arrayBuffer();
    const widget = await waitForRecords('package=@acme/widget&target=node-client', 1);
    expect(widget.map((r) => [r.Version, r.UserName])).toEqual([['1.0.0', 'alice']]);
    const tool = await waitForRecords('package=pd-tool&target=node-client', 1);
    expect(tool.map((r) => [r.Version, r.UserName])).toEqual([['1.1.0', 'ci']]);
  }, 30_000);

  it('the record endpoint under /-/deployments takes Verdaccio\'s login, API keys and npm scopes; anonymous callers get 403', async () => {
    const base = `${withPlugin.url}/-/deployments/api/package-deployment/`;
    const json = JSON.stringify({ Application: 'BuildMaster', Description: '', Target: 'api-01', FeedName: FEED, PackageName: '@acme/widget', Version: '2.0.0' });
    expect(await curl(['-X', 'POST', '-H', 'Content-Type: application/json', '-H', `Authorization: Bearer ${token}`, '--data', json, '-w', '%{http_code}', base])).toBe('200');
    expect(await curl(['-X', 'POST', '-H', `X-ApiKey: ${KEY}`, '--data', `Application=BuildMaster&Description=&Target=api-02&FeedName=${FEED}&PackageName=pd-tool&Version=1.1.0`, '-w', '%{http_code}', base])).toBe('200');
    const anonymous = await fetch(base, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: json });
    expect(anonymous.status).toBe(403);
    const refused = await fetch(base, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: 'Bearer not-a-token' }, body: json });
    expect(refused.status).toBe(403);
    const api01 = await readRecords('package=@acme/widget&target=api-01');
    expect(api01.map((r) => [r.GroupName, r.PackageName, r.UserName])).toEqual([['@acme', 'widget', 'alice']]);
    expect((await readRecords('package=pd-tool&target=api-02')).map((r) => r.UserName)).toEqual(['ci']);
  }, 30_000);

  it('reads back: JSON, current, CSV and NDJSON exports finish through Verdaccio\'s logger and compression, and the History page takes the scope', async () => {
    const api = `${withPlugin.url}/-/deployments/api/package-deployment`;
    const current = JSON.parse(await curl(['-H', `Authorization: Bearer ${token}`, `${api}/current?feed=${FEED}&package=@acme/widget`])) as { records: { Target: string; Version: string }[] };
    expect(current.records.map((r) => `${r.Target} ${r.Version}`).sort()).toEqual(expect.arrayContaining(['api-01 2.0.0', 'node-client 1.0.0']));
    const csv = await curl(['--compressed', '-H', `X-ApiKey: ${KEY}`, `${api}?feed=${FEED}&format=csv`]);
    const lines = csv.trim().split('\r\n');
    expect(lines[0]).toBe('Id,Date,FeedName,GroupName,PackageName,Version,Target,Application,UserName,Description,Url,ReceivedAt,Removed');
    expect(lines.length).toBeGreaterThan(35);
    expect(lines.filter((l) => l.includes(',@acme,widget,'))).not.toHaveLength(0);
    expect(lines.some((l) => l.includes("'@acme"))).toBe(false);
    const ndjson = await curl(['-H', `X-ApiKey: ${KEY}`, `${api}?feed=${FEED}&format=ndjson`]);
    expect(ndjson.trim().split('\n').map((l) => JSON.parse(l) as unknown)).toHaveLength(lines.length - 1);

    for (const path of ['@acme/widget', '@acme%2fwidget', '@acme/widget/2.0.0']) {
      const page = await fetch(`${withPlugin.url}/-/deployments/history/${FEED}/${path}`, { headers: { Authorization: `Bearer ${token}` } });
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('group <strong>@acme</strong>');
      expect(html).toContain('<span class="target">api-01</span>');
    }
    expect((await fetch(`${withPlugin.url}/-/deployments/history/${FEED}/@acme/widget`)).status).toBe(403);
  }, 30_000);

  it("the README's Verdaccio section, run as written (its curl lines), records and reads back", async () => {
    const script = readmeBlock('<!-- verdaccio-curl:start -->', '<!-- verdaccio-curl:end -->')
      .split('\n').map((l) => l.replace(/^ {3}/, '')).join('\n')
      .replace(/localhost:4873/g, `127.0.0.1:${withPlugin.port}`)
      .replace(/~\/\.npmrc/g, npmrc);
    const cwd = join(dir, 'readme');
    mkdirSync(cwd, { recursive: true });
    const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', script], { cwd, env: { ...process.env, DEPLOYMENTS_CI_KEY: KEY } });
    const current = JSON.parse(stdout.trim().split('\n').pop()!) as { records: { Target: string; UserName: string }[] };
    expect(current.records.map((r) => `${r.Target} ${r.UserName}`)).toEqual(expect.arrayContaining(['web-02 ci']));
    expect(readFileSync(join(cwd, 'widget.tgz')).length).toBeGreaterThan(100);
    const viaDownload = await waitForRecords('package=@acme/widget&application=curl&target=web-01', 1);
    expect(viaDownload.map((r) => [r.UserName, r.Description])).toEqual([['alice', 'by hand']]);
  }, 60_000);

  it('records still queued when Verdaccio gets SIGTERM are written before it exits', async () => {
    const downloads = 20;
    await Promise.all(Array.from({ length: downloads }, async () => {
      const res = await fetch(`${withPlugin.url}/pd-tool/-/pd-tool-1.0.0.tgz`, { headers: { ...HEADERS, 'X-ProGet-Deployment-Target': 'last-minute', 'X-ApiKey': KEY } });
      await res.arrayBuffer();
    }));
    const ended = await withPlugin.stop('SIGTERM');
    // Ended as SIGTERM ends it without the plug-in: by the signal (Verdaccio does not handle it by default).
    expect(ended).toEqual({ code: null, signal: 'SIGTERM' });
    const knex = createSqliteKnex(join(dir, 'with', 'package-deployments.sqlite'));
    const store = createKnexStore({ knex });
    try {
      const page = await store.list({ feedName: FEED, packageName: 'pd-tool', target: 'last-minute', limit: 1000 });
      expect(page.records).toHaveLength(downloads);
    } finally {
      await store.close();
      await knex.destroy();
    }
  }, 60_000);
});
