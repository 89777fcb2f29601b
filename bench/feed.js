'use strict';
/**
 * Feed middleware benchmark: GET downloads of a 100 KiB UPack package, through the deployment middleware
 * (`feedDeployments({ store, auth: anonymousAuth() })` in front of the route) against the same route
 * without it (the bare route), side by side. Two kinds of download through the middleware:
 * - WITH the X-ProGet-Deployment-* headers (each download recorded): target >= 0.9x the bare route,
 *   p99 <= 1.5x the bare route's;
 * - WITHOUT them (nothing to record): target >= 0.98x.
 * Each round runs the three once, in alternating order, each server on a fresh database, pinned to core 0;
 * wrk (1 thread) on core 1; ratios within the round; figures are medians of the rounds.
 *
 * Env: BENCH_DB (sqlite | postgres; default sqlite), BENCH_STORE=noop (a store that keeps nothing: the
 * middleware's own cost), BENCH_FLOOR=1 (a fourth configuration: the same downloads with headers through
 * the hand-written recorder of feed-server.js's `floor` mode, the least a feed server can do to record
 * them), BENCH_ROUNDS (5), BENCH_DURATION (10), BENCH_CONNECTIONS (32).
 */
const { freshDatabase, startServer, runLoad, median, machine } = require('./common');

const DB = process.env.BENCH_DB || 'sqlite';
const ROUNDS = Number(process.env.BENCH_ROUNDS || 5);
const DURATION = Number(process.env.BENCH_DURATION || 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 32);

const HEADERS = {
  'x-proget-deployment-application': 'BuildMaster',
  'x-proget-deployment-description': 'Deployed by Get-Package operation, see URL for more info.',
  'x-proget-deployment-url': 'https://buildmaster.example/applications/4/builds/build?releaseNumber=1.2&buildNumber=7',
  'x-proget-deployment-target': 'web-01',
};

async function once(mode, headers) {
  const database = await freshDatabase(DB);
  const server = startServer('feed-server.js', { BENCH_MODE: mode, BENCH_DB: JSON.stringify(database.config) });
  try {
    const { port } = await server.ready;
    const load = { url: `http://127.0.0.1:${port}/upack/Products/download/InedoReleases/sub/ProGet/5.3.38`, headers, connections: CONNECTIONS };
    await runLoad({ ...load, duration: 2 });
    const r = await runLoad({ ...load, duration: DURATION });
    if (r.non2xx || r.errors || r.timeouts) throw new Error(`${mode}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`);
    return r;
  } finally {
    await server.stop();
    await database.destroy();
  }
}

async function main() {
  console.log(JSON.stringify({ bench: 'feed', machine: machine(), load: 'wrk -t1', database: DB, store: process.env.BENCH_STORE || 'knex', floor: process.env.BENCH_FLOOR === '1', rounds: ROUNDS, duration: DURATION, connections: CONNECTIONS }));
  const configs = [['bare', 'baseline', HEADERS], ['with headers', 'library', HEADERS], ['without headers', 'library', {}]];
  const ratios = { 'with headers / bare': [], 'with headers p99 / bare p99': [], 'without headers / bare': [] };
  if (process.env.BENCH_FLOOR === '1') {
    configs.push(['hand-written recorder', 'floor', HEADERS]);
    Object.assign(ratios, { 'hand-written recorder / bare': [], 'with headers / hand-written recorder': [] });
  }
  for (let round = 1; round <= ROUNDS; round++) {
    const order = round % 2 ? configs : [...configs].reverse();
    const r = {};
    for (const [name, mode, headers] of order) r[name] = await once(mode, headers);
    ratios['with headers / bare'].push(r['with headers'].requestsPerSec / r.bare.requestsPerSec);
    ratios['with headers p99 / bare p99'].push(r['with headers'].latencyP99 / r.bare.latencyP99);
    ratios['without headers / bare'].push(r['without headers'].requestsPerSec / r.bare.requestsPerSec);
    if (r['hand-written recorder']) {
      ratios['hand-written recorder / bare'].push(r['hand-written recorder'].requestsPerSec / r.bare.requestsPerSec);
      ratios['with headers / hand-written recorder'].push(r['with headers'].requestsPerSec / r['hand-written recorder'].requestsPerSec);
    }
    console.log(`round ${round}: ${Object.entries(r).map(([n, x]) => `${n} ${x.requestsPerSec.toFixed(0)} req/s (p99 ${x.latencyP99} ms)`).join(', ')}`);
  }
  const summary = {};
  for (const [name, values] of Object.entries(ratios)) {
    summary[name] = { median: Number(median(values).toFixed(2)), ratios: values.map((v) => Number(v.toFixed(2))) };
    console.log(`${name}: median ${summary[name].median}x (rounds ${summary[name].ratios.join(', ')})`);
  }
  console.log(JSON.stringify({ bench: 'feed', database: DB, summary }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
