// Benchmark (issue 10): advisories and ranges in the database, over HTTP, with another client's requests
// timed meanwhile; side by side with the JavaScript filtering ranges had before version keys.
//
// Data: the bench:history set (1,000,000 records: 10,000 packages on NuGet, npm and Maven feeds, 20 targets
// and 5 deployments each) plus one NuGet package with 100,000 records (2,000 targets x 50 deployments).
// Server: createDeploymentRouter() on the embedded SQLite store (its worker thread), on 127.0.0.1.
//
//   npm run bench:advisories
//   BENCH_RECORDS=100000 BENCH_BIG=10000 BENCH_RUNS=20 npm run bench:advisories   (a small run)
//
// Goals: one advisory < 20 ms median; 1,000 advisories < 5 s; range= on the 100,000-record package
// < 20 ms median; no other request waits more than 50 ms while they run.
'use strict';
const { mkdtempSync, rmSync, statSync } = require('node:fs');
const { tmpdir, cpus, totalmem } = require('node:os');
const { join } = require('node:path');
const Database = require('better-sqlite3');
const express = require('express');
const {
  anonymousAuth, createDeploymentRouter, createKnexStore, createSqliteKnex, migrateDeploymentStore, parseVersionRange,
  matchAdvisories, readAdvisories, nugetScheme, VERSION_SCHEMES, DEPLOYMENTS_TABLE, CURRENT_TABLE, rebuildCurrentRecords,
} = require('..');

const RECORDS = Number(process.env.BENCH_RECORDS || 1_000_000);
const BIG = Number(process.env.BENCH_BIG || 100_000);
const RUNS = Number(process.env.BENCH_RUNS || 100);
const BASELINE_RUNS = Number(process.env.BENCH_BASELINE_RUNS || 5);
const PACKAGES = Math.max(30, Math.round(RECORDS / 100));
const TARGETS = 5_000;
const FEEDS = [
  { name: 'DefaultNuGet', scheme: 'nuget', ecosystem: 'NuGet', group: () => '' },
  { name: 'npm-packages', scheme: 'npm', ecosystem: 'npm', group: (p) => `@scope${p % 50}` },
  { name: 'maven-releases', scheme: 'maven', ecosystem: 'Maven', group: (p) => `org.example.group${p % 50}` },
];
const SCHEMES = Object.fromEntries(FEEDS.map((f) => [f.name, f.scheme]));
const BIG_PACKAGE = 'Big.Package';
const BIG_TARGETS = Math.max(1, Math.round(BIG / 50));

function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const packageOf = (p) => ({ feed: FEEDS[p % FEEDS.length], group: FEEDS[p % FEEDS.length].group(p), name: `Package.${p}` });
const versionsOf = (p) => Array.from({ length: 5 }, (_, v) => `${1 + (p % 7)}.${v}.${(p + v) % 4}`);
const bigVersion = (j) => `1.${Math.floor(j / 10)}.${j % 10}`; // 1.0.0 ... 1.4.9

