/** Streamed exports: backpressure, early disconnects, CSV cells, and a large export end to end. */
import { once } from 'node:events';
import http from 'node:http';
import { Writable } from 'node:stream';
import express from 'express';
import { anonymousAuth, createDeploymentRouter, type DeploymentRecord, type DeploymentStore } from '../lib';
import { csvCell, writeRecords } from '../lib/read/export';
import { listen } from './helpers/http';

function record(i: number): DeploymentRecord {
  return {
    id: String(i), application: 'Octopus', description: `deployment number ${i}`, target: `web-${i}`, feedName: 'F', packageName: 'P',
    version: '1.0.0', userName: 'ci', date: new Date(Date.UTC(2024, 0, 1) - i * 1000), receivedAt: new Date(Date.UTC(2024, 0, 1)),
  };
}

/** A lazy source of `n` records that counts how many were pulled. */
function source(n: number) {
  const state = { pulled: 0, returned: false };
  async function* generate(): AsyncGenerator<DeploymentRecord> {
    try {
      for (let i = 0; i < n; i++) {
        state.pulled++;
        yield record(i);
      }
    } finally {
      state.returned = true;
    }
  }
  return { state, records: generate() };
}

describe('csvCell', () => {
  it.each([
    ['=1+1', "'=1+1"], ['+1', "'+1"], ['-1', "'-1"], ['@SUM(A1)', "'@SUM(A1)"], ['\tx', "'\tx"], ['\rx', `"'\rx"`],
    ['plain', 'plain'], ['a,b', '"a,b"'], ['say "hi"', '"say ""hi"""'], ['two\nlines', '"two\nlines"'], ['', ''], [null, ''],
    [' padded ', '" padded "'], ['1-2', '1-2'],
  ])('%j → %j', (input, output) => expect(csvCell(input)).toBe(output));
});

describe('writeRecords', () => {
  it('stops pulling records while the destination is full, and resumes on drain', async () => {
    const { state, records } = source(10_000);
    const held: Array<() => void> = [];
    let received = 0;
    const out = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _enc, callback) {
        received += chunk.toString().split('\n').length - 1;
        held.push(callback);
      },
    });
    const waitingForDrain = new Promise<void>((resolve) => out.on('newListener', (event) => { if (event === 'drain') resolve(); }));
    const done = writeRecords(records, out, 'ndjson');
    await waitingForDrain;
    // Blocked on a full buffer: only a bufferful has been pulled from the store, not all 10,000.
    expect(state.pulled).toBeLessThan(50);
    const pulledWhileBlocked = state.pulled;
    await new Promise((r) => setImmediate(r));
    expect(state.pulled).toBe(pulledWhileBlocked);
    // Release writes as they come until the end.
    out._write = (chunk: Buffer, _enc, callback) => { received += chunk.toString().split('\n').length - 1; callback(); };
    for (const cb of held.splice(0)) cb();
    expect(await done).toBe(10_000);
    expect(received).toBe(10_000);
  });

  it('stops and closes the source when the destination closes early', async () => {
    const { state, records } = source(1_000_000);
    const out = new Writable({ highWaterMark: 1024, write(_c, _e, callback) { setImmediate(callback); } });
    const done = writeRecords(records, out, 'csv');
    await once(out, 'drain');
    out.destroy();
    const written = await done;
    expect(written).toBeLessThan(1_000);
    expect(state.returned).toBe(true);
  });
});

describe('a large export over HTTP', () => {
  it('streams 200,000 records as CSV, pulling them as the client reads', async () => {
    const { state, records } = source(200_000);
    const store: DeploymentStore = {
      record: async () => [],
      list: async () => ({ records: [] }),
      stream: () => records,
    };
    const app = express();
    app.use(createDeploymentRouter({ store, auth: anonymousAuth(), logger: { warn: () => {}, error: () => {} } }));
    const server = await listen(app);
    try {
      const res = await new Promise<http.IncomingMessage>((resolve, reject) => http.get(`${server.url}/api/package-deployment?feed=F&format=csv`, resolve).on('error', reject));
      expect(res.statusCode).toBe(200);
      // Read the first chunk, then stop reading: the server must stop pulling from the store.
      res.pause();
      await once(res, 'readable');
      const pulledEarly = state.pulled;
      expect(pulledEarly).toBeLessThan(200_000);
      let lines = 0;
      let tail = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const text = tail + chunk;
        const parts = text.split('\r\n');
        tail = parts.pop()!;
        lines += parts.length;
      });
      res.resume();
      await once(res, 'end');
      expect(lines).toBe(200_001);
      expect(state.pulled).toBe(200_000);
    } finally {
      await server.close();
    }
  });
});
