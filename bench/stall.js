'use strict';
/**
 * Never stall: the p99 latency of `GET /` while one client runs the largest export (the whole feed as CSV,
 * 100,000 records of one package) over and over, and another the most expensive range the API accepts (64
 * parts, `RANGE_LIMITS.maxParts`, matching nothing, so every record of the package is a candidate) over and
 * over. Target: p99 < 50 ms. Also measured: the same `GET /` with no heavy client (the quiet p99), in the
 * same run. The server is pinned to core 0; wrk (1 thread, 4 connections) and the heavy clients to core 1.
 *
 * Env: BENCH_DB (sqlite | postgres; default sqlite), BENCH_RECORDS (100000), BENCH_DURATION (10),
 * BENCH_ROUNDS (3).
 */
const http = require('node:http');
const { freshDatabase, startServer, runLoad, median, machine, API_KEY } = require('./common');

const DB = process.env.BENCH_DB || 'sqlite';
const RECORDS = Number(process.env.BENCH_RECORDS || 100_000);
const DURATION = Number(process.env.BENCH_DURATION || 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const GOAL_MS = 50;
// 64 parts, none of which any seeded version (major 0-6) matches: the worst accepted range.
const RANGE = Array.from({ length: 64 }, (_, i) => `9.${i}.0`).join(' || ');

/** Fetches `path` again and again until stopped; counts completed answers and bytes. */
function hammer(port, path) {
  let running = true;
  const stats = { done: 0, bytes: 0, statuses: new Set() };
  const loop = () => {
    if (!running) return;
    http.get({ host: '127.0.0.1', port, path, headers: { 'x-apikey': API_KEY } }, (res) => {
      stats.statuses.add(res.statusCode);
      res.on('data', (d) => { stats.bytes += d.length; });
      res.on('end', () => { stats.done++; loop(); });
    }).on('error', () => setTimeout(loop, 100));
  };
  loop();
  return { stats, stop: () => { running = false; } };
}

async function main() {
  console.log(JSON.stringify({ bench: 'stall', machine: machine(), load: 'wrk -t1 -c4', database: DB, records: RECORDS, duration: DURATION, rounds: ROUNDS, range: `${RANGE.slice(0, 40)}... (64 parts)` }));
  const database = await freshDatabase(DB);
  const server = startServer('stall-server.js', { BENCH_DB: JSON.stringify(database.config), BENCH_RECORDS: String(RECORDS) });
  const quiet = [];
  const busy = [];
  try {
    const { port } = await server.ready;
    const url = `http://127.0.0.1:${port}/`;
    await runLoad({ url, connections: 4, duration: 2 });
    for (let round = 1; round <= ROUNDS; round++) {
      const q = await runLoad({ url, connections: 4, duration: DURATION });
      const exporter = hammer(port, '/api/package-deployment?feed=npm-packages&format=csv');
      const ranger = hammer(port, `/api/package-deployment?feed=npm-packages&package=Big&range=${encodeURIComponent(RANGE)}`);
      await new Promise((r) => setTimeout(r, 500));
      const b = await runLoad({ url, connections: 4, duration: DURATION });
      exporter.stop();
      ranger.stop();
      quiet.push(q.latencyP99);
      busy.push(b.latencyP99);
      console.log(`round ${round}: GET / p99 quiet ${q.latencyP99} ms (${q.requestsPerSec.toFixed(0)} req/s), during export + range ${b.latencyP99} ms (${b.requestsPerSec.toFixed(0)} req/s); ` +
        `exports finished ${exporter.stats.done} (${(exporter.stats.bytes / 1e6).toFixed(1)} MB, status ${[...exporter.stats.statuses]}), range queries ${ranger.stats.done} (status ${[...ranger.stats.statuses]})`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    const m = median(busy);
    console.log(`GET / p99 during the export and the range: median ${m} ms (goal < ${GOAL_MS} ms): ${m < GOAL_MS ? 'met' : 'NOT met'}; quiet median ${median(quiet)} ms`);
    console.log(JSON.stringify({ bench: 'stall', summary: { busyP99: busy, quietP99: quiet, median: m, goalMs: GOAL_MS, met: m < GOAL_MS } }));
  } finally {
    await server.stop();
    await database.destroy();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
