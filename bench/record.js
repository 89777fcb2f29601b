'use strict';
/**
 * Record endpoint benchmark: POST /api/package-deployment/ through createDeploymentRouter (API-key auth,
 * validation, the batch writer, 200 only after the commit) against
 * - the FLOOR: a bare Express app (express.json() + express.urlencoded()) doing one prepared better-sqlite3
 *   INSERT per request (WAL, synchronous=NORMAL), no validation, no auth;
 * - the older, weaker BASELINE: the same bare app doing one knex INSERT per request on the same database
 *   and settings as the library (SQLite: synchronous=FULL).
 * Each round runs every configuration once, in alternating order, each on a fresh database, the server
 * pinned to core 0 and wrk (1 thread, BENCH_CONNECTIONS connections) to core 1; each ratio is taken
 * within its round; the figure is the median of the rounds' ratios. Targets: library >= 1.0x the floor
 * on SQLite and on PostgreSQL.
 *
 * Env: BENCH_DATABASES ("sqlite,postgres"), BENCH_ROUNDS (5), BENCH_DURATION (seconds, 10),
 * BENCH_CONNECTIONS (32), BENCH_POSTGRES_URL.
 */
const { freshDatabase, startServer, runLoad, median, machine, SAMPLE_BODY, API_KEY } = require('./common');

const DATABASES = (process.env.BENCH_DATABASES || 'sqlite,postgres').split(',').map((s) => s.trim()).filter(Boolean);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 5);
const DURATION = Number(process.env.BENCH_DURATION || 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 32);

async function once(db, mode) {
  const database = await freshDatabase(db);
  const server = startServer('record-server.js', { BENCH_MODE: mode, BENCH_DB: JSON.stringify(database.config) });
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
    if (r.non2xx || r.errors || r.timeouts) throw new Error(`${mode} on ${db}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`);
    return r;
  } finally {
    await server.stop();
    await database.destroy();
  }
}

async function main() {
  console.log(JSON.stringify({ bench: 'record', machine: machine(), load: 'wrk -t1', rounds: ROUNDS, duration: DURATION, connections: CONNECTIONS }));
  const configs = [['sqlite', 'floor']];
  for (const db of DATABASES) configs.push([db, 'library'], [db, 'baseline']);
  const ratios = {};
  const add = (name, v) => (ratios[name] ??= []).push(v);
  for (let round = 1; round <= ROUNDS; round++) {
    const order = round % 2 ? configs : [...configs].reverse();
    const r = {};
    for (const [db, mode] of order) r[`${db}/${mode}`] = await once(db, mode);
    const floor = r['sqlite/floor'];
    const line = [`round ${round}: floor ${floor.requestsPerSec.toFixed(0)} req/s (p99 ${floor.latencyP99} ms)`];
    for (const db of DATABASES) {
      const l = r[`${db}/library`];
      const b = r[`${db}/baseline`];
      add(`${db} library / floor`, l.requestsPerSec / floor.requestsPerSec);
      add(`${db} library / old baseline`, l.requestsPerSec / b.requestsPerSec);
      add(`${db} library p99 / floor p99`, l.latencyP99 / floor.latencyP99);
      line.push(`${db}: library ${l.requestsPerSec.toFixed(0)} req/s (p99 ${l.latencyP99} ms), old baseline ${b.requestsPerSec.toFixed(0)} req/s (p99 ${b.latencyP99} ms)`);
    }
    console.log(line.join('; '));
  }
  const summary = {};
  for (const [name, values] of Object.entries(ratios)) {
    summary[name] = { median: Number(median(values).toFixed(2)), ratios: values.map((v) => Number(v.toFixed(2))) };
    console.log(`${name}: median ${summary[name].median}x (rounds ${summary[name].ratios.join(', ')})`);
  }
  console.log(JSON.stringify({ bench: 'record', summary }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
