/**
 * A process with its own TZ (set by the test) that writes or reads deployment records through a knex
 * store whose every connection uses the session time zone PD_TEST_SESSION_ZONE. Used by timezones.test.ts.
 * In: env PD_TEST_CHILD_DB, PD_TEST_SESSION_ZONE, PD_TEST_TZ_JOB = { mode, feed, dates? }.
 * Out: one JSON line: { offset, sessionZone, dates } (ISO strings as this process sees them).
 */
import { createKnexStore } from '../../lib/store/knex-store';
import { validateDeployment } from '../../lib/record/validate';
import { CHILD_DB_ENV } from './processes';
import { knexInZone, sessionZone } from './zones';

interface Job {
  mode: 'write' | 'read';
  feed: string;
  dates?: string[];
  window?: [string, string];
}

async function main(): Promise<void> {
  const job = JSON.parse(process.env.PD_TEST_TZ_JOB!) as Job;
  const knex = knexInZone(JSON.parse(process.env[CHILD_DB_ENV]!), process.env.PD_TEST_SESSION_ZONE || undefined);
  try {
    const store = createKnexStore({ knex });
    const out: Record<string, unknown> = {
      offset: new Date('2024-01-15T00:00:00Z').getTimezoneOffset(),
      sessionZone: await sessionZone(knex),
    };
    if (job.mode === 'write') {
      const inputs = job.dates!.map((date, i) => {
        const result = validateDeployment(
          { Application: 'tz', Description: '', Target: `case-${i}`, FeedName: job.feed, PackageName: 'Pkg', Version: '1.0.0', Date: date },
          { receivedAt: new Date('2024-06-01T12:00:00.000Z') },
        );
        if (!result.ok) throw new Error(JSON.stringify(result.problems));
        return result.deployment;
      });
      out.dates = (await store.record(inputs)).map((r) => r.date.toISOString());
    } else {
      const page = await store.list({ feedName: job.feed, limit: 1000 });
      out.dates = page.records.map((r) => r.date.toISOString());
      out.targets = page.records.map((r) => r.target);
      if (job.window) {
        const w = await store.list({ feedName: job.feed, since: new Date(job.window[0]), until: new Date(job.window[1]) });
        out.window = w.records.map((r) => r.date.toISOString());
      }
    }
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } finally {
    await knex.destroy();
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exitCode = 1;
});
