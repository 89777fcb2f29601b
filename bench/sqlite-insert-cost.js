'use strict';
/**
 * What SQLite itself costs per record, with no library code in the loop: the store's schema (created by
 * its migrations), then the same prepared INSERT and current-records upsert the embedded store's writer
 * thread runs, through better-sqlite3 directly, in transactions of BENCH_BATCH rows, WAL,
 * `synchronous=FULL`. Prints the process CPU time (user + system) per record.
 *
 * It bounds what any write path on the embedded store can reach: the feed benchmark's 0.9x goal leaves about
 * 15 µs per recorded download for everything (bench/README.md, "Feed downloads").
 *
 * Env: BENCH_BATCH (100), BENCH_BATCHES (300 measured, after 200 of warm-up), BENCH_VARIED=1 (records spread
 * over 50 packages and 200 targets instead of the feed benchmark's one package on one target),
 * BENCH_DROP_INDEXES (comma-separated index names to drop first, e.g. to see what one index costs),
 * BENCH_NO_CURRENT=1 (no current-records upsert).
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const Database = require('better-sqlite3');
const lib = require(path.join(__dirname, '..', 'dist'));

const BATCH = Number(process.env.BENCH_BATCH || 100);
const BATCHES = Number(process.env.BENCH_BATCHES || 300);
const VARIED = process.env.BENCH_VARIED === '1';
const DROP = (process.env.BENCH_DROP_INDEXES || '').split(',').filter(Boolean);
const COLUMNS = ['feed_name', 'group_name', 'package_name', 'version', 'application', 'description', 'target', 'user_name', 'url', 'deployed_at', 'received_at', 'version_key', 'package_key', 'uid', 'removed'];

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-sqlite-cost-'));
  const file = path.join(dir, 'cost.db');
  try {
    const store = lib.createKnexStore({ filename: file });
    await store.init();
    await store.close();
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    for (const index of DROP) db.exec(`DROP INDEX "${index}"`);
    const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?").all(lib.DEPLOYMENTS_TABLE).map((r) => r.name);
    const insert = db.prepare(`INSERT INTO "${lib.DEPLOYMENTS_TABLE}" (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')}) ON CONFLICT (uid) DO NOTHING`);
    const current = process.env.BENCH_NO_CURRENT === '1' ? undefined : db.prepare(
      `INSERT INTO "${lib.CURRENT_TABLE}" (feed_name, group_name, package_name, target, record_id, deployed_at, version_key, package_key, removed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ` +
      'ON CONFLICT (feed_name, group_name, package_name, target) DO UPDATE SET record_id = excluded.record_id, deployed_at = excluded.deployed_at, version_key = excluded.version_key, package_key = excluded.package_key, removed = excluded.removed ' +
      `WHERE excluded.deployed_at > "${lib.CURRENT_TABLE}".deployed_at OR (excluded.deployed_at = "${lib.CURRENT_TABLE}".deployed_at AND excluded.record_id > "${lib.CURRENT_TABLE}".record_id)`,
    );
    let n = 0;
    const row = () => {
      n++;
      const at = new Date().toISOString();
      const pkg = VARIED ? `Package${n % 50}` : 'ProGet';
      const target = VARIED ? `server-${n % 200}` : 'web-01';
      return ['Products', 'InedoReleases/sub', pkg, '5.3.38', 'BuildMaster', 'Deployed by Get-Package operation.', target, 'Anonymous', 'https://buildmaster.example/4', at, at, '000005.000003.000038~', `inedoreleases/sub/${pkg.toLowerCase()}`, `cost-${n}`, 0];
    };
    const write = db.transaction((rows) => {
      const latest = new Map();
      for (const r of rows) {
        const id = Number(insert.run(r).lastInsertRowid);
        latest.set(`${r[0]}\u0000${r[1]}\u0000${r[2]}\u0000${r[6]}`, [r[0], r[1], r[2], r[6], id, r[9], r[11], r[12], 0]);
      }
      if (current) for (const c of latest.values()) current.run(c);
    });
    const batch = () => Array.from({ length: BATCH }, row);
    for (let i = 0; i < 200; i++) write(batch());
    const before = process.cpuUsage();
    const started = process.hrtime.bigint();
    for (let i = 0; i < BATCHES; i++) write(batch());
    const cpu = process.cpuUsage(before);
    const wall = Number(process.hrtime.bigint() - started) / 1e3;
    const records = BATCHES * BATCH;
    db.close();
    console.log(JSON.stringify({
      bench: 'sqlite-insert-cost',
      batch: BATCH,
      records,
      varied: VARIED,
      indexes: indexes.length,
      currentUpsert: current !== undefined,
      cpuMicrosPerRecord: Number(((cpu.user + cpu.system) / records).toFixed(1)),
      userMicros: Number((cpu.user / records).toFixed(1)),
      systemMicros: Number((cpu.system / records).toFixed(1)),
      wallMicrosPerRecord: Number((wall / records).toFixed(1)),
    }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
