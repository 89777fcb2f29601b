'use strict';
/**
 * Webhooks benchmark.
 * 1. Record endpoint throughput with one webhook target configured (and delivered by the same process to
 *    a fast local receiver) against the same router without webhooks, ROUNDS pairs side by side on fresh
 *    databases, alternating which goes first; the median ratio. Goal: >= 0.9x.
 * 2. Drain: DRAIN_COUNT records (and so deliveries) committed with the worker off, then a server with the
 *    worker on is started; the time until the receiver has every delivery and the outbox has none pending.
 *
 * Env: BENCH_DATABASES (default "sqlite,postgres"), BENCH_ROUNDS (5), BENCH_DURATION (seconds, 10),
 * BENCH_CONNECTIONS (64), BENCH_DRAIN_COUNT (100000), BENCH_DRAIN ("on"; "off" skips part 2),
 * BENCH_WEBHOOK_CONCURRENCY (the worker's concurrency; default the library's), BENCH_POSTGRES_URL.
 */
const http = require('node:http');
const path = require('node:path');
const { freshDatabase, knexFor, startServer, runLoad, median, machine, SAMPLE_BODY, API_KEY } = require('./common');
const lib = require(path.join(__dirname, '..', 'dist'));

const DATABASES = (process.env.BENCH_DATABASES || 'sqlite,postgres').split(',').map((s) => s.trim()).filter(Boolean);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 5);
const DURATION = Number(process.env.BENCH_DURATION || 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 64);
const DRAIN_COUNT = Number(process.env.BENCH_DRAIN_COUNT || 100000);
const GOAL = 0.9;
const SECRET = lib.generateWebhookSecret();

/** A fast local receiver: answers 204 at once, counts deliveries and distinct webhook-ids. */
function startReceiver() {
  const ids = new Set();
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    ids.add(req.headers['webhook-id']);
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({
      url: `http://127.0.0.1:${server.address().port}/hook`,
      ids,
      get requests() { return requests; },
      close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
    }));
  });
}

function env(database, receiver, extra = {}) {
  const e = { BENCH_DB: JSON.stringify(database.config), ...extra };
  if (receiver) Object.assign(e, { BENCH_WEBHOOK_URL: receiver.url, BENCH_WEBHOOK_SECRET: SECRET });
  if (process.env.BENCH_WEBHOOK_CONCURRENCY) e.BENCH_WEBHOOK_CONCURRENCY = process.env.BENCH_WEBHOOK_CONCURRENCY;
  if (process.env.BENCH_WEBHOOK_DELIVER && !('BENCH_WEBHOOK_DELIVER' in extra)) e.BENCH_WEBHOOK_DELIVER = process.env.BENCH_WEBHOOK_DELIVER;
  return e;
}

async function recordRun(db, withWebhook) {
  const database = await freshDatabase(db);
  const receiver = withWebhook ? await startReceiver() : undefined;
  const server = startServer('webhooks-server.js', env(database, receiver));
  try {
    const { port } = await server.ready;
    const load = {
      url: `http://127.0.0.1:${port}/api/package-deployment/`,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-apikey': API_KEY },
      body: SAMPLE_BODY,
      connections: CONNECTIONS,
    };
    await runLoad({ ...load, duration: 2 }); // warm-up, discarded
    const r = await runLoad({ ...load, duration: DURATION });
    if (r.non2xx || r.errors || r.timeouts) throw new Error(`${withWebhook ? 'webhook' : 'plain'} on ${db}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`);
    return { ...r, delivered: receiver ? receiver.ids.size : undefined };
  } finally {
    await server.stop();
    if (receiver) await receiver.close();
    await database.destroy();
  }
}

