/**
 * How real feed servers behave around the library (issue 12, problems 1 and 2):
 * - a route that streams its file (`fs.createReadStream(file).pipe(res)`) and a client that closes the
 *   connection once it has Content-Length bytes: every such download is recorded;
 * - a client that closes before it has every byte: not recorded (download_incomplete);
 * - a host middleware that wraps `res.write` and returns undefined (as Verdaccio's logger does): exports
 *   still finish.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync, createReadStream } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import {
  anonymousAuth,
  createDeploymentRouter,
  createKnexStore,
  feedDeployments,
  nugetV2Layout,
  type DeploymentRecord,
  type DeploymentStore,
  type KnexDeploymentStore,
} from '../lib';
import { createTestDatabase, type TestDatabase } from './helpers/databases';
import { listen } from './helpers/http';
import { memoryLogger } from './helpers/fixtures';

let db: TestDatabase;
let store: KnexDeploymentStore;
let dir: string;
let file: string;
const SIZE = 256 * 1024;

beforeAll(async () => {
  db = await createTestDatabase('sqlite');
  store = createKnexStore({ knex: db.knex });
  await store.init();
  dir = mkdtempSync(join(tmpdir(), 'pd-stream-'));
  file = join(dir, 'pkg.nupkg');
  writeFileSync(file, Buffer.alloc(SIZE, 7));
});
afterAll(async () => {
  await store.close();
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
});

/** A raw HTTP/1.1 GET that reads the head, then closes the socket after `stopAfter(contentLength)` body bytes. */
async function rawDownload(port: number, path: string, headers: Record<string, string>, stopAfter: (length: number) => number): Promise<{ status: number; body: number }> {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const head = [`GET ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), '', ''].join('\r\n');
  socket.write(head);
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    let status = 0;
    let length = -1;
    let body = 0;
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      if (length < 0) {
        buffered = Buffer.concat([buffered, chunk]);
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const text = buffered.subarray(0, end).toString('latin1');
        status = Number(text.split(' ')[1]);
        length = Number(/content-length:\s*(\d+)/i.exec(text)?.[1] ?? 'NaN');
        body = buffered.length - end - 4;
      } else body += chunk.length;
      if (body >= stopAfter(length)) {
        socket.destroy();
        resolve({ status, body });
      }
    });
  });
}

function streamingFeed(mw: express.RequestHandler) {
  const app = express();
  app.use(mw);
  app.get('/nuget/:feed/package/:id/:version', (_req, res) => {
    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('Content-Length', String(SIZE));
    createReadStream(file).pipe(res);
  });
  return app;
}

describe('streamed downloads closed by the client', () => {
  it('records every download whose client closed at Content-Length, and none cut short', async () => {
    const mw = feedDeployments({ store, auth: anonymousAuth(), logger: memoryLogger(), layouts: nugetV2Layout() });
    const skipped: string[] = [];
    mw.events.on('deployment-skipped', (s: { reason: string }) => skipped.push(s.reason));
    const server = await listen(streamingFeed(mw));
    try {
      const port = Number(new URL(server.url).port);
      const N = 30;
      for (let i = 0; i < N; i++) {
        const got = await rawDownload(port, `/nuget/Streamed/package/Big.Pkg/1.0.${i}`, { 'X-ProGet-Deployment-Target': `full-${i}`, 'X-ProGet-Deployment-Application': 'curl', 'X-ProGet-Deployment-Description': 'streamed' }, (length) => length);
        expect(got).toEqual({ status: 200, body: SIZE });
      }
      for (let i = 0; i < 5; i++) {
        const got = await rawDownload(port, `/nuget/Streamed/package/Big.Pkg/2.0.${i}`, { 'X-ProGet-Deployment-Target': `cut-${i}`, 'X-ProGet-Deployment-Application': 'curl', 'X-ProGet-Deployment-Description': 'streamed' }, () => 1);
        expect(got.status).toBe(200);
      }
      await new Promise((r) => setTimeout(r, 200));
      await mw.flush();
      const records = (await store.list({ feed: 'Streamed', limit: 100 } as never)).records as DeploymentRecord[];
      expect({ skipped: [...new Set(skipped)], n: records.length }).toEqual({ skipped: ['download_incomplete'], n: N });
      expect(records.filter((r) => r.target.startsWith('full-'))).toHaveLength(N);
      expect(records.filter((r) => r.target.startsWith('cut-'))).toHaveLength(0);
      expect(skipped.filter((r) => r === 'download_incomplete')).toHaveLength(5);
    } finally {
      await server.close();
      await mw.close();
    }
  });
});

describe('a host middleware that wraps res.write', () => {
  it.each(['csv', 'ndjson'])('finishes a %s export although write() returns undefined', async (format) => {
    const records: DeploymentRecord[] = Array.from({ length: 5000 }, (_, i) => ({
      id: String(i), application: 'App', description: 'd'.repeat(200), target: `web-${i}`, feedName: 'F', packageName: 'P',
      version: '1.0.0', userName: 'ci', date: new Date(Date.UTC(2024, 0, 1) - i * 1000), receivedAt: new Date(Date.UTC(2024, 0, 1)),
    }));
    const memory: DeploymentStore = {
      record: async () => [],
      list: async () => ({ records: [] }),
      stream: async function* () { yield* records; },
    };
    const app = express();
    app.use((_req, res, next) => {
      // As Verdaccio's logger does: wrap write and end, and return undefined.
      const write = res.write;
      res.write = function (...args: unknown[]) { (write as (...a: unknown[]) => boolean).apply(res, args); } as never;
      next();
    });
    app.use(createDeploymentRouter({ store: memory, auth: anonymousAuth(), logger: memoryLogger() }));
    const server = await listen(app);
    try {
      const res = await fetch(`${server.url}/api/package-deployment?feed=F&format=${format}`, { signal: AbortSignal.timeout(10_000) });
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text.trim().split(/\r?\n/)).toHaveLength(format === 'csv' ? 5001 : 5000);
    } finally {
      await server.close();
    }
  });
});
