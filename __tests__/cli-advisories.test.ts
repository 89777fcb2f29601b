/** `package-deployments advisories`, run as a real process against a real server. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import express from 'express';
import advisories from './fixtures/advisories.json';
import { apiKeyAuth, createDeploymentRouter, createKnexStore, EXIT, validateDeployment, type KnexDeploymentStore } from '../lib';
import { createTestDatabase, type TestDatabase } from './helpers/databases';
import { listen, type RunningServer } from './helpers/http';
import { memoryLogger } from './helpers/fixtures';

const HOOK = resolve(__dirname, 'helpers', 'ts-hook.js');
const MAIN = resolve(__dirname, '..', 'lib', 'cli', 'main.ts');
const KEY = 'cli-advisories-key-0123';
const SCHEMES = { nuget: 'nuget', maven: 'maven' } as const;
let dir: string;
let db: TestDatabase;
let store: KnexDeploymentStore;
let server: RunningServer;

function cli(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PACKAGE_DEPLOYMENTS_')));
  return new Promise((done) => {
    const child = execFile(process.execPath, ['-r', HOOK, MAIN, ...args], { env: { ...base, PACKAGE_DEPLOYMENTS_URL: server.url, PACKAGE_DEPLOYMENTS_API_KEY: KEY } }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pd-cli-adv-'));
  db = await createTestDatabase('sqlite');
  store = createKnexStore({ knex: db.knex, versionSchemes: SCHEMES });
  const d = (feed: string, group: string, pkg: string, version: string, target: string) => {
    const r = validateDeployment({ Application: 'ci', Description: '', Target: target, FeedName: feed, GroupName: group, PackageName: pkg, Version: version, Date: '2024-01-02T03:04:05Z' });
    if (!r.ok) throw new Error('bad fixture');
    return r.deployment;
  };
  await store.record([d('nuget', '', 'Newtonsoft.Json', '12.0.3', 'web-01'), d('maven', 'org.apache.logging.log4j', 'log4j-core', '2.17.1', 'app-01')]);
  const app = express();
  app.use(createDeploymentRouter({ store, auth: apiKeyAuth({ keys: [{ name: 'ci', key: KEY }] }), feeds: Object.keys(SCHEMES), versionSchemes: SCHEMES, logger: memoryLogger() }));
  server = await listen(app);
  writeFileSync(join(dir, 'osv.json'), JSON.stringify(advisories));
}, 60_000);
afterAll(async () => {
  await server.close();
  await store.close();
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
});

it('prints each affected target, reports on stderr; --fail-on-match exits 7', async () => {
  const res = await cli(['advisories', join(dir, 'osv.json')]);
  expect(res.code).toBe(EXIT.OK);
  expect(res.stdout).toBe('GHSA-5crp-9r3c-p9vr\tnuget\tNewtonsoft.Json\t12.0.3\tweb-01\t2024-01-02T03:04:05.000Z\t13.0.1\n');
  expect(res.stderr).toMatch(/not evaluated: GHSA-35jh-r3h4-6jhm \$\[2\]\.affected\[0\]: no feed you may read holds the npm ecosystem/);
  expect(res.stderr).toMatch(/1 affected target\n$/);
  expect((await cli(['advisories', '--fail-on-match', join(dir, 'osv.json')])).code).toBe(7);
});

it('reads stdin, takes --purl/--range, and prints csv', async () => {
  const fromStdin = await cli(['advisories', '-', '--format', 'json'], JSON.stringify({ vulns: advisories }));
  expect(JSON.parse(fromStdin.stdout).matches).toHaveLength(1);
  const purl = await cli(['advisories', '--purl', 'pkg:maven/org.apache.logging.log4j/log4j-core', '--range', 'vers:maven/<=2.17.1', '--format', 'csv']);
  expect(purl.stdout.trim().split('\r\n')).toEqual([
    'Advisory,Aliases,FeedName,GroupName,PackageName,Version,Target,Since,UserName,Application,FixedVersion',
    'pkg:maven/org.apache.logging.log4j/log4j-core vers:maven/<=2.17.1,,maven,org.apache.logging.log4j,log4j-core,2.17.1,app-01,2024-01-02T03:04:05.000Z,Anonymous,ci,',
  ]);
});

it('exit codes: 3 for an advisory the server refuses, 2 for a wrong command line; --help', async () => {
  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ id: 'X', affected: [{ package: { ecosystem: 'NuGet', name: 'a' }, ranges: [{ type: 'ECOSYSTEM', events: [{ fixed: '1' }] }] }] }));
  const bad = await cli(['advisories', join(dir, 'bad.json')]);
  expect(bad.code).toBe(EXIT.REJECTED);
  expect(bad.stderr).toContain('$[0].affected[0].ranges[0].events: must hold at least one introduced event.');
  expect((await cli(['advisories'])).code).toBe(EXIT.USAGE);
  expect((await cli(['advisories', '--purl', 'pkg:npm/x'])).code).toBe(EXIT.USAGE);
  const help = await cli(['advisories', '--help']);
  expect(help.stdout).toMatch(/^Usage: package-deployments advisories/);
});
