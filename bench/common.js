'use strict';
/**
 * Shared by the benchmarks: databases, pinned processes, autocannon runs, medians.
 * The library is used as users get it: `dist/` (the bench scripts build it first).
 */
const { spawn, execFileSync } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');

const ROOT = path.join(__dirname, '..');
const POSTGRES_URL = process.env.BENCH_POSTGRES_URL || process.env.PD_TEST_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';

/** The cores to pin the server and the load generator to, when the machine has two or more. */
function cores() {
  const n = os.availableParallelism ? os.availableParallelism() : os.cpus().length;
  let taskset = false;
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    taskset = n >= 2;
  } catch {
    taskset = false;
  }
  return { n, taskset, server: '0', load: String(n - 1) };
}

/** A fresh database for one run: an SQLite file in a temp dir, or a new PostgreSQL schema. */
async function freshDatabase(kind) {
  if (kind === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-bench-'));
    return {
      config: { client: 'better-sqlite3', filename: path.join(dir, 'bench.sqlite') },
      async destroy() {
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const { knex } = require('knex');
  const schema = `pd_bench_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = knex({ client: 'pg', connection: POSTGRES_URL, pool: { min: 0, max: 1 } });
  await admin.raw('create schema ??', [schema]);
  await admin.destroy();
  return {
    config: { client: 'pg', connection: POSTGRES_URL, searchPath: [schema] },
    async destroy() {
      const cleanup = knex({ client: 'pg', connection: POSTGRES_URL, pool: { min: 0, max: 1 } });
      await cleanup.raw('drop schema if exists ?? cascade', [schema]);
      await cleanup.destroy();
    },
  };
}

/** A knex instance for a database config from freshDatabase() (same settings for library and baseline). */
function knexFor(config) {
  if (config.client === 'better-sqlite3') return require(path.join(ROOT, 'dist')).createSqliteKnex(config.filename);
  const { knex } = require('knex');
  // knex's default pool (2..10 connections), the same for library and baseline.
  return knex({ client: 'pg', connection: config.connection, searchPath: config.searchPath });
}

/** Starts a server script (prints {"port":N}), pinned to the server core. */
function startServer(script, env) {
  const c = cores();
  const args = [path.join(__dirname, script)];
  const command = c.taskset ? 'taskset' : process.execPath;
  const argv = c.taskset ? ['-c', c.server, process.execPath, ...args] : args;
  const proc = spawn(command, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: proc.stdout });
  const ready = new Promise((resolve, reject) => {
    lines.once('line', (line) => resolve(JSON.parse(line)));
    proc.once('exit', (code) => reject(new Error(`${script} exited with ${code} before listening`)));
  });
  return {
    proc,
    ready,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    },
  };
}

/** Runs autocannon (bench/load.js) pinned to the load core; resolves with its summary. */
function runAutocannon(options) {
  const c = cores();
  const args = [path.join(__dirname, 'load.js'), JSON.stringify(options)];
  const command = c.taskset ? 'taskset' : process.execPath;
  const argv = c.taskset ? ['-c', c.load, process.execPath, ...args] : args;
  return new Promise((resolve, reject) => {
    const proc = spawn(command, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (d) => { out += d; });
    proc.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`load.js exited with ${code}`))));
  });
}

/** wrk's latency text ("1.23ms", "850.00us", "1.02s") in milliseconds. */
function wrkMs(text) {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 'ms' ? v : m[2] === 's' ? v * 1000 : v * 60_000;
}

/**
 * Runs wrk (the Debian package) pinned to the load core: one thread, `connections` connections,
 * `duration` seconds, with the method, headers and body given (through a Lua script). Resolves with
 * requests per second, p50/p99 latency (ms), and the non-2xx/3xx and socket-error counts.
 */
function runWrk(options) {
  const c = cores();
  const lua = path.join(os.tmpdir(), `pd-bench-${process.pid}-${randomBytes(4).toString('hex')}.lua`);
  const q = (v) => JSON.stringify(String(v)); // a JSON string is a valid Lua string literal here (ASCII)
  const lines = [`wrk.method = ${q(options.method || 'GET')}`];
  if (options.body !== undefined) lines.push(`wrk.body = ${q(options.body)}`);
  for (const [k, v] of Object.entries(options.headers || {})) lines.push(`wrk.headers[${q(k)}] = ${q(v)}`);
  fs.writeFileSync(lua, `${lines.join('\n')}\n`);
  const wrkArgs = ['-t1', `-c${options.connections || 32}`, `-d${options.duration || 10}s`, '--latency', '--timeout', '30s', '-s', lua, options.url];
  const command = c.taskset ? 'taskset' : 'wrk';
  const argv = c.taskset ? ['-c', c.load, 'wrk', ...wrkArgs] : wrkArgs;
  return new Promise((resolve, reject) => {
    const proc = spawn(command, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (d) => { out += d; });
    proc.once('exit', (code) => {
      fs.rmSync(lua, { force: true });
      if (code !== 0) return reject(new Error(`wrk exited with ${code}: ${out}`));
      const num = (re) => { const m = re.exec(out); return m ? Number(m[1]) : 0; };
      const lat = (pct) => { const m = new RegExp(`^\\s+${pct}%\\s+(\\S+)`, 'm').exec(out); return m ? wrkMs(m[1]) : NaN; };
      const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
      resolve({
        requestsPerSec: num(/Requests\/sec:\s+([\d.]+)/),
        total: num(/(\d+) requests in/),
        latencyP50: lat(50),
        latencyP99: lat(99),
        non2xx: num(/Non-2xx or 3xx responses: (\d+)/),
        errors: socket ? Number(socket[1]) + Number(socket[2]) + Number(socket[3]) : 0,
        timeouts: socket ? Number(socket[4]) : 0,
      });
    });
  });
}

/** The load generator: wrk (default), or autocannon with BENCH_LOAD=autocannon or for a fixed `amount`. */
function runLoad(options) {
  if (options.amount || process.env.BENCH_LOAD === 'autocannon') return runAutocannon(options);
  return runWrk(options);
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function machine() {
  let free = '';
  try {
    free = execFileSync('free', ['-h'], { encoding: 'utf8' }).split('\n')[1].replace(/\s+/g, ' ').trim();
  } catch {
    free = `${Math.round(os.totalmem() / 2 ** 30)} GiB`;
  }
  const c = cores();
  return { nproc: c.n, memory: free, node: process.version, cpu: os.cpus()[0] && os.cpus()[0].model, pinned: c.taskset ? `server on core ${c.server}, load on core ${c.load}` : 'not pinned' };
}

const SAMPLE_BODY = JSON.stringify({
  FeedName: 'DefaultNuGet',
  Application: 'ProfitCalc',
  Description: 'Deployed by Custom Release Server',
  Target: 'web-01',
  PackageName: 'Newtonsoft.Json',
  Version: '12.0.3',
});
const API_KEY = 'bench-key-0123456789';

module.exports = { ROOT, POSTGRES_URL, cores, freshDatabase, knexFor, startServer, runLoad, runWrk, runAutocannon, median, machine, SAMPLE_BODY, API_KEY };
