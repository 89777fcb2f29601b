/**
 * Webhooks across processes: a server SIGKILLed mid-delivery (while its receiver is slow, down or
 * answering 500s) loses nothing: a new process on the same database delivers every committed record,
 * repeats carrying the same webhook-id, every signature verified with `standardwebhooks`. And two
 * instances on one PostgreSQL or MariaDB database share the outbox without ever sending one delivery
 * twice at the same moment.
 */
import { generateWebhookSecret } from '../lib';
import { createTestDatabase, databaseIds, describeEachNetworkDatabase, type DatabaseId } from './helpers/databases';
import { CHILD_DB_ENV, spawnHelper, type Child } from './helpers/processes';
import { SAMPLE } from './helpers/fixtures';
import { startReceiver, type Receiver } from './helpers/webhook-receiver';

jest.setTimeout(120_000);

async function post(port: number, target: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/api/package-deployment/`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ ...SAMPLE, FeedName: 'Products', Target: target }),
  });
  await res.arrayBuffer();
  return res.status;
}

/** Record id → the webhook-ids that reached the receiver for it. */
function idsByRecord(receiver: Receiver): Map<string, Set<string>> {
  const map = new Map<string, Set<string>>();
  for (const r of receiver.received) {
    const recordId = (r.json as { data: { Id: string } }).data.Id;
    map.set(recordId, (map.get(recordId) ?? new Set()).add(r.webhookId));
  }
  return map;
}

/** Targets whose delivery got a 2xx. */
function deliveredTargets(receiver: Receiver): Set<string> {
  const ok = receiver.deliveredIds();
  return new Set(receiver.received.filter((r) => ok.has(r.webhookId)).map((r) => (r.json as { data: { Target: string } }).data.Target));
}

function start(db: { connection: unknown }, receiver: Receiver, secret: string, extra: Record<string, string> = {}): Child {
  return spawnHelper('webhook-instance.ts', {
    [CHILD_DB_ENV]: JSON.stringify(db.connection),
    PD_WEBHOOK_URL: receiver.url,
    PD_WEBHOOK_SECRET: secret,
    ...extra,
  });
}

describe.each(databaseIds())('webhooks on %s survive SIGKILL', (id: DatabaseId) => {
  it('delivers every committed record after the server is killed mid-delivery (receiver slow, then down, then 500s)', async () => {
    const db = await createTestDatabase(id);
    const secret = generateWebhookSecret();
    const receiver = await startReceiver([secret]);
    const children: Child[] = [];
    try {
      // Slow answers: deliveries are in flight when the kill comes.
      receiver.answer = () => ({ status: 204, delayMs: 400 });
      const first = start(db, receiver, secret);
      children.push(first);
      const { port } = await first.next<{ port: number }>();
      const targets = Array.from({ length: 60 }, (_, i) => `kill-${i}`);
      const statuses: number[] = [];
      for (let i = 0; i < targets.length; i += 10) statuses.push(...(await Promise.all(targets.slice(i, i + 10).map((t) => post(port, t)))));
      expect(statuses.every((s) => s === 200)).toBe(true);
      await receiver.waitFor(() => receiver.received.length >= 3, 30_000, 'deliveries in flight');
      process.kill(first.pid, 'SIGKILL');
      await first.exited();
      const beforeRestart = deliveredTargets(receiver).size;
      expect(beforeRestart).toBeLessThan(targets.length);

      // While no server runs, the receiver goes down; then it answers 500 for a while, then OK.
      await receiver.stop();
      let failing = 0;
      receiver.answer = () => (failing++ < 15 ? { status: 500 } : { status: 204 });
      const second = start(db, receiver, secret);
      children.push(second);
      await second.next<{ port: number }>();
      await new Promise((r) => setTimeout(r, 500)); // attempts fail: connections dropped
      await receiver.start();
      await receiver.waitFor(() => deliveredTargets(receiver).size === targets.length, 90_000, 'every record delivered after the restart');

      expect(receiver.unverified).toHaveLength(0);
      const byRecord = idsByRecord(receiver);
      expect(byRecord.size).toBe(targets.length);
      // Repeats (an attempt cut by the kill, 500s) carry the same id: one webhook-id per record.
      expect([...byRecord.values()].every((ids) => ids.size === 1)).toBe(true);
    } finally {
      for (const c of children) await c.stop().catch(() => undefined);
      await receiver.close();
      await db.destroy();
    }
  });
});

describeEachNetworkDatabase()('two instances on one %s database', (id: DatabaseId) => {
  it('share the deliveries, and no delivery is ever sent twice at the same moment', async () => {
    const db = await createTestDatabase(id);
    const secret = generateWebhookSecret();
    const receiver = await startReceiver([secret]);
    receiver.answer = () => ({ status: 204, delayMs: 30 });
    const children = [start(db, receiver, secret), start(db, receiver, secret)];
    try {
      const ports = (await Promise.all(children.map((c) => c.next<{ port: number }>()))).map((m) => m.port);
      const targets = Array.from({ length: 300 }, (_, i) => `pair-${i}`);
      const statuses: number[] = [];
      for (let i = 0; i < targets.length; i += 20) {
        statuses.push(...(await Promise.all(targets.slice(i, i + 20).map((t, j) => post(ports[(i + j) % 2]!, t)))));
      }
      expect(statuses.every((s) => s === 200)).toBe(true);
      await receiver.waitFor(() => deliveredTargets(receiver).size === targets.length, 60_000, 'every record delivered');
      expect(receiver.unverified).toHaveLength(0);
      expect(receiver.maxConcurrentPerId).toBe(1);
      // Nothing failed, so nothing was sent twice at all.
      expect(receiver.received).toHaveLength(targets.length);
      expect(new Set(receiver.received.map((r) => r.webhookId)).size).toBe(targets.length);
    } finally {
      for (const c of children) await c.stop().catch(() => undefined);
      await receiver.close();
      await db.destroy();
    }
  });
});
