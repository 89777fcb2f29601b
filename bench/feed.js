'use strict';
/**
 * Feed middleware benchmark: GET downloads of a 100 KiB UPack package carrying X-ProGet-Deployment-*
 * headers, through the deployment middleware against the same route without it, side by side, ROUNDS
 * pairs; prints each ratio and the median. Goal: >= 0.95x.
 *
 * Env: BENCH_DB (sqlite | postgres; default sqlite), BENCH_STORE=noop (a store that keeps nothing: the
 * middleware's own cost), BENCH_ROUNDS (5), BENCH_DURATION (10), BENCH_CONNECTIONS (64).
 */
const path = require('node:path');
const { freshDatabase, startServer, runLoad, median, machine } = require('./common');

const DB = process.env.BENCH_DB || 'sqlite';
const ROUNDS = Number(process.env.BENCH_ROUNDS || 5);
const DURATION = Number(process.env.BENCH_DURATION || 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 64);
const GOAL = 0.95;

const HEADERS = {
  'x-proget-deployment-application': 'BuildMaster',
  'x-proget-deployment-description': 'Deployed by Get-Package operation, see URL for more info.',
  'x-proget-deployment-url': 'https://buildmaster.example/applications/4/builds/build?releaseNumber=1.2&buildNumber=7',
  'x-proget-deployment-target': 'web-01',
};

async function once(mode) {
  const database = await freshDatabase(DB);
  const server = startServer('feed-server.js', { BENCH_MODE: mode, BENCH_DB: JSON.stringify(database.config) });
  try {
    const { port } = await server.ready;
    const load = { url: `http://127.0.0.1:${port}/upack/Products/download/InedoReleases/sub/ProGet/5.3.38`, headers: HEADERS, connections: CONNECTIONS };
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
  console.log(JSON.stringify({ bench: 'feed', machine: machine(), database: DB, store: process.env.BENCH_STORE || 'knex', rounds: ROUNDS, duration: DURATION, connections: CONNECTIONS }));
  const ratios = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const order = round % 2 ? ['baseline', 'library'] : ['library', 'baseline'];
    const result = {};
    for (const mode of order) result[mode] = await once(mode);
    const ratio = result.library.requestsPerSec / result.baseline.requestsPerSec;
    ratios.push(ratio);
    console.log(`round ${round}: with middleware ${result.library.requestsPerSec.toFixed(0)} req/s, without ${result.baseline.requestsPerSec.toFixed(0)} req/s, ratio ${ratio.toFixed(2)}x`);
  }
  const m = median(ratios);
  console.log(`feed: median ratio ${m.toFixed(2)}x (goal >= ${GOAL}x): ${m >= GOAL ? 'met' : 'NOT met'}`);
  console.log(JSON.stringify({ bench: 'feed', summary: { median: Number(m.toFixed(2)), ratios: ratios.map((r) => Number(r.toFixed(2))), goal: GOAL, met: m >= GOAL } }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