function load(filename, keys) {
  const db = new Database(filename);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -262144');
  const insert = db.prepare(`insert into ${DEPLOYMENTS_TABLE} (feed_name, group_name, package_name, version, application, description, target, user_name, url, deployed_at, received_at, version_key, package_key) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const rand = prng(42);
  const start = Date.UTC(2022, 0, 1);
  const span = 2 * 365 * 24 * 3600 * 1000;
  const row = (feed, group, name, v, target, k, when) =>
    insert.run(feed, group, name, v, k % 2 ? 'Octopus' : 'BuildMaster', `Deployed ${name} ${v} to ${target}`, target, `user${k % 10}`, null, when, when, keys.versionKeyOf(feed, v), keys.packageKeyOf(feed, group, name));
  const loadBatch = db.transaction((from, to) => {
    for (let p = from; p < to; p++) {
      const pkg = packageOf(p);
      const versions = versionsOf(p);
      for (let k = 0; k < 20; k++) {
        const target = `srv-${String((p * 7 + k * 250) % TARGETS).padStart(4, '0')}`;
        let t = start + Math.floor(rand() * span * 0.5);
        for (let j = 0; j < 5; j++) {
          t += 1 + Math.floor(rand() * span * 0.1);
          const v = j === 4 && (p + k) % 3 === 0 ? versions[1] : versions[j];
          row(pkg.feed.name, pkg.group, pkg.name, v, target, k, new Date(t).toISOString());
        }
      }
    }
  });
  const loadBig = db.transaction(() => {
    for (let k = 0; k < BIG_TARGETS; k++) {
      let t = start + Math.floor(rand() * span * 0.2);
      for (let j = 0; j < 50; j++) {
        t += 1 + Math.floor(rand() * span * 0.015);
        // Upgrades, and on one target in five a rollback to an older version last.
        const v = j === 49 && k % 5 === 0 ? bigVersion(20 + (k % 10)) : bigVersion(j);
        row('DefaultNuGet', '', BIG_PACKAGE, v, `big-${String(k).padStart(4, '0')}`, k, new Date(t).toISOString());
      }
    }
  });
  const indexes = db.prepare("select name, sql from sqlite_master where type = 'index' and tbl_name = ? and sql is not null").all(DEPLOYMENTS_TABLE);
  for (const { name } of indexes) db.exec(`drop index "${name}"`);
  for (let p = 0; p < PACKAGES; p += 500) loadBatch(p, Math.min(PACKAGES, p + 500));
  loadBig();
  for (const { sql } of indexes) db.exec(sql);
  db.exec('analyze');
  db.close();
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const p95 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)];
async function time(runs, fn) {
  const ms = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await fn(i);
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return { median: median(ms), p95: p95(ms), max: Math.max(...ms), runs };
}

/** An OSV advisory: `name` in `ecosystem`, affected from `introduced` up to `fixed`. */
const osv = (id, ecosystem, name, introduced, fixed) => ({ id, aliases: [`CVE-${id}`], affected: [{ package: { ecosystem, name }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced }, { fixed }] }] }] });
const ecosystemName = (pkg) => (pkg.feed.ecosystem === 'Maven' ? `${pkg.group}:${pkg.name}` : pkg.feed.ecosystem === 'npm' ? `${pkg.group}/${pkg.name}` : pkg.name);

/** 1,000 advisories as an OSV export slice: most about packages deployed here, some about others. */
function advisorySlice(n) {
  const rand = prng(9);
  const out = [];
  for (let i = 0; i < n; i++) {
    if (i % 5 === 4) { out.push(osv(`NOT-HERE-${i}`, 'npm', `not-deployed-${i}`, '0', '1.0.0')); continue; }
    const p = Math.floor(rand() * PACKAGES);
    const pkg = packageOf(p);
    out.push(osv(`BENCH-${i}`, pkg.feed.ecosystem, ecosystemName(pkg), '0', versionsOf(p)[3]));
  }
  return out;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'pd-bench-adv-'));
  const file = join(dir, 'advisories.sqlite');
  let server;
  let store;
  try {
    process.stdout.write(`Loading ${RECORDS.toLocaleString('en')} records + ${BIG.toLocaleString('en')} of ${BIG_PACKAGE} (${BIG_TARGETS} targets) into SQLite...\n`);
    const migrator = createSqliteKnex(file);
    await migrateDeploymentStore(migrator);
    const keys = createKnexStore({ knex: migrator, versionSchemes: SCHEMES, migrate: false });
    let t0 = Date.now();
    load(file, keys);
    const loaded = Date.now();
    // Rows loaded around the store: its table of current records is filled from them once.
    await rebuildCurrentRecords(migrator);
    await migrator.raw('analyze ??', [CURRENT_TABLE]);
    await keys.close();
    await migrator.destroy();
    process.stdout.write(`loaded in ${((loaded - t0) / 1000).toFixed(1)} s, current records in ${((Date.now() - loaded) / 1000).toFixed(1)} s; file ${(statSync(file).size / 2 ** 20).toFixed(0)} MiB\n`);

    store = createKnexStore({ filename: file, versionSchemes: SCHEMES });
    const app = express();
    app.use(createDeploymentRouter({ store, auth: anonymousAuth(), feeds: FEEDS.map((f) => f.name), versionSchemes: SCHEMES, advisoryBodyLimit: '50mb' }));
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${server.address().port}/api/package-deployment`;
    const post = async (body) => { const r = await fetch(`${base}/advisories`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }); if (r.status !== 200) throw new Error(`advisories answered ${r.status}: ${await r.text()}`); return r.json(); };
    const get = async (q) => { const r = await fetch(`${base}${q}`); if (r.status !== 200) throw new Error(`${q} answered ${r.status}: ${await r.text()}`); return r.json(); };

    // Another client, all along: a package's history, one request after another; its waits are recorded.
    let others = [];
    let stop = false;
    const other = (async () => {
      const rand = prng(3);
      while (!stop) {
        const p = packageOf(Math.floor(rand() * PACKAGES));
        const t = process.hrtime.bigint();
        await get(`?feed=${p.feed.name}&group=${encodeURIComponent(p.group)}&package=${p.name}&limit=10`);
        others.push(Number(process.hrtime.bigint() - t) / 1e6);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const during = async (fn) => { others = []; const r = await fn(); return { ...r, otherMax: Math.max(0, ...others), otherMedian: others.length ? median(others) : 0, otherCount: others.length }; };

    for (let i = 0; i < 3; i++) await post(osv('WARM', 'NuGet', BIG_PACKAGE, '0', '1.3.0'));
    let found = 0;
    const one = await during(() => time(RUNS, async (i) => { found = (await post(osv(`ONE-${i}`, 'NuGet', BIG_PACKAGE, '1.2.0', '1.3.0'))).matches.length; }));
    const slice = advisorySlice(1000);
    let sliceMatches = 0;
    const thousand = await during(() => time(3, async () => { sliceMatches = (await post(slice)).matches.length; }));
    const rangeQ = `/current?feed=DefaultNuGet&package=${BIG_PACKAGE}&range=${encodeURIComponent('[1.2,1.3)')}&limit=1000`;
    let rangeRows = 0;
    const range = await during(() => time(RUNS, async () => { rangeRows = (await get(rangeQ)).records.length; }));
    const historyQ = `?feed=DefaultNuGet&package=${BIG_PACKAGE}&range=${encodeURIComponent('[1.2,1.3)')}&limit=100`;
    const history = await during(() => time(RUNS, () => get(historyQ)));
    stop = true;
    await other;

    // Side by side: the JavaScript filtering (a range without key intervals, tested on every row), through the
    // store API on the same data (a scheme object of our own has no keys, as every range had before).
    const plainNuget = { ...nugetScheme };
    const jsRange = parseVersionRange(plainNuget, '[1.2,1.3)');
    const jsRangeT = await time(BASELINE_RUNS, () => store.current({ feedName: 'DefaultNuGet', groupName: '', packageName: BIG_PACKAGE, versionRange: jsRange, limit: 1000 }));
    const listOnly = { list: (q) => store.list(q) };
    const nugetFeed = [{ feed: 'DefaultNuGet', ecosystem: 'NuGet', scheme: VERSION_SCHEMES.nuget }];
    const jsOne = await time(BASELINE_RUNS, () => matchAdvisories(listOnly, nugetFeed, readAdvisories(osv('JS', 'NuGet', BIG_PACKAGE, '1.2.0', '1.3.0')).advisories));

    const row = (name, r, goal, extra = '') => `| ${name} | ${r.median.toFixed(2)} ms | ${r.p95.toFixed(2)} ms | ${r.otherMax.toFixed(1)} ms (${r.otherCount} requests) | ${goal} | ${extra} |\n`;
    process.stdout.write('\n| over HTTP | median | p95 | longest wait of another client meanwhile | goal | |\n|---|---|---|---|---|---|\n');
    process.stdout.write(row(`one advisory, ${BIG_PACKAGE} (${found} targets affected)`, one, `< 20 ms: ${one.median < 20 ? 'pass' : 'FAIL'}`));
    process.stdout.write(row(`1,000 advisories (${sliceMatches} affected targets)`, thousand, `< 5 s: ${thousand.median < 5000 ? 'pass' : 'FAIL'}`));
    process.stdout.write(row(`range= on ${BIG_PACKAGE}, running now (${rangeRows} targets)`, range, `< 20 ms: ${range.median < 20 ? 'pass' : 'FAIL'}`));
    process.stdout.write(row(`range= on ${BIG_PACKAGE}, history (100 newest)`, history, `< 20 ms: ${history.median < 20 ? 'pass' : 'FAIL'}`));
    const waits = Math.max(one.otherMax, thousand.otherMax, range.otherMax, history.otherMax);
    process.stdout.write(`\nanother client's longest wait: ${waits.toFixed(1)} ms (goal < 50 ms: ${waits < 50 ? 'pass' : 'FAIL'})\n`);
    process.stdout.write(`\n| JavaScript filtering (store API, ${BASELINE_RUNS} runs) | median | with keys (HTTP) | ratio |\n|---|---|---|---|\n`);
    process.stdout.write(`| range on ${BIG_PACKAGE}, running now | ${jsRangeT.median.toFixed(1)} ms | ${range.median.toFixed(2)} ms | ${(jsRangeT.median / range.median).toFixed(0)}x |\n`);
    process.stdout.write(`| one advisory on ${BIG_PACKAGE} (current rows matched in JS) | ${jsOne.median.toFixed(1)} ms | ${one.median.toFixed(2)} ms | ${(jsOne.median / one.median).toFixed(0)}x |\n`);
    process.stdout.write(`\nnode ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${RECORDS.toLocaleString('en')} + ${BIG.toLocaleString('en')} records\n`);
    if (one.median >= 20 || thousand.median >= 5000 || range.median >= 20 || waits >= 50) process.exitCode = 1;
  } finally {
    if (server) await new Promise((r) => { server.closeAllConnections?.(); server.close(r); });
    if (store) await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
