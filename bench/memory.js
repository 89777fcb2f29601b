'use strict';
/**
 * Memory benchmark: peak RSS of the server process (the kernel's VmHWM, sampled too as VmRSS every
 * 250 ms) while 1,000,000 records are ingested through POST /api/package-deployment/ (library server:
 * auth, validation, group commit), by autocannon with 100 connections on another core. Goal: < 150 MB.
 * Then checks that exactly that many records were stored.
 *
 * Env: BENCH_MEMORY_DB (postgres | sqlite; default postgres. SQLite keeps its page cache in the server
 * process, but with synchronous=FULL it ingests ~600 records/s on a slow disk: a million take ~30 min),
 * BENCH_RECORDS (1000000), BENCH_CONNECTIONS (100), BENCH_MEMORY_MODE (library | baseline: the bare Express
 * app of bench/record-server.js doing one knex INSERT per request; default library),
 * BENCH_SERVER_NODE_OPTIONS (NODE_OPTIONS for the server process only, such as
 * "--max-semi-space-size=8 --max-old-space-size=64": see bench/README.md, "Memory").
 */
const fs = require('node:fs');
const { freshDatabase, knexFor, startServer, runLoad, machine, SAMPLE_BODY, API_KEY } = require('./common');

const DB = process.env.BENCH_MEMORY_DB || 'postgres';
const RECORDS = Number(process.env.BENCH_RECORDS || 1_000_000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 100);
const GOAL_MB = 150;
const MODE = process.env.BENCH_MEMORY_MODE || 'library';
const SERVER_NODE_OPTIONS = process.env.BENCH_SERVER_NODE_OPTIONS || '';

function status(pid) {
  const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name) => Number((new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text) || [])[1] || 0);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

async function main() {
  if (MODE !== 'library' && MODE !== 'baseline') throw new Error('BENCH_MEMORY_MODE must be library or baseline');
  console.log(JSON.stringify({ bench: 'memory', machine: machine(), database: DB, mode: MODE, serverNodeOptions: SERVER_NODE_OPTIONS, records: RECORDS, connections: CONNECTIONS }));
  const database = await freshDatabase(DB);
  const server = startServer('record-server.js', { BENCH_MODE: MODE, BENCH_DB: JSON.stringify(database.config), ...(SERVER_NODE_OPTIONS ? { NODE_OPTIONS: SERVER_NODE_OPTIONS } : {}) });
  let pid;
  try {
    const { port } = await server.ready;
    // taskset execs node in place, so the spawned pid is the server's.
    pid = server.proc.pid;
    const atStart = status(pid);
    let peakSampled = atStart.rss;
    const sampler = setInterval(() => {
      try {
        peakSampled = Math.max(peakSampled, status(pid).rss);
      } catch {
        // exited
      }
    }, 250);
    const started = Date.now();
    const r = await runLoad({
      url: `http://127.0.0.1:${port}/api/package-deployment/`,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-apikey': API_KEY },
      body: SAMPLE_BODY,
      connections: CONNECTIONS,
      amount: RECORDS,
    });
    clearInterval(sampler);
    const end = status(pid);
    const seconds = (Date.now() - started) / 1000;
    const knex = knexFor(database.config);
    const [{ n }] = await knex('package_deployments').count({ n: '*' });
    await knex.destroy();
    const result = {
      mode: MODE,
      serverNodeOptions: SERVER_NODE_OPTIONS || undefined,
      records: RECORDS,
      stored: Number(n),
      non2xx: r.non2xx,
      errors: r.errors,
      seconds: Number(seconds.toFixed(1)),
      requestsPerSec: Math.round(RECORDS / seconds),
      rssAtStartMB: Number(atStart.rss.toFixed(1)),
      rssAtEndMB: Number(end.rss.toFixed(1)),
      peakRssSampledMB: Number(peakSampled.toFixed(1)),
      peakRssKernelMB: Number(end.hwm.toFixed(1)),
      goalMB: GOAL_MB,
      met: end.hwm < GOAL_MB && Number(n) === RECORDS - r.non2xx - r.errors,
    };
    console.log(JSON.stringify({ bench: 'memory', result }));
    console.log(`peak RSS ${result.peakRssKernelMB} MB (goal < ${GOAL_MB} MB) while storing ${result.stored} of ${RECORDS} records in ${result.seconds} s: ${result.met ? 'met' : 'NOT met'}`);
  } finally {
    await server.stop();
    await database.destroy();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
