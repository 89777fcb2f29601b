'use strict';
/**
 * Purge benchmark: does a purge make recording wait? On a database seeded with 1,000,000 records (100
 * packages x 100 targets x 100 records), concurrent POST /api/package-deployment/ load runs first alone
 * (the baseline), then while `POST /api/package-deployment/purge {"feed":"Purge","keepLatest":10,
 * "dryRun":false}` deletes 900,000 of them in the same server process. The load runs in windows of
 * BENCH_WINDOW seconds until the purge has answered; the figure is the worst window's p99 (and the p99 of
 * every request, merged by weight, is not claimed). A dry run is timed first. Goal: record p99 < 100 ms
 * during the purge, on SQLite and PostgreSQL.
 *
 * Env: BENCH_DATABASES ("sqlite,postgres"), BENCH_PURGE_RECORDS (1000000), BENCH_CONNECTIONS (16),
 * BENCH_WINDOW (5), BENCH_DURATION (baseline seconds, 10), BENCH_POSTGRES_URL. (The purge API takes no
 * batchSize: the library sizes its delete steps itself.)
 */
const http = require('node:http');
const { freshDatabase, startServer, runLoad, machine, SAMPLE_BODY, API_KEY } = require('./common');

const DATABASES = (process.env.BENCH_DATABASES || 'sqlite,postgres').split(',').map((s) => s.trim()).filter(Boolean);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 16);
const WINDOW = Number(process.env.BENCH_WINDOW || 5);
const DURATION = Number(process.env.BENCH_DURATION || 10);
const GOAL_P99_MS = 100;

function post(port, path, key, body) {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data), 'x-apikey': key } }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(text)) : reject(new Error(`${path}: ${res.statusCode} ${text}`))));
    });
    req.on('error', reject);
    req.end(data);
  });
}

async function run(db) {
  const database = await freshDatabase(db);
  const server = startServer('purge-server.js', { BENCH_DB: JSON.stringify(database.config) });
  try {
    const { port, seeded, seedMs, adminKey } = await server.ready;
    console.log(`${db}: seeded ${seeded} records in ${(seedMs / 1000).toFixed(1)} s`);
    const load = {
      url: `http://127.0.0.1:${port}/api/package-deployment/`,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-apikey': API_KEY },
      body: SAMPLE_BODY,
      connections: CONNECTIONS,
    };
    await runLoad({ ...load, duration: 2 }); // warm-up, discarded
    const baseline = await runLoad({ ...load, duration: DURATION });
    console.log(`${db} no purge: ${baseline.requestsPerSec.toFixed(0)} req/s, p50 ${baseline.latencyP50} ms, p99 ${baseline.latencyP99} ms`);

    const policy = { feed: 'Purge', keepLatest: 10 };
    let t = Date.now();
    const dry = await post(port, '/api/package-deployment/purge', adminKey, policy);
    const dryMs = Date.now() - t;
    console.log(`${db} dry run: would delete ${dry.matched} of ${dry.scanned} scanned, in ${(dryMs / 1000).toFixed(1)} s (nothing deleted: ${dry.deleted === 0})`);

    t = Date.now();
    let purgeDone = false;
    const purge = post(port, '/api/package-deployment/purge', adminKey, { ...policy, dryRun: false }).then((r) => { purgeDone = true; return r; });
    const windows = [];
    while (!purgeDone) windows.push(await runLoad({ ...load, duration: WINDOW }));
    const result = await purge;
    const purgeMs = Date.now() - t;
    const worstP99 = Math.max(...windows.map((w) => w.latencyP99));
    const total = windows.reduce((n, w) => n + w.total, 0);
    const bad = windows.reduce((n, w) => n + w.non2xx + w.errors + w.timeouts, 0);
    console.log(`${db} during purge: deleted ${result.deleted} in ${(purgeMs / 1000).toFixed(1)} s; ${windows.length} windows, ${total} records posted (${bad} non-2xx/errors/timeouts); ` +
      `p99 per window ${windows.map((w) => w.latencyP99).join(', ')} ms; worst ${worstP99} ms (goal < ${GOAL_P99_MS} ms: ${worstP99 < GOAL_P99_MS && bad === 0 ? 'met' : 'NOT met'})`);
    return { seeded, baselineP99: baseline.latencyP99, baselineRps: Math.round(baseline.requestsPerSec), dryRunMs: dryMs, dryMatched: dry.matched, deleted: result.deleted, purgeMs, windowsP99: windows.map((w) => w.latencyP99), worstP99, errors: bad, met: worstP99 < GOAL_P99_MS && bad === 0 };
  } finally {
    await server.stop();
    await database.destroy();
  }
}

async function main() {
  console.log(JSON.stringify({ bench: 'purge', machine: machine(), connections: CONNECTIONS, window: WINDOW, duration: DURATION }));
  const summary = {};
  for (const db of DATABASES) summary[db] = await run(db);
  console.log(JSON.stringify({ bench: 'purge', summary }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
