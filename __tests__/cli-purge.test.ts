/**
 * `package-deployments purge` as a real process against a running server: a dry run by default (prints
 * what would go, deletes nothing), `--yes` deletes, a key without Feeds_DeletePackage exits 4, a command
 * line that says nothing to drop exits 2 before sending anything.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import express from 'express';
import type { Knex } from 'knex';
import { createDeploymentRouter, createKnexApiKeyStore, createKnexStore, createSqliteKnex, validateDeployment, EXIT, type KnexApiKeyStore, type KnexDeploymentStore, type NewDeployment } from '../lib';
import { createDeploymentsClient } from '../lib/client';
import { listen, type RunningServer } from './helpers/http';
import { memoryLogger } from './helpers/fixtures';

const HOOK = resolve(__dirname, 'helpers', 'ts-hook.js');
const MAIN = resolve(__dirname, '..', 'lib', 'cli', 'main.ts');

let dir: string;
let knex: Knex;
let store: KnexDeploymentStore;
let keys: KnexApiKeyStore;
let server: RunningServer;
let admin: string;
let plain: string;

function cli(args: string[], key: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PACKAGE_DEPLOYMENTS_')));
  const env = { ...base, PACKAGE_DEPLOYMENTS_URL: server.url, PACKAGE_DEPLOYMENTS_API_KEY: key } as NodeJS.ProcessEnv;
  return new Promise((done) => {
    execFile(process.execPath, ['-r', HOOK, MAIN, ...args], { env }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

function rec(target: string, day: number): NewDeployment {
  const r = validateDeployment({ Application: 'CI', Description: '', FeedName: 'DefaultNuGet', PackageName: 'Newtonsoft.Json', Version: `13.0.${day}`, Target: target, Date: new Date(Date.UTC(2024, 0, day)).toISOString() });
  if (!r.ok) throw new Error('invalid');
  return r.deployment;
}
const count = async () => store.count({ feedName: 'DefaultNuGet' });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pd-cli-purge-'));
  knex = createSqliteKnex(join(dir, 'd.sqlite'));
  store = createKnexStore({ knex });
  keys = createKnexApiKeyStore({ knex });
  await store.init();
  await keys.init();
  admin = (await keys.createApiKey({ name: 'retention', privileges: ['Feeds_ViewPackage', 'Feeds_DeletePackage'] })).key;
  plain = (await keys.createApiKey({ name: 'pipeline' })).key;
  const app = express();
  app.use(createDeploymentRouter({ store, auth: keys, feeds: ['DefaultNuGet'], logger: memoryLogger() }));
  server = await listen(app);
  await store.record([...Array.from({ length: 10 }, (_, d) => rec('web-01', d + 1)), ...Array.from({ length: 4 }, (_, d) => rec('web-02', d + 1))]);
}, 60_000);
afterAll(async () => {
  await server.close();
  await keys.close();
  await store.close();
  await knex.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe('package-deployments purge', () => {
  it('is a dry run unless --yes; --yes deletes; Feeds_DeletePackage is needed; says what is wrong with the command line', async () => {
    const help = await cli(['purge', '--help'], admin);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: package-deployments purge/);

    const nothing = await cli(['purge', '--feed', 'DefaultNuGet'], admin);
    expect([nothing.code, nothing.stderr]).toEqual([EXIT.USAGE, expect.stringMatching(/say what to drop/)]);

    const dry = await cli(['purge', '--feed', 'DefaultNuGet', '--keep-latest', '3'], admin);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toBe('dry run: 8 record(s) would be deleted (of 14 looked at); run again with --yes to delete them.\nDefaultNuGet\t\tNewtonsoft.Json\t8\n');
    expect(await count()).toBe(14);

    const refused = await cli(['purge', '--feed', 'DefaultNuGet', '--keep-latest', '3', '--yes'], plain);
    expect(refused.code).toBe(EXIT.FORBIDDEN);
    expect(await count()).toBe(14);

    const real = await cli(['purge', '--feed', 'DefaultNuGet', '--keep-latest', '3', '--keep-previous', '--yes', '--json'], admin);
    expect(real.code).toBe(0);
    expect(JSON.parse(real.stdout)).toMatchObject({ dryRun: false, matched: 8, deleted: 8 });
    expect(await count()).toBe(6);
  }, 60_000);

  it('the client deletes one record by id and records with an Idempotency-Key', async () => {
    const client = createDeploymentsClient({ url: server.url, apiKey: admin });
    const writer = createDeploymentsClient({ url: server.url, apiKey: plain });
    const input = { Application: 'CI', Description: '', Target: 'web-09', FeedName: 'DefaultNuGet', PackageName: 'Newtonsoft.Json', Version: '13.0.3', Removed: true };
    await writer.record(input, { idempotencyKey: 'client-key-1' });
    await writer.record(input, { idempotencyKey: 'client-key-1' });
    const { records } = await client.history({ feed: 'DefaultNuGet', target: 'web-09' });
    expect(records.map((r) => r.Removed)).toEqual([true]);
    const deleted = await client.deleteRecord(records[0]!.Id!);
    expect(deleted.Target).toBe('web-09');
    await expect(client.deleteRecord(records[0]!.Id!)).rejects.toMatchObject({ status: 404 });
  }, 60_000);
});
