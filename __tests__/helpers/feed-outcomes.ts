/** Waits for what the feed middleware reports, instead of sleeping: every download with headers ends in one outcome. */
import type { EventEmitter } from 'node:events';
import request from 'supertest';
import type { Express } from 'express';
import { DEPLOYED_EVENT, LOST_EVENT, SKIPPED_EVENT, type DeployedContext, type DeploymentRecord, type LostDeployments, type SkippedDeployment } from '../../lib';

export interface Outcomes {
  deployed: Array<{ record: DeploymentRecord; context: DeployedContext }>;
  skipped: SkippedDeployment[];
  lost: LostDeployments[];
  /** Resolves once `n` outcomes in all (deployed records, skips, lost records) have been seen. */
  settled(n: number): Promise<void>;
}

export function watchOutcomes(events: EventEmitter): Outcomes {
  const outcomes: Outcomes = {
    deployed: [],
    skipped: [],
    lost: [],
    settled: (n) => new Promise<void>((resolve) => {
      const check = () => {
        if (count() >= n) {
          waiters.delete(check);
          resolve();
        }
      };
      waiters.add(check);
      check();
    }),
  };
  const waiters = new Set<() => void>();
  const count = () => outcomes.deployed.length + outcomes.skipped.length + outcomes.lost.reduce((n, l) => n + l.deployments.length, 0);
  const notify = () => [...waiters].forEach((w) => w());
  events.on(DEPLOYED_EVENT, (record: DeploymentRecord, context: DeployedContext) => { outcomes.deployed.push({ record, context }); notify(); });
  events.on(SKIPPED_EVENT, (info: SkippedDeployment) => { outcomes.skipped.push(info); notify(); });
  events.on(LOST_EVENT, (lost: LostDeployments) => { outcomes.lost.push(lost); notify(); });
  return outcomes;
}

export interface Download {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** A download, with the body as raw bytes. */
export async function download(app: Express, url: string, headers: Record<string, string> = {}, method: 'get' | 'head' = 'get'): Promise<Download> {
  const res = await request(app)[method](url)
    .set(headers)
    .buffer(true)
    .parse((response, done) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('end', () => done(null, Buffer.concat(chunks)));
    });
  const { date: _date, ...rest } = res.headers as Record<string, string>;
  return { status: res.status, headers: rest, body: Buffer.isBuffer(res.body) ? res.body : Buffer.alloc(0) };
}
