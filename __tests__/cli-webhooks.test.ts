/**
 * `package-deployments webhooks` (the CLI verb), run as a real process on the database a server with
 * webhooks records into: add a target (its secret printed once, never listed), list targets, list
 * deliveries after a record, redeliver one (the server's worker sends it again with the same
 * webhook-id, verified by a standardwebhooks receiver), remove a target; refusals and exit codes.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import express from 'express';
import request from 'supertest';
import type { Knex } from 'knex';
import { createDeploymentRouter, createKnexStore, createSqliteKnex, EXIT, type KnexDeploymentStore } from '../lib';
import { memoryLogger, SAMPLE } from './helpers/fixtures';
import { startReceiver, type Receiver } from './helpers/webhook-receiver';

jest.setTimeout(60_000);

const HOOK = resolve(__dirname, 'helpers', 'ts-hook.js');
const MAIN = resolve(__dirname, '..', 'lib', 'cli', 'main.ts');
const KEY = 'cli-webhooks-key-0123';

interface CliResult { code: number; stdout: string; stderr: string }

let dir: string;
let knex: Knex;
let store: KnexDeploymentStore;
let db: Record<string, string>;

function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PACKAGE_DEPLOYMENTS_')));
  return new Promise((done) => {
    execFile(process.execPath, ['-r', HOOK, MAIN, ...args], { env: { ...base, ...env } as NodeJS.ProcessEnv }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pd-cli-webhooks-'));
  const file = join(dir, 'deployments.sqlite');
  knex = createSqliteKnex(file);
  store = createKnexStore({ knex });
  await store.init();
  db = { PACKAGE_DEPLOYMENTS_DATABASE: file };
});
afterAll(async () => {
  await store.close();
  await knex.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe('package-deployments webhooks', () => {
  let receiver: Receiver;
  afterEach(async () => receiver?.close());

  it('adds a target (secret printed once), lists, shows deliveries, redelivers with the same id, removes', async () => {
    // The receiver needs the secret first: made with the CLI, then given to the receiver.
    const added = await cli(['webhooks', 'add', 'audit', '--url', 'http://127.0.0.1:9/placeholder', '--allow-private', '--format', 'standard'], db);
    expect(added.code).toBe(0);
    const secret = added.stdout.trim();
    expect(secret).toMatch(/^whsec_/);
    expect(added.stderr).toBe('added webhook target "audit"; its secret is shown this once.\n');
    receiver = await startReceiver([secret]);
    // Re-add with the receiver's URL and the same secret, from the environment: nothing printed on stdout.
    const again = await cli(['webhooks', 'add', 'audit', '--url', receiver.url, '--allow-private'], { ...db, PACKAGE_DEPLOYMENTS_WEBHOOK_SECRET: secret });
    expect({ code: again.code, stdout: again.stdout }).toEqual({ code: 0, stdout: '' });

    const targets = await cli(['webhooks', 'targets'], db);
    expect(targets.code).toBe(0);
    expect(targets.stdout).toContain(`audit\t${receiver.url}\tdeployment.created\t*\tstandard\tstore\tenabled`);
    expect(targets.stdout + (await cli(['webhooks', 'targets', '--json'], db)).stdout).not.toContain(secret.slice(6));

    const router = createDeploymentRouter({ store, apiKeys: [{ name: 'ci', key: KEY }], logger: memoryLogger(), webhooks: { allowPrivateTargets: true, pollIntervalMs: 50 } });
    try {
      const app = express();
      app.use(router);
      expect((await request(app).post('/api/package-deployment').set('X-ApiKey', KEY).send(SAMPLE)).status).toBe(200);
      await receiver.waitFor(() => receiver.deliveredIds().size === 1, 20_000, 'the delivery');
      let listed = await cli(['webhooks', 'deliveries', '--json'], db);
      for (let i = 0; i < 50 && !listed.stdout.includes('"delivered"'); i++) listed = await cli(['webhooks', 'deliveries', '--json'], db);
      const [delivery] = JSON.parse(listed.stdout) as Array<{ id: string; webhookId: string; status: string }>;
      expect(delivery).toMatchObject({ status: 'delivered' });
      const redelivered = await cli(['webhooks', 'redeliver', delivery!.id], db);
      expect(redelivered.code).toBe(0);
      await receiver.waitFor(() => receiver.received.length === 2, 20_000, 'the redelivery');
      expect(receiver.received.map((r) => r.webhookId)).toEqual([delivery!.webhookId, delivery!.webhookId]);
      expect(receiver.unverified).toHaveLength(0);
    } finally {
      await router.close();
    }

    expect((await cli(['webhooks', 'redeliver', '999999'], db)).code).toBe(EXIT.NOT_FOUND);
    expect((await cli(['webhooks', 'remove', 'audit'], db)).code).toBe(0);
    expect((await cli(['webhooks', 'remove', 'audit'], db)).code).toBe(EXIT.NOT_FOUND);
  });

  it('refuses a private target without --allow-private, a bad secret, and a wrong command line', async () => {
    const refused = await cli(['webhooks', 'add', 'x', '--url', 'http://10.0.0.1/hook'], db);
    expect(refused.code).toBe(EXIT.REJECTED);
    expect(refused.stderr).toMatch(/allowPrivateTargets/);
    const bad = await cli(['webhooks', 'add', 'x', '--url', 'https://hooks.example.com/x'], { ...db, PACKAGE_DEPLOYMENTS_WEBHOOK_SECRET: 'not-a-secret-value' });
    expect(bad.code).toBe(EXIT.REJECTED);
    expect(bad.stderr).not.toContain('not-a-secret-value');
    expect((await cli(['webhooks', 'add', 'x'], db)).code).toBe(EXIT.USAGE);
    expect((await cli(['webhooks', 'deliveries', '--status', 'weird'], db)).code).toBe(EXIT.USAGE);
    expect((await cli(['webhooks', 'targets'])).code).toBe(EXIT.USAGE);
    expect((await cli(['webhooks', '--help'])).stdout).toContain('package-deployments webhooks targets');
  });
});