async function drainRun(db) {
  const database = await freshDatabase(db);
  const receiver = await startReceiver();
  const knex = knexFor(database.config);
  try {
    // The backlog: DRAIN_COUNT records committed with their deliveries (no worker running).
    await lib.migrateDeploymentStore(knex);
    const store = lib.createKnexStore({ knex });
    await store.init();
    await store.syncWebhookTargets([{ name: 'bench', url: receiver.url, secret: SECRET }]);
    const now = new Date();
    for (let i = 0; i < DRAIN_COUNT; i += 500) {
      const batch = [];
      for (let j = i; j < Math.min(i + 500, DRAIN_COUNT); j++) {
        batch.push({ application: 'Bench', description: '', target: `t-${j}`, feedName: 'DefaultNuGet', packageName: 'Newtonsoft.Json', version: '12.0.3', userName: 'bench', date: now, receivedAt: now });
      }
      await store.record(batch);
    }
    const pending = async () => (await store.listWebhookDeliveries({ status: 'pending', limit: 1 })).deliveries.length;
    if ((await pending()) === 0) throw new Error('the backlog has no pending deliveries');
    await store.close();
    // Drain: a server with the worker on.
    const started = Date.now();
    const server = startServer('webhooks-server.js', env(database, receiver));
    try {
      await server.ready;
      while (receiver.ids.size < DRAIN_COUNT) await new Promise((r) => setTimeout(r, 50));
      const seconds = (Date.now() - started) / 1000;
      const check = lib.createKnexStore({ knex, migrate: false });
      while ((await check.listWebhookDeliveries({ status: 'pending', limit: 1 })).deliveries.length > 0) await new Promise((r) => setTimeout(r, 50));
      const settled = (Date.now() - started) / 1000;
      return { seconds, settled, perSecond: DRAIN_COUNT / seconds, requests: receiver.requests, distinct: receiver.ids.size };
    } finally {
      await server.stop();
    }
  } finally {
    await knex.destroy();
    await receiver.close();
    await database.destroy();
  }
}

async function main() {
  console.log(JSON.stringify({ bench: 'webhooks', machine: machine(), rounds: ROUNDS, duration: DURATION, connections: CONNECTIONS, drainCount: DRAIN_COUNT }));
  const summary = {};
  for (const db of DATABASES) {
    const ratios = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const order = round % 2 ? [false, true] : [true, false];
      const result = {};
      for (const withWebhook of order) result[withWebhook ? 'webhook' : 'plain'] = await recordRun(db, withWebhook);
      const ratio = result.webhook.requestsPerSec / result.plain.requestsPerSec;
      ratios.push(ratio);
      console.log(
        `${db} round ${round}: one target ${result.webhook.requestsPerSec.toFixed(0)} req/s (p99 ${result.webhook.latencyP99} ms, ${result.webhook.delivered} delivered during the run), ` +
          `no webhooks ${result.plain.requestsPerSec.toFixed(0)} req/s (p99 ${result.plain.latencyP99} ms), ratio ${ratio.toFixed(2)}x`,
      );
    }
    const m = median(ratios);
    summary[db] = { median: Number(m.toFixed(2)), ratios: ratios.map((r) => Number(r.toFixed(2))), goal: GOAL, met: m >= GOAL };
    console.log(`${db}: median ratio ${m.toFixed(2)}x (goal >= ${GOAL}x): ${m >= GOAL ? 'met' : 'NOT met'}`);
    if (process.env.BENCH_DRAIN !== 'off') {
      const d = await drainRun(db);
      summary[db].drain = { count: DRAIN_COUNT, seconds: Number(d.seconds.toFixed(1)), settledSeconds: Number(d.settled.toFixed(1)), perSecond: Math.round(d.perSecond), requests: d.requests };
      console.log(`${db}: drained ${DRAIN_COUNT} deliveries in ${d.seconds.toFixed(1)} s (${Math.round(d.perSecond)}/s; all marked delivered at ${d.settled.toFixed(1)} s; ${d.requests} requests for ${d.distinct} ids)`);
    }
  }
  console.log(JSON.stringify({ bench: 'webhooks', summary }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
