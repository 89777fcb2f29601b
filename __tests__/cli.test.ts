/**
 * The `package-deployments` CLI (issue 12), run as a real process against a running server built like the
 * demo (router + database API keys on one SQLite file): record, history, current, export (with its
 * progress line), keys create|list|revoke; --help on each; the documented exit codes; credentials only
 * from the environment and never printed.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import express from 'express';
import { createDeploymentRouter, createKnexApiKeyStore, createKnexStore, createSqliteKnex, EXIT, type KnexDeploymentStore, type KnexApiKeyStore, type NewDeployment } from '../lib';
import { listen, type RunningServer } from './helpers/http';
import { memoryLogger } from './helpers/fixtures';
import type { Knex } from 'knex';

const HOOK = resolve(__dirname, 'helpers', 'ts-hook.js');
const MAIN = resolve(__dirname, '..', 'lib', 'cli', 'main.ts');

let dir: string;
let dbFile: string;
let knex: Knex;
let store: KnexDeploymentStore;
let keys: KnexApiKeyStore;
let server: RunningServer;
let key: string;

interface CliResult { code: number; stdout: string; stderr: string }

function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PACKAGE_DEPLOYMENTS_')));
  return new Promise((done) => {
    execFile(process.execPath, ['-r', HOOK, MAIN, ...args], { env: { ...base, ...env } as NodeJS.ProcessEnv, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}
const withServer = (extra: Record<string, string> = {}) => ({ PACKAGE_DEPLOYMENTS_URL: server.url, PACKAGE_DEPLOYMENTS_API_KEY: key, ...extra });
const RECORD = ['record', '--application', 'Pipeline', '--target', 'web-01', '--feed', 'DefaultNuGet', '--package', 'Newtonsoft.Json', '--version', '13.0.3', '--description', 'nightly'];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pd-cli-'));
  dbFile = join(dir, 'deployments.sqlite');
  knex = createSqliteKnex(dbFile);
  store = createKnexStore({ knex });
  keys = createKnexApiKeyStore({ knex });
  await store.init();
  await keys.init();
  const app = express();
  app.use(createDeploymentRouter({ store, auth: keys, feeds: ['DefaultNuGet', 'npm'], logger: memoryLogger() }));
  server = await listen(app);
  // The first key, made with the CLI itself against the server's database.
  const created = await cli(['keys', 'create', 'pipeline'], { PACKAGE_DEPLOYMENTS_DATABASE: dbFile });
  expect({ code: created.code, stderr: created.stderr }).toEqual({ code: 0, stderr: 'created key "pipeline"; it is shown this once.\n' });
  key = created.stdout.trim();
  expect(key).toMatch(/^pdk_/);
}, 60_000);
afterAll(async () => {
  await server.close();
  await keys.close();
  await store.close();
  await knex.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe('package-deployments (the CLI)', () => {
  it('--help lists the verbs and exit codes; each verb has its own --help', async () => {
    const top = await cli(['--help']);
    expect(top.code).toBe(0);
    for (const verb of ['record', 'history', 'current', 'export', 'advisories', 'keys']) expect(top.stdout).toContain(`  ${verb}`);
    expect(top.stdout).toMatch(/Exit codes: 0 done/);
    for (const verb of ['record', 'history', 'current', 'export', 'advisories', 'keys']) {
      const help = await cli([verb, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^Usage: package-deployments ${verb}`));
    }
    expect((await cli([])).code).toBe(EXIT.USAGE);
  }, 60_000);

  it('records a deployment, then reads it with history and current (text and JSON)', async () => {
    const recorded = await cli(RECORD, withServer());
    expect(recorded).toEqual({ code: 0, stdout: '', stderr: '' });
    await cli([...RECORD.slice(0, 4), 'web-02', ...RECORD.slice(5, 10), '12.0.3'], withServer());
    const history = await cli(['history', '--feed', 'DefaultNuGet', '--package', 'Newtonsoft.Json'], withServer());
    expect(history.code).toBe(0);
    const lines = history.stdout.trim().split('\n').map((l) => l.split('\t'));
    expect(lines.map((l) => l.slice(1))).toEqual([
      ['DefaultNuGet', 'Newtonsoft.Json', '12.0.3', 'web-02', 'Pipeline', 'pipeline'],
      ['DefaultNuGet', 'Newtonsoft.Json', '13.0.3', 'web-01', 'Pipeline', 'pipeline'],
    ]);
    const current = await cli(['current', '--feed', 'DefaultNuGet', '--package', 'Newtonsoft.Json', '--json'], withServer());
    const page = JSON.parse(current.stdout) as { records: { Target: string; Version: string }[]; nextCursor: null };
    expect(page.records.map((r) => `${r.Target} ${r.Version}`).sort()).toEqual(['web-01 13.0.3', 'web-02 12.0.3']);
    expect(page.nextCursor).toBeNull();
  }, 60_000);

  it('exports to a file, CSV or NDJSON, with a progress line on stderr for a large export', async () => {
    const many: NewDeployment[] = [];
    const at = new Date('2024-01-01T00:00:00Z');
    for (let i = 0; i < 25_000; i++) {
      many.push({ application: 'Bulk', description: i % 1000 === 0 ? 'two\nlines, "quoted"' : '', target: `host-${i}`, feedName: 'npm', packageName: 'left-pad', version: '1.3.0', userName: 'bulk', date: at, receivedAt: at });
    }
    for (let i = 0; i < many.length; i += 1000) await store.record(many.slice(i, i + 1000));
    const csvFile = join(dir, 'left-pad.csv');
    const csv = await cli(['export', '--output', csvFile, '--feed', 'npm', '--package', 'left-pad'], withServer());
    expect(csv.code).toBe(0);
    expect(csv.stdout).toBe('');
    // Progress about every 10,000 records (checked once per chunk received), then the total.
    const progress = csv.stderr.trim().split('\n');
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress.at(-1)).toMatch(new RegExp(`^exported 25000 records \\(\\d+ bytes\\) to ${csvFile.replace(/[.]/g, '\\.')}$`));
    const counts = progress.slice(0, -1).map((l) => Number(/^exported (\d+) records \(\d+ bytes\)$/.exec(l)?.[1]));
    expect(counts.every((n, i) => n >= 10_000 * (i + 1) && n < 25_000)).toBe(true);
    const text = readFileSync(csvFile, 'utf8');
    expect(text.startsWith('Id,Date,FeedName,GroupName,PackageName,Version,Target')).toBe(true);
    expect(text.split('\r\n').filter(Boolean)).toHaveLength(25_001);
    const ndFile = join(dir, 'left-pad.ndjson');
    const nd = await cli(['export', '--output', ndFile, '--feed', 'npm', '--package', 'left-pad', '--target-prefix', 'host-1'], withServer());
    expect(nd.code).toBe(0);
    const records = readFileSync(ndFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { Target: string });
    expect(records.every((r) => r.Target.startsWith('host-1'))).toBe(true);
    expect(records).toHaveLength(11_111); // host-1, host-10..19, host-100..199, host-1000..1999, host-10000..19999
    expect(nd.stderr.trim().split('\n').at(-1)).toBe(`exported ${records.length} records (${readFileSync(ndFile).length} bytes) to ${ndFile}`);
  }, 120_000);

  it('keys: list shows names, never secrets; revoke stops the key at once', async () => {
    const db = { PACKAGE_DEPLOYMENTS_DATABASE: dbFile };
    const reader = await cli(['keys', 'create', 'reader', '--read-only', '--feeds', 'npm'], db);
    expect(reader.code).toBe(0);
    const readerKey = reader.stdout.trim();
    const list = await cli(['keys', 'list'], db);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^pipeline\t\*\tFeeds_DownloadPackage,Feeds_ViewPackage\t/m);
    expect(list.stdout).toMatch(/^reader\tnpm\tFeeds_ViewPackage\t.*\tactive$/m);
    expect(list.stdout).not.toContain(key);
    expect(list.stdout).not.toContain(readerKey);
    expect((await cli(['keys', 'create', 'reader'], db)).code).toBe(EXIT.REJECTED);
    expect((await cli(['history', '--feed', 'npm', '--limit', '1'], withServer({ PACKAGE_DEPLOYMENTS_API_KEY: readerKey }))).code).toBe(0);
    expect((await cli(RECORD, withServer({ PACKAGE_DEPLOYMENTS_API_KEY: readerKey }))).code).toBe(EXIT.FORBIDDEN);
    expect((await cli(['keys', 'revoke', 'reader'], db)).code).toBe(0);
    expect((await cli(['history', '--feed', 'npm', '--limit', '1'], withServer({ PACKAGE_DEPLOYMENTS_API_KEY: readerKey }))).code).toBe(EXIT.FORBIDDEN);
    expect((await cli(['keys', 'revoke', 'reader'], db)).code).toBe(EXIT.NOT_FOUND);
    expect((await cli(['keys', 'list'])).code).toBe(EXIT.USAGE);
  }, 60_000);

  it('exit codes a script can rely on, and the key never printed', async () => {
    const cases: [string[], Record<string, string | undefined>, number][] = [
      [RECORD, {}, EXIT.USAGE], // no PACKAGE_DEPLOYMENTS_URL
      [['record', '--target', 'x'], withServer(), EXIT.USAGE],
      [['record', ...RECORD.slice(1), '--colour', 'red'], withServer(), EXIT.USAGE],
      [['deploy'], withServer(), EXIT.USAGE],
      [[...RECORD, '--date', 'yesterday'], withServer(), EXIT.REJECTED],
      [RECORD, withServer({ PACKAGE_DEPLOYMENTS_API_KEY: `${key}-wrong` }), EXIT.FORBIDDEN],
      [['history', '--feed', 'Nope'], withServer(), EXIT.NOT_FOUND],
      [RECORD, withServer({ PACKAGE_DEPLOYMENTS_URL: 'http://127.0.0.1:9' }), EXIT.UNAVAILABLE],
    ];
    for (const [args, env, code] of cases) {
      const result = await cli(args, env);
      expect({ args, code: result.code }).toEqual({ args, code });
      expect(result.stdout + result.stderr).not.toContain(key);
      if (code !== EXIT.OK) expect(result.stderr).toMatch(/^package-deployments/);
    }
  }, 60_000);
});
