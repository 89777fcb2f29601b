'use strict';
/**
 * Record endpoint benchmark: POST /api/package-deployment/ through createDeploymentRouter (API-key auth,
 * validation, group commit) against a bare Express app doing one INSERT per request with the same driver.
 * For each database, ROUNDS pairs run side by side (alternating which goes first), each on a fresh
 * database; prints each pair's ratio and the median. Goals: >= 0.9x on SQLite, >= 2x on PostgreSQL.
 *
 * Env: BENCH_DATABASES (default "sqlite,postgres"), BENCH_ROUNDS (5), BENCH_DURATION (seconds, 10),
 * BENCH_CONNECTIONS (64), BENCH_POSTGRES_URL (default PD_TEST_POSTGRES_URL or postgres://postgres@127.0.0.1:5432/test).
 */
const { freshDatabase, startServer, runLoad, median, machine, SAMPLE_BODY, API_KEY } = require('./common');

const DATABASES = (process.env.BENCH_DATABASES || 'sqlite,postgres').split(',').map((s) => s.trim()).filter(Boolean);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 5);
const DURATION = Number(process.env.BENCH_DURATION || 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 64);
const GOALS = { sqlite: 0.9, postgres: 2 };

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
  console.log(JSON.stringify({ bench: 'record', machine: machine(), rounds: ROUNDS, duration: DURATION, connections: CONNECTIONS }));
  const summary = {};
  for (const db of DATABASES) {
    const ratios = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const order = round % 2 ? ['baseline', 'library'] : ['library', 'baseline'];
      const result = {};
      for (const mode of order) result[mode] = await once(db, mode);
      const ratio = result.library.requestsPerSec / result.baseline.requestsPerSec;
      ratios.push(ratio);
      console.log(
        `${db} round ${round}: library ${result.library.requestsPerSec.toFixed(0)} req/s (p99 ${result.library.latencyP99} ms), ` +
          `baseline ${result.baseline.requestsPerSec.toFixed(0)} req/s (p99 ${result.baseline.latencyP99} ms), ratio ${ratio.toFixed(2)}x`,
      );
    }
    const m = median(ratios);
    summary[db] = { median: Number(m.toFixed(2)), ratios: ratios.map((r) => Number(r.toFixed(2))), goal: GOALS[db], met: m >= GOALS[db] };
    console.log(`${db}: median ratio ${m.toFixed(2)}x (goal >= ${GOALS[db]}x): ${m >= GOALS[db] ? 'met' : 'NOT met'}`);
  }
  console.log(JSON.stringify({ bench: 'record', summary }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
