// Benchmark: a package's history and "where is it running now" with a version range, over 1,000,000
// records (10,000 packages, 5,000 targets, several versions each) in SQLite, through the store's own
// methods; then the same queries on an index-less copy of the same data (a full scan), and the ratio.
//
//   npm run bench:history            (builds first; uses the built package in dist/)
//   BENCH_RECORDS=200000 npm run bench:history   (a smaller run)
'use strict';
const { mkdtempSync, rmSync, statSync } = require('node:fs');
const { tmpdir, cpus, totalmem } = require('node:os');
const { join } = require('node:path');
const Database = require('better-sqlite3');
const { createKnexStore, createSqliteKnex, migrateDeploymentStore, parseVersionRange, rebuildCurrentRecords, CURRENT_TABLE, DEPLOYMENTS_TABLE } = require('..');

const RECORDS = Number(process.env.BENCH_RECORDS || 1_000_000);
const PACKAGES = 10_000;
const TARGETS = 5_000;
const VERSIONS = 5; // versions per package
const PER_PACKAGE = RECORDS / PACKAGES; // 100: 20 targets x 5 deployments
const TARGETS_PER_PACKAGE = PER_PACKAGE / VERSIONS;
const RUNS = Number(process.env.BENCH_RUNS || 300);
const BASELINE_RUNS = Number(process.env.BENCH_BASELINE_RUNS || 5);
const GOAL_MS = 20;
const FEEDS = [
  { name: 'DefaultNuGet', scheme: 'nuget', group: () => '' },
  { name: 'npm-packages', scheme: 'npm', group: (p) => `scope${p % 50}` },
  { name: 'maven-releases', scheme: 'maven', group: (p) => `org.example.group${p % 50}` },
];

// A small deterministic PRNG (mulberry32), so that every run loads the same data.
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
const versionsOf = (p) => Array.from({ length: VERSIONS }, (_, v) => `${1 + (p % 7)}.${v}.${(p + v) % 4}`);

function load(filename) {
  const db = new Database(filename);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF'); // loading only; the store itself runs with synchronous = FULL
  db.pragma('cache_size = -262144'); // 256 MiB while building the indexes
  const insert = db.prepare(`insert into ${DEPLOYMENTS_TABLE} (feed_name, group_name, package_name, version, application, description, target, user_name, url, deployed_at, received_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const rand = prng(42);
  const start = Date.UTC(2022, 0, 1);
  const span = 2 * 365 * 24 * 3600 * 1000;
  const loadBatch = db.transaction((from, to) => {
    for (let p = from; p < to; p++) {
      const pkg = packageOf(p);
      const versions = versionsOf(p);
      for (let k = 0; k < TARGETS_PER_PACKAGE; k++) {
        const target = `srv-${String((p * 7 + k * 250) % TARGETS).padStart(4, '0')}`;
        // Five deployments per target in date order: upgrades, and on a third of the targets a rollback last.
        let t = start + Math.floor(rand() * span * 0.5);
        for (let j = 0; j < VERSIONS; j++) {
          t += 1 + Math.floor(rand() * span * 0.1);
          const v = j === VERSIONS - 1 && (p + k) % 3 === 0 ? versions[1] : versions[j];
          const when = new Date(t).toISOString();
          insert.run(pkg.feed.name, pkg.group, pkg.name, v, j % 2 ? 'Octopus' : 'BuildMaster', `Deployed ${pkg.name} ${v} to ${target}`, target, `user${k % 10}`, `https://ci.example/runs/${p}-${k}-${j}`, when, when);
        }
      }
    }
  });
  // Bulk load: set the migrations' indexes aside, insert, then build them again from their own SQL.
  const indexes = db.prepare("select name, sql from sqlite_master where type = 'index' and tbl_name = ? and sql is not null").all(DEPLOYMENTS_TABLE);
  for (const { name } of indexes) db.exec(`drop index "${name}"`);
  const batch = 500; // packages per transaction: 50,000 rows
  for (let p = 0; p < PACKAGES; p += batch) loadBatch(p, Math.min(PACKAGES, p + batch));
  for (const { sql } of indexes) db.exec(sql);
  db.close();
  return indexes.length;
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function time(runs, fn) {
  const ms = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await fn(i);
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return { median: median(ms), p95: [...ms].sort((a, b) => a - b)[Math.floor(ms.length * 0.95)], runs };
}

