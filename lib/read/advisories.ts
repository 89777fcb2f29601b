/**
 * `POST /api/package-deployment/advisories`: which targets run an affected version now. The body is OSV
 * (one advisory, an array, or `{ "vulns": [...] }`) or `{ "purl", "range" }`; the answer is JSON
 * (`{ matches, reports }`), CSV or NDJSON (`format=` or Accept), each match naming the advisory and its
 * aliases, feed, group, package, version, target, since when, who and which application deployed it, and
 * the first fixed version. Same privilege as the read API: `Feeds_ViewPackage`, per feed; feeds the caller
 * may not view are not searched.
 */
import bodyParser from 'body-parser';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { Privileges } from '../auth/privileges';
import { DeploymentError, forbidden, formatProblems } from '../http/errors';
import { matchAdvisories, type AdvisoryAnswer, type AdvisoryMatch, type AdvisoryReport, type MatchFeed, type MatchStore } from '../advisories/match';
import { readAdvisories } from '../advisories/osv';
import { csvCell } from './export';
import { principalOf } from './authorize';
import type { ReadContext } from './context';
import { negotiateFormat } from './parameters';
import type { Principal } from '../types';

/** What the advisory handlers need besides the read context. */
export interface AdvisoryContext extends ReadContext {
  /** The ecosystem of a feed, or `undefined`. */
  ecosystemOf(feed: string): string | undefined;
  /** Feeds the configuration names (the feed list, `versionSchemes`, `ecosystems`). */
  knownFeeds: readonly string[];
}

export const ADVISORY_COLUMNS = ['Advisory', 'Aliases', 'FeedName', 'GroupName', 'PackageName', 'Version', 'Target', 'Since', 'UserName', 'Application', 'FixedVersion'] as const;

/** A match as the wire writes it (dates as ISO 8601 text). */
export function matchToWire(m: AdvisoryMatch): Record<string, unknown> {
  return {
    advisory: m.advisory,
    aliases: m.aliases,
    feed: m.feed,
    group: m.group ?? null,
    package: m.package,
    version: m.version,
    target: m.target,
    since: m.since.toISOString(),
    user: m.user,
    application: m.application,
    fixed: m.fixed ?? null,
  };
}

export function advisoryCsv(answer: AdvisoryAnswer): string {
  const lines = [ADVISORY_COLUMNS.join(',')];
  for (const m of answer.matches) {
    lines.push([m.advisory, m.aliases.join(' '), m.feed, m.group ?? '', m.package, m.version, m.target, m.since.toISOString(), m.user, m.application, m.fixed ?? ''].map((v) => csvCell(v)).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** The feeds the caller may view, with their ecosystems and schemes. */
export async function viewableFeeds(ctx: AdvisoryContext, principal: Principal | null): Promise<MatchFeed[]> {
  const out: MatchFeed[] = [];
  const seen = new Set<string>();
  let candidates = 0;
  for (const name of ctx.knownFeeds) {
    const feed = await ctx.resolveFeed(name);
    if (feed === undefined || seen.has(feed.toLowerCase())) continue;
    seen.add(feed.toLowerCase());
    const ecosystem = ctx.ecosystemOf(feed);
    if (ecosystem === undefined) continue;
    candidates++;
    if (!(await ctx.auth.authorize(principal, Privileges.View, feed))) continue;
    out.push({ feed, ecosystem, scheme: ctx.schemeFor(feed) });
  }
  // As the read API: a caller who may view none of the feeds is refused, not told "nothing affected".
  if (candidates > 0 && out.length === 0) throw forbidden();
  return out;
}

/** Reads advisories from a parsed body, or throws the 400 naming each JSON path. */
export function advisoriesFromBody(body: unknown) {
  const read = readAdvisories(body);
  if (read.problems) throw new DeploymentError(400, 'bad_query', formatProblems(read.problems), { problems: read.problems });
  return read.advisories;
}

/** Runs the matcher for a caller. */
export async function answerAdvisories(ctx: AdvisoryContext, principal: Principal | null, body: unknown): Promise<AdvisoryAnswer> {
  const advisories = advisoriesFromBody(body);
  await ctx.initStore();
  const feeds = await viewableFeeds(ctx, principal);
  return matchAdvisories(ctx.store as MatchStore, feeds, advisories);
}

function jsonBody(limit: number | string): RequestHandler {
  return bodyParser.json({ limit, strict: false, type: () => true });
}

/** The handlers of `POST {RECORD_PATH}/advisories`. */
export function advisoryHandlers(ctx: AdvisoryContext, bodyLimit: number | string): RequestHandler[] {
  const guard = (req: Request, _res: Response, next: NextFunction) => {
    const type = String(req.headers['content-type'] ?? 'application/json').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json' && !/^application\/[\w.-]+\+json$/.test(type)) {
      next(new DeploymentError(415, 'unsupported_media_type', `Content-Type "${type}" is not supported: send the advisories as application/json.`));
      return;
    }
    next();
  };
  const handler = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      const raw = req.query.format;
      let explicit: 'json' | 'csv' | 'ndjson' | undefined;
      if (raw !== undefined) {
        if (raw !== 'json' && raw !== 'csv' && raw !== 'ndjson') throw new DeploymentError(400, 'bad_query', 'format: must be json, csv or ndjson.');
        explicit = raw;
      }
      const format = negotiateFormat(req, explicit);
      const principal = await principalOf(ctx, req);
      const answer = await answerAdvisories(ctx, principal, req.body);
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('X-Advisory-Reports', String(answer.reports.length));
      if (format === 'json') {
        res.status(200).json({ matches: answer.matches.map(matchToWire), reports: answer.reports });
      } else if (format === 'csv') {
        res.status(200).type('text/csv; charset=utf-8').setHeader('Content-Disposition', 'attachment; filename="affected-targets.csv"');
        res.end(advisoryCsv(answer));
      } else {
        res.status(200).type('application/x-ndjson; charset=utf-8');
        res.end(answer.matches.map((m) => `${JSON.stringify(matchToWire(m))}\n`).join('') + answer.reports.map((r: AdvisoryReport) => `${JSON.stringify({ report: r })}\n`).join(''));
      }
    } catch (err) {
      next(err);
    }
  };
  return [guard, jsonBody(bodyLimit), handler];
}
