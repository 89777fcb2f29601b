/**
 * A real webhook receiver for tests: an HTTP server on 127.0.0.1 (random port) that checks every request's
 * signature with the `standardwebhooks` package (independent of the library's signing code), keeps what
 * arrived, and answers as the test asks (ok, 500s, slowly, 410, Retry-After, a redirect...). It also
 * tracks how many requests for one webhook-id are open at once.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Received {
  webhookId: string;
  timestamp: string;
  signature: string;
  body: string;
  json: unknown;
  /** The signature verified against one of the receiver's secrets. */
  verified: boolean;
  at: number;
}

export type Answer = { status: number; headers?: Record<string, string>; delayMs?: number; body?: string };

export interface Receiver {
  readonly url: string;
  readonly port: number;
  readonly received: Received[];
  /** Requests whose signature did not verify. */
  readonly unverified: Received[];
  /** The most requests for one webhook-id that were open at the same moment. */
  readonly maxConcurrentPerId: number;
  /** Decides each answer; defaults to 204. */
  answer: (r: Received, n: number) => Answer;
  /** Distinct webhook-ids that got a 2xx. */
  deliveredIds(): Set<string>;
  /** Waits until `predicate` holds (polling), or fails after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs?: number, what?: string): Promise<void>;
  close(): Promise<void>;
  /**
   * Goes down: every connection is dropped at once (the port stays bound, so that no other process can
   * take it meanwhile), until `start()`.
   */
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function startReceiver(secrets: readonly string[], port = 0): Promise<Receiver> {
  const verifiers = secrets.map((s) => new Webhook(s));
  const received: Received[] = [];
  const unverified: Received[] = [];
  const open = new Map<string, number>();
  const okIds = new Set<string>();
  let maxConcurrentPerId = 0;
  let count = 0;
  const timers = new Set<NodeJS.Timeout>();

  const handler: http.RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = {
        'webhook-id': String(req.headers['webhook-id'] ?? ''),
        'webhook-timestamp': String(req.headers['webhook-timestamp'] ?? ''),
        'webhook-signature': String(req.headers['webhook-signature'] ?? ''),
      };
      let verified = false;
      for (const v of verifiers) {
        try {
          v.verify(body, headers);
          verified = true;
          break;
        } catch {
          // try the next secret
        }
      }
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const r: Received = { webhookId: headers['webhook-id'], timestamp: headers['webhook-timestamp'], signature: headers['webhook-signature'], body, json, verified, at: Date.now() };
      received.push(r);
      if (!verified) unverified.push(r);
      const now = (open.get(r.webhookId) ?? 0) + 1;
      open.set(r.webhookId, now);
      maxConcurrentPerId = Math.max(maxConcurrentPerId, now);
      const a = receiver.answer(r, ++count);
      const reply = () => {
        open.set(r.webhookId, (open.get(r.webhookId) ?? 1) - 1);
        if (res.destroyed) return;
        if (a.status >= 200 && a.status < 300) okIds.add(r.webhookId);
        res.writeHead(a.status, a.headers ?? {});
        res.end(a.body ?? '');
      };
      if (a.delayMs) {
        const t = setTimeout(() => {
          timers.delete(t);
          reply();
        }, a.delayMs);
        timers.add(t);
      }
      else reply();
    });
  };

  let down = false;
  const server = http.createServer(handler);
  server.keepAliveTimeout = 500;
  server.on('connection', (socket) => {
    if (down) socket.destroy();
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  const actualPort = (server.address() as AddressInfo).port;

  const receiver: Receiver = {
    url: `http://127.0.0.1:${actualPort}/hooks`,
    port: actualPort,
    received,
    unverified,
    get maxConcurrentPerId() {
      return maxConcurrentPerId;
    },
    answer: () => ({ status: 204 }),
    deliveredIds: () => new Set(okIds),
    async waitFor(predicate, timeoutMs = 20_000, what = 'the condition') {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what} (received ${received.length}, delivered ${okIds.size}).`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async stop() {
      down = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.closeAllConnections();
    },
    async start() {
      down = false;
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.closeAllConnections();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return receiver;
}
