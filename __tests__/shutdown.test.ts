/**
 * Graceful shutdown of the demo feed server: on SIGTERM it stops accepting connections, finishes the
 * request in flight (answering 200 only once the record is committed), flushes the feed middleware's
 * queue (a download answered before SIGTERM is recorded), closes the store and exits 0.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteKnex } from '../lib';
import { startDemo, type RunningDemo } from './helpers/demo';
import { FIXTURES } from './helpers/feed-app';
import { SAMPLE } from './helpers/fixtures';
import { rawRequest } from './helpers/http';

// better-sqlite3 ships no types; the test needs only these two calls.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Database = require('better-sqlite3') as new (file: string) => { exec(sql: string): void; close(): void };

const KEY = 'shutdown-demo-key-01';

/** Resolves with everything read once `pattern` appears in what the socket has sent. */
function readUntil(socket: Socket, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (c: Buffer) => {
      text += c.toString('latin1');
      if (pattern.test(text)) { socket.off('data', onData); resolve(text); }
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

describe('the demo on SIGTERM', () => {
  let dir: string;
  let demo: RunningDemo;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pd-shutdown-'));
    demo = await startDemo({ DEPLOYMENTS_API_KEY: KEY }, dir);
  });
  afterAll(async () => {
    if (demo.child.exitCode === null) demo.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('stops accepting, finishes the request in flight, stores it, and exits 0', async () => {
    const { port } = new URL(demo.url);
    const body = Buffer.from(JSON.stringify({ ...SAMPLE, Target: 'in-flight-at-sigterm' }));

    // A request whose headers the server has read (it answers 100 Continue) but whose body is not sent.
    const socket = connect(Number(port), '127.0.0.1');
    await once(socket, 'connect');
    const continued = readUntil(socket, /^HTTP\/1\.1 100 Continue\r\n\r\n/);
    socket.write([
      'POST /api/package-deployment/ HTTP/1.1',
      'Host: localhost',
      `X-ApiKey: ${KEY}`,
      'Content-Type: application/json',
      `Content-Length: ${body.length}`,
      'Expect: 100-continue',
      '', '',
    ].join('\r\n'));
    await continued;

    const stopping = new Promise<void>((resolve) => {
      const onData = () => { if (/SIGTERM: finishing in-flight requests/.test(demo.output())) resolve(); };
      demo.child.stdout!.on('data', onData);
    });
    const exitCode = new Promise<number | null>((resolve) => demo.child.once('exit', (code) => resolve(code)));
    demo.child.kill('SIGTERM');
    await stopping;

    // New connections are refused (or reset, when one races the closing listener) and never served...
    const refused = connect(Number(port), '127.0.0.1');
    refused.on('connect', () => refused.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'));
    refused.on('data', () => { throw new Error('a connection made after SIGTERM was served'); });
    const [error] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
    expect(['ECONNREFUSED', 'ECONNRESET']).toContain(error.code);

    // ...while the request in flight is finished, and answered 200 once stored.
    const answered = readUntil(socket, /\r\n\r\n/);
    socket.write(body);
    expect(await answered).toMatch(/^HTTP\/1\.1 200 OK\r\n/);

    const started = Date.now();
    expect(await exitCode).toBe(0);
    // It does not wait for the client's keep-alive connection to time out.
    expect(Date.now() - started).toBeLessThan(2000);
    socket.destroy();

    const file = createSqliteKnex(join(dir, 'package-deployments.sqlite'));
    const rows = (await file('package_deployments').select('target')) as Array<{ target: string }>;
    await file.destroy();
    expect(rows.map((r) => r.target)).toEqual(['in-flight-at-sigterm']);
  });
});

describe('the demo on SIGTERM with feed-download records still queued', () => {
  let dir: string;
  let demo: RunningDemo;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pd-shutdown-feed-'));
    demo = await startDemo({ DEPLOYMENTS_API_KEY: KEY }, dir);
  });
  afterAll(async () => {
    if (demo.child.exitCode === null) demo.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  /** Resolves once the demo's output matches `pattern`. */
  const printed = (pattern: RegExp) => new Promise<void>((resolve) => {
    const check = () => { if (pattern.test(demo.output())) { demo.child.stdout!.off('data', check); resolve(); } };
    demo.child.stdout!.on('data', check);
    check();
  });

  const { upack } = FIXTURES;
  const download = (target: string) => rawRequest(`${demo.url}/upack/Products/download/${upack.group}/${upack.name}/${upack.version}`, {
    method: 'GET',
    headers: { 'X-ApiKey': KEY, 'X-ProGet-Deployment-Application': 'BuildMaster', 'X-ProGet-Deployment-Description': '', 'X-ProGet-Deployment-Target': target },
  });

  it('records a download answered before SIGTERM whose record was still queued, then exits 0', async () => {
    const file = join(dir, 'package-deployments.sqlite');
    // A first download creates the tables and shows recording works.
    expect((await download('warm-up')).status).toBe(200);
    await printed(/recorded #1 \(upack download\).* on warm-up/);

    // Another connection holds SQLite's write lock, so the next record cannot be committed yet: it is
    // certainly still in the middleware's queue (being retried) when SIGTERM arrives.
    const lock = new Database(file);
    let locked = true;
    try {
      lock.exec('BEGIN IMMEDIATE');
      const answered = await download('finished-before-sigterm');
      expect(answered.status).toBe(200);
      expect(Buffer.from(answered.text, 'latin1').length).toBeGreaterThan(0);
      const exitCode = new Promise<number | null>((resolve) => demo.child.once('exit', (code) => resolve(code)));
      demo.child.kill('SIGTERM');
      await printed(/SIGTERM: finishing in-flight requests/);
      expect(demo.output()).not.toMatch(/on finished-before-sigterm/);
      lock.exec('ROLLBACK');
      lock.close();
      locked = false;
      expect(await exitCode).toBe(0);
    } finally {
      if (locked) lock.close();
    }
    const out = demo.output();
    // The record was committed after SIGTERM, by close() flushing the queue, before the store closed.
    expect(out.indexOf('SIGTERM: finishing')).toBeLessThan(out.search(/recorded #2 \(upack download\).* on finished-before-sigterm/));
    const knex = createSqliteKnex(file);
    const rows = (await knex('package_deployments').select('target').orderBy('id')) as Array<{ target: string }>;
    await knex.destroy();
    expect(rows.map((r) => r.target)).toEqual(['warm-up', 'finished-before-sigterm']);
  });
});
