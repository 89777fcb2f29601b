/**
 * Many instances: two server processes on one database (a fresh PostgreSQL schema, and likewise a MariaDB
 * database and an SQLite file), started together (so they also migrate at once), with requests posted to
 * both concurrently. Every 200 is stored exactly once, nothing else is stored, and both instances read
 * back the same records.
 *
 * Reading back goes through each instance's own read API (an NDJSON export of the feed).
 */
import { createTestDatabase, databaseIds } from './helpers/databases';
import { CHILD_DB_ENV, spawnHelper, type Child } from './helpers/processes';
import { SAMPLE } from './helpers/fixtures';

const KEY = 'two-instances-key';
const VALID = 240;
const INVALID = 30;
const FORBIDDEN = 30;
const CONCURRENCY = 32;

interface Sent {
  kind: 'valid' | 'invalid' | 'forbidden';
  target: string;
  status: number;
}

async function post(url: string, kind: Sent['kind'], target: string): Promise<Sent> {
  const fields: Record<string, string> = { ...SAMPLE, FeedName: 'Products', Target: target, Description: `two instances ${target}` };
  if (kind === 'invalid') delete fields.Application;
  const res = await fetch(`${url}/api/package-deployment/`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-ApiKey': kind === 'forbidden' ? 'not-the-key' : KEY },
    body: JSON.stringify(fields),
  });
  await res.arrayBuffer();
  return { kind, target, status: res.status };
}

describe.each(databaseIds())('two instances on one %s database', (id) => {
  it(`every 200 is stored exactly once, nothing else is, and both instances read the same records`, async () => {
    const db = await createTestDatabase(id);
    const instances: Child[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        instances.push(spawnHelper('instance-server.ts', { [CHILD_DB_ENV]: JSON.stringify(db.connection), PD_TEST_API_KEY: KEY }));
      }
      const urls = (await Promise.all(instances.map((c) => c.next<{ port: number }>()))).map(({ port }) => `http://127.0.0.1:${port}`);

      // Interleave the kinds and alternate the instances, CONCURRENCY requests in flight at a time.
      const jobs: Array<[Sent['kind'], string]> = [];
      for (let i = 0; i < VALID; i++) jobs.push(['valid', `valid-${i}`]);
      for (let i = 0; i < INVALID; i++) jobs.splice(i * 8 + 3, 0, ['invalid', `invalid-${i}`]);
      for (let i = 0; i < FORBIDDEN; i++) jobs.splice(i * 9 + 5, 0, ['forbidden', `forbidden-${i}`]);
      const sent: Sent[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < jobs.length) {
            const n = next++;
            const [kind, target] = jobs[n]!;
            sent.push(await post(urls[n % 2]!, kind, target));
          }
        }),
      );
      expect(sent).toHaveLength(VALID + INVALID + FORBIDDEN);
      const unexpected = sent.filter((s) => s.status !== { valid: 200, invalid: 400, forbidden: 403 }[s.kind]);
      expect(unexpected).toEqual([]);
      const ok = sent.filter((s) => s.status === 200).map((s) => s.target).sort();

      const [a, b] = await Promise.all(
        urls.map(async (url) => {
          const res = await fetch(`${url}/api/package-deployment?feed=Products&format=ndjson`, { headers: { 'X-ApiKey': KEY } });
          expect(res.status).toBe(200);
          const lines = (await res.text()).split('\n').filter((line) => line !== '');
          return lines.map((line) => JSON.parse(line) as { Id: string; Target: string }).map((r) => ({ id: r.Id, target: r.Target }));
        }),
      );
      // Exactly the 200s, each once.
      expect(a!.map((r) => r.target).sort()).toEqual(ok);
      expect(new Set(a!.map((r) => r.id)).size).toBe(ok.length);
      // Both instances agree, record for record and in the same order.
      expect(b).toEqual(a);
      // And the table itself holds nothing else.
      const [{ n }] = await db.knex('package_deployments').count({ n: '*' });
      expect(Number(n)).toBe(VALID);

      expect(await Promise.all(instances.map((c) => c.stop()))).toEqual([0, 0]);
      expect(instances.map((c) => c.stderr())).toEqual(['', '']);
    } finally {
      await Promise.all(instances.map((c) => c.stop()));
      await db.destroy();
    }
  }, 90_000);
});
