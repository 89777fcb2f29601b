/**
 * Graceful shutdown of the demo feed server: on SIGTERM it stops accepting connections, finishes the
 * request in flight (answering 200 only once the record is committed), closes the store and exits 0.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteKnex } from '../lib';
import { startDemo, type RunningDemo } from './helpers/demo';
import { SAMPLE } from './helpers/fixtures';

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