async function measure(store, runs, label) {
  const rand = prng(7);
  const pick = () => Math.floor(rand() * PACKAGES);
  const nuget = () => { let p; do p = pick(); while (p % FEEDS.length !== 0); return p; };
  // Warm up (page cache, statement cache).
  for (let i = 0; i < 3; i++) await store.list({ feedName: FEEDS[0].name, groupName: '', packageName: packageOf(i * 3).name });
  let rows = 0;
  const history = await time(runs, async () => {
    const p = packageOf(pick());
    const page = await store.list({ feedName: p.feed.name, groupName: p.group, packageName: p.name, limit: 100 });
    rows += page.records.length;
  });
  let matches = 0;
  const running = await time(runs, async () => {
    const n = nuget();
    const p = packageOf(n);
    const versionRange = parseVersionRange('nuget', `<${versionsOf(n)[3]}`);
    const page = await store.current({ feedName: p.feed.name, groupName: p.group, packageName: p.name, versionRange, limit: 1000 });
    matches += page.records.length;
  });
  process.stdout.write(`${label}: history ${history.median.toFixed(2)} ms median (${(rows / runs).toFixed(0)} rows), running now with a range ${running.median.toFixed(2)} ms median (${(matches / runs).toFixed(1)} targets)\n`);
  return { history, running };
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'pd-bench-'));
  const indexedFile = join(dir, 'indexed.sqlite');
  const scanFile = join(dir, 'full-scan.sqlite');
  try {
    process.stdout.write(`Loading ${RECORDS.toLocaleString('en')} records (${PACKAGES.toLocaleString('en')} packages, ${TARGETS.toLocaleString('en')} targets, ${VERSIONS} versions each) into SQLite...\n`);
    const migrator = createSqliteKnex(indexedFile);
    await migrateDeploymentStore(migrator);
    let t0 = Date.now();
    const indexCount = load(indexedFile);
    const loadSeconds = (Date.now() - t0) / 1000;
    // Rows loaded around the store: its table of current records is filled from them once.
    await rebuildCurrentRecords(migrator);
    await migrator.destroy();
    process.stdout.write(`loaded in ${loadSeconds.toFixed(1)} s (${Math.round(RECORDS / loadSeconds).toLocaleString('en')} rows/s, batched inserts in transactions, then the ${indexCount} indexes of the migrations built); file ${(statSync(indexedFile).size / 2 ** 20).toFixed(0)} MiB\n`);

    // The baseline: the same rows with every index and key of the store dropped, so each query scans its table.
    t0 = Date.now();
    const copy = new Database(indexedFile);
    copy.exec(`VACUUM INTO '${scanFile.replace(/'/g, "''")}'`);
    copy.close();
    const scan = new Database(scanFile);
    for (const table of [DEPLOYMENTS_TABLE, CURRENT_TABLE]) {
      for (const { name } of scan.prepare("select name from sqlite_master where type = 'index' and tbl_name = ? and sql is not null").all(table)) scan.exec(`drop index "${name}"`);
    }
    // The current-records table's key is its primary key, which no DROP INDEX removes: the copy gets the
    // same rows in a table without it, so "running now" scans too.
    scan.exec(`create table "pd_current_copy" as select * from "${CURRENT_TABLE}"; drop table "${CURRENT_TABLE}"; alter table "pd_current_copy" rename to "${CURRENT_TABLE}"`);
    scan.close();
    process.stdout.write(`unindexed copy made in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);

    const indexed = createKnexStore({ filename: indexedFile });
    const indexedResult = await measure(indexed, RUNS, `indexed (${RUNS} runs)`);
    await indexed.close();
    const full = createKnexStore({ filename: scanFile, migrate: false });
    const fullResult = await measure(full, BASELINE_RUNS, `full scan (${BASELINE_RUNS} runs)`);
    await full.close();

    const rows = [
      ['history of one package (100 newest)', indexedResult.history, fullResult.history],
      ['running now, current version < x (NuGet range)', indexedResult.running, fullResult.running],
    ];
    process.stdout.write('\n| query | indexed median | indexed p95 | full-scan median | full scan / indexed | goal < 20 ms |\n|---|---|---|---|---|---|\n');
    let ok = true;
    for (const [name, a, b] of rows) {
      const pass = a.median < GOAL_MS;
      ok &&= pass;
      process.stdout.write(`| ${name} | ${a.median.toFixed(2)} ms | ${a.p95.toFixed(2)} ms | ${b.median.toFixed(1)} ms | ${(b.median / a.median).toFixed(0)}x | ${pass ? 'pass' : 'FAIL'} |\n`);
    }
    process.stdout.write(`\nnode ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${RECORDS.toLocaleString('en')} records\n`);
    if (!ok) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
