/**
 * Child process of sqlite-worker.test.ts: uses the default (embedded SQLite) store through every method,
 * then prints whether this thread ever loaded better-sqlite3 and how long the event loop was stopped at
 * most while a slow range query ran in the worker.
 */
import { createKnexStore, parseVersionRange, validateDeployment } from '../../lib';

async function main(): Promise<void> {
  const store = createKnexStore({ filename: process.env.PD_TEST_FILE! });
  const deployments = Array.from({ length: 20_000 }, (_, i) => {
    const r = validateDeployment({ FeedName: 'npm', PackageName: 'big', Version: `1.${i % 500}.${i}`, Application: 'a', Description: '', Target: `t-${i}` });
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    return r.deployment;
  });
  for (let i = 0; i < deployments.length; i += 5000) await store.record(deployments.slice(i, i + 5000));
  const range = parseVersionRange('semver', Array.from({ length: 64 }, (_, i) => `1.${i}.${i}`).join(' || '));
  let worst = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  }, 5);
  const counted = await store.count!({ feedName: 'npm', packageName: 'big', versionRange: range });
  let streamed = 0;
  for await (const _ of store.stream!({ feedName: 'npm' })) streamed++;
  clearInterval(timer);
  const page = await store.list({ feedName: 'npm', limit: 3 });
  await store.close();
  const loaded = Object.keys(require.cache).some((k) => k.includes('better-sqlite3'));
  process.stdout.write(`${JSON.stringify({ counted, streamed, page: page.records.length, loaded, worst })}\n`);
}

main().catch((err) => {
  process.stderr.write(String(err?.stack ?? err));
  process.exit(1);
});
