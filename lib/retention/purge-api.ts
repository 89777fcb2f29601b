/**
 * The retention API: `POST /api/package-deployment/purge` (a dry run unless `"dryRun": false`) and
 * `DELETE /api/package-deployment/{id}`, both needing `Feeds_DeletePackage` on the feed, as ProGet names
 * it. Credentials → the auth adapter decides → the policy, checked (400 naming the field) → store → JSON.
 */
import type { NextFunction, Request, Response } from 'express';
import { Privileges } from '../auth/privileges';
import { DeploymentError, feedNotFound, forbidden, storageError } from '../http/errors';
import { principalOf } from '../read/authorize';
import type { ReadContext } from '../read/context';
import { toWire } from '../read/export';
import { parseDeploymentDate } from '../record/deployment';
import type { Principal, Problem, PurgePolicy } from '../types';
import type { Auditor } from './audit';
import { parseDuration } from './duration';

/** The fields of a purge request body. */
export const PURGE_FIELDS = ['feed', 'group', 'package', 'target', 'keepLatest', 'olderThan', 'before', 'keepPrevious', 'dryRun', 'sampleSize'] as const;

const bad = (problems: Problem[]) => new DeploymentError(400, 'bad_request', problems.map((p) => `${p.field}: ${p.message}`).join('\n'), { problems });

/** Reads a purge request body into a policy (feed not yet resolved); every problem names its field. */
export function purgePolicyOf(body: unknown, now = new Date()): PurgePolicy {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new DeploymentError(400, 'bad_request', 'Send the purge policy as a JSON object, such as {"feed": "DefaultNuGet", "keepLatest": 10}.');
  }
  const input = body as Record<string, unknown>;
  const problems: Problem[] = [];
  for (const name of Object.keys(input)) {
    if (!(PURGE_FIELDS as readonly string[]).includes(name)) problems.push({ field: name.slice(0, 64), message: `unknown field; known ones: ${PURGE_FIELDS.join(', ')}.` });
  }
  const text = (name: string, required = false): string | undefined => {
    const v = input[name];
    if (v === undefined) {
      if (required) problems.push({ field: name, message: 'is required: a purge is scoped to one feed.' });
      return undefined;
    }
    if (typeof v !== 'string' || (v.trim() === '' && name !== 'group')) {
      problems.push({ field: name, message: 'must be a non-empty string.' });
      return undefined;
    }
    return v.trim();
  };
  const bool = (name: string): boolean | undefined => {
    const v = input[name];
    if (v === undefined || typeof v === 'boolean') return v;
    problems.push({ field: name, message: 'must be true or false.' });
    return undefined;
  };
  const policy: PurgePolicy = {};
  const feed = text('feed', true);
  if (feed !== undefined) policy.feedName = feed;
  const group = text('group');
  if (group !== undefined) policy.groupName = group;
  const pkg = text('package');
  if (pkg !== undefined) policy.packageName = pkg;
  const target = text('target');
  if (target !== undefined) policy.target = target;
  if (input.keepLatest !== undefined) {
    if (!Number.isInteger(input.keepLatest) || (input.keepLatest as number) < 1) problems.push({ field: 'keepLatest', message: 'must be a whole number, at least 1 (a target\'s current record is always kept).' });
    else policy.keepLatest = input.keepLatest as number;
  }
  const olderThan = text('olderThan');
  const before = text('before');
  if (olderThan !== undefined && before !== undefined) problems.push({ field: 'olderThan', message: 'give olderThan or before, not both.' });
  else if (olderThan !== undefined) {
    const ms = parseDuration(olderThan);
    if (ms === undefined) problems.push({ field: 'olderThan', message: 'must be a duration such as "90d", "12h", "2w" or "P90D".' });
    else policy.before = new Date(now.getTime() - ms);
  } else if (before !== undefined) {
    const date = parseDeploymentDate(before);
    if (!date) problems.push({ field: 'before', message: 'must be an ISO 8601 date such as 2024-01-01 or 2024-01-01T00:00:00Z.' });
    else policy.before = date;
  }
  if (policy.keepLatest === undefined && policy.before === undefined && !problems.some((p) => ['keepLatest', 'olderThan', 'before'].includes(String(p.field)))) {
    problems.push({ message: 'Say what to drop: keepLatest (records kept per package and target) and/or olderThan ("90d") or before (a date).' });
  }
  const keepPrevious = bool('keepPrevious');
  if (keepPrevious !== undefined) policy.keepPrevious = keepPrevious;
  const dryRun = bool('dryRun');
  policy.dryRun = dryRun !== false;
  if (input.sampleSize !== undefined) {
    if (!Number.isInteger(input.sampleSize) || (input.sampleSize as number) < 0 || (input.sampleSize as number) > 1000) problems.push({ field: 'sampleSize', message: 'must be a whole number from 0 to 1000.' });
    else policy.sampleSize = input.sampleSize as number;
  }
  if (problems.length > 0) throw bad(problems.slice(0, 20));
  return policy;
}

async function authorizeDelete(ctx: ReadContext, principal: Principal | null, feed: string): Promise<void> {
  if (!(await ctx.auth.authorize(principal, Privileges.Delete, feed))) throw forbidden();
}

const nameOf = (p: Principal | null) => p?.name ?? 'Anonymous';

/** `POST /api/package-deployment/purge`. */
export function purgeHandler(ctx: ReadContext, auditor: Auditor) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      const principal = await principalOf(ctx, req);
      const policy = purgePolicyOf(req.body);
      const feed = await ctx.resolveFeed(policy.feedName!);
      if (feed === undefined) throw feedNotFound(policy.feedName!);
      await authorizeDelete(ctx, principal, feed);
      policy.feedName = feed;
      let result;
      try {
        await ctx.initStore();
        result = await auditor.purge(policy, nameOf(principal));
      } catch (err) {
        throw err instanceof DeploymentError ? err : storageError(err, ctx.retryAfterSeconds);
      }
      res.status(200).setHeader('Cache-Control', 'no-store');
      res.json({ ...result, sample: result.sample.map(toWire) });
    } catch (err) {
      next(err);
    }
  };
}

/** `DELETE /api/package-deployment/{id}`. */
export function deleteHandler(ctx: ReadContext, auditor: Auditor, getRecord: ((id: string) => Promise<unknown>) | undefined) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      const principal = await principalOf(ctx, req);
      const id = String(req.params.id);
      if (!/^\d{1,18}$/.test(id)) throw new DeploymentError(400, 'bad_request', 'id: must be a record id, a whole number (the Id of a record the read API answered).');
      if (!getRecord) throw new DeploymentError(501, 'internal', 'This store cannot delete records: it has no getRecord() method (createKnexStore() has one).');
      let record;
      try {
        await ctx.initStore();
        record = (await getRecord(id)) as { feedName: string } | undefined;
      } catch (err) {
        throw storageError(err, ctx.retryAfterSeconds);
      }
      if (!record) throw new DeploymentError(404, 'not_found', `No record has id ${id}.`);
      await authorizeDelete(ctx, principal, record.feedName);
      let deleted;
      try {
        deleted = await auditor.deleteRecord(id, nameOf(principal));
      } catch (err) {
        throw err instanceof DeploymentError ? err : storageError(err, ctx.retryAfterSeconds);
      }
      if (!deleted) throw new DeploymentError(404, 'not_found', `No record has id ${id}.`);
      res.status(200).setHeader('Cache-Control', 'no-store');
      res.json(toWire(deleted));
    } catch (err) {
      next(err);
    }
  };
}
