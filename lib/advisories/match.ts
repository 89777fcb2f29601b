/**
 * Matching advisories against what is running now: for each affected package, each feed of its
 * ecosystem, the current record of every target whose version is affected, by the OSV specification's
 * evaluation (`IncludedInVersions || IncludedInRanges`, `BeforeLimits`, events sorted by version, `"0"`
 * before every version, `"*"` limits unbounded). The store narrows the candidates by index (package key,
 * version-key intervals derived from the events); the evaluation below decides on each candidate.
 */
import { SCHEME_KEYS } from '../versions/keys';
import { intersectIntervals } from '../versions/key-intervals';
import { parseVersionRange, VERSION_SCHEMES } from '../versions/registry';
import type { DeploymentRecord, DeploymentStore, KeyInterval, VersionScheme } from '../types';
import { ECOSYSTEM_SCHEMES, recordNameOf } from './ecosystems';
import type { Advisory, AffectedPackage, OsvRange } from './osv';

/** One target running an affected version now. */
export interface AdvisoryMatch {
  advisory: string;
  aliases: string[];
  feed: string;
  group?: string;
  package: string;
  version: string;
  target: string;
  /** When this version was deployed there (the current record's date). */
  since: Date;
  user: string;
  application: string;
  /** The first fixed version of the matching range, when it has one. */
  fixed?: string;
  /** The current record's id. */
  recordId: string;
}

/** Something in an advisory that could not be evaluated (never guessed). */
export interface AdvisoryReport {
  advisory: string;
  /** JSON path of the affected package or range. */
  path: string;
  ecosystem?: string;
  package?: string;
  feed?: string;
  problem: string;
}

export interface AdvisoryAnswer {
  matches: AdvisoryMatch[];
  reports: AdvisoryReport[];
}

/** A feed the matcher may look in. */
export interface MatchFeed {
  feed: string;
  ecosystem: string;
  scheme: VersionScheme;
}

/** The store methods the matcher uses: `currentOfPackage` (the knex store) or, failing that, `list`. */
export type MatchStore = Pick<DeploymentStore, 'list'> & {
  currentOfPackage?(query: { feedName: string; groupName: string; packageName: string; scheme: string; keys?: readonly KeyInterval[] }): Promise<DeploymentRecord[]>;
};

interface Compiled {
  /** Exact evaluation of one version. */
  test(version: string): { affected: boolean; fixed?: string };
  /** Key intervals holding every affected keyed version; `undefined` = no narrowing. */
  keys?: KeyInterval[];
}

const INFINITE = Symbol('infinite');

/** Compiles one OSV range for a scheme; a string is the reason it cannot be evaluated. */
function compileRange(range: OsvRange, scheme: VersionScheme): Compiled | string {
  for (const e of range.events) {
    if (e.kind === 'introduced' && e.version === '0') continue;
    if (e.kind === 'limit' && e.version.includes('*')) continue;
    if (!scheme.isValid(e.version)) return `${e.kind} "${e.version}" is not a ${scheme.name} version`;
  }
  const at = (e: { kind: string; version: string }) => (e.kind === 'introduced' && e.version === '0' ? -Infinity : 0);
  const events = range.events
    .filter((e) => e.kind !== 'limit')
    .slice()
    .sort((a, b) => {
      const za = at(a);
      const zb = at(b);
      if (za !== zb) return za - zb;
      return za === -Infinity ? 0 : scheme.compare(a.version, b.version);
    });
  const limits = range.events.filter((e) => e.kind === 'limit').map((e) => (e.version.includes('*') ? INFINITE : e.version));
  const beforeLimits = (v: string) => limits.length === 0 || limits.some((l) => l === INFINITE || scheme.compare(v, l as string) < 0);
  const test = (v: string) => {
    if (!scheme.isValid(v) || !beforeLimits(v)) return { affected: false };
    let vulnerable = false;
    for (const e of events) {
      if (e.kind === 'introduced' && (e.version === '0' || scheme.compare(v, e.version) >= 0)) vulnerable = true;
      else if (e.kind === 'fixed' && scheme.compare(v, e.version) >= 0) vulnerable = false;
      else if (e.kind === 'last_affected' && scheme.compare(v, e.version) > 0) vulnerable = false;
    }
    if (!vulnerable) return { affected: false };
    const fixed = events.find((e) => e.kind === 'fixed' && scheme.compare(e.version, v) > 0)?.version;
    return fixed === undefined ? { affected: true } : { affected: true, fixed };
  };
  const key = VERSION_SCHEMES[scheme.name] === scheme ? SCHEME_KEYS[scheme.name] : undefined;
  if (!key) return { test };
  // The intervals the timeline describes: [introduced, fixed) and [introduced, last_affected].
  const intervals: KeyInterval[] = [];
  let open: KeyInterval | undefined;
  let widen = false;
  for (const e of events) {
    const k = e.kind === 'introduced' && e.version === '0' ? '' : key(e.version);
    if (k === undefined) widen = true;
    if (e.kind === 'introduced' && !open) open = k ? { from: k, fromInclusive: true } : {};
    else if ((e.kind === 'fixed' || e.kind === 'last_affected') && open) {
      if (k !== undefined) intervals.push({ ...open, to: k, toInclusive: e.kind === 'last_affected' });
      else intervals.push(open);
      open = undefined;
    }
  }
  if (open) intervals.push(open);
  if (widen) return { test };
  let keys = intervals;
  if (limits.length > 0 && !limits.includes(INFINITE)) {
    const lk = limits.map((l) => key(l as string));
    if (!lk.includes(undefined)) {
      const max = (lk as string[]).reduce((a, b) => (a > b ? a : b));
      keys = intersectIntervals(keys, [{ to: max, toInclusive: false }]);
    }
  }
  return { test, keys };
}

function compileVersions(versions: string[], scheme: VersionScheme): Compiled {
  const key = VERSION_SCHEMES[scheme.name] === scheme ? SCHEME_KEYS[scheme.name] : undefined;
  const keys: KeyInterval[] = [];
  let widen = !key;
  for (const v of versions) {
    const k = key?.(v);
    if (k === undefined) widen = true;
    else keys.push({ from: k, fromInclusive: true, to: k, toInclusive: true });
  }
  return {
    // IncludedInVersions: v == version (as the scheme compares, so NuGet 1.0 = 1.0.0; or the same text).
    test: (v) => ({ affected: versions.some((x) => x === v || (scheme.isValid(x) && scheme.isValid(v) && scheme.compare(v, x) === 0)) }),
    keys: widen ? undefined : keys,
  };
}

function union(parts: Compiled[]): KeyInterval[] | undefined {
  const out: KeyInterval[] = [];
  for (const p of parts) {
    if (!p.keys) return undefined;
    out.push(...p.keys);
  }
  return out;
}

async function candidates(store: MatchStore, feed: MatchFeed, affected: AffectedPackage, keys: KeyInterval[] | undefined): Promise<DeploymentRecord[]> {
  const { group, name } = recordNameOf(affected.ecosystem, affected.name);
  if (store.currentOfPackage) {
    return store.currentOfPackage({ feedName: feed.feed, groupName: group, packageName: name, scheme: feed.scheme.name, ...(keys ? { keys } : {}) });
  }
  // A store of your own: its `list` with `current`, the name as written.
  const out: DeploymentRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.list({ feedName: feed.feed, groupName: group, packageName: name, current: true, limit: 1000, cursor });
    out.push(...page.records);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

/**
 * Matches advisories against the current records of the given feeds (the caller's viewable ones).
 * Ecosystems no feed holds, GIT ranges and versions a scheme cannot read are reported, not guessed.
 */
export async function matchAdvisories(store: MatchStore, feeds: readonly MatchFeed[], advisories: readonly Advisory[]): Promise<AdvisoryAnswer> {
  const matches: AdvisoryMatch[] = [];
  const reports: AdvisoryReport[] = [];
  for (const advisory of advisories) {
    const seen = new Set<string>();
    for (const affected of advisory.affected) {
      const where = { advisory: advisory.id, path: affected.path, ecosystem: affected.ecosystem, package: affected.name };
      const inFeeds = feeds.filter((f) => f.ecosystem === affected.ecosystem);
      if (inFeeds.length === 0) {
        const known = ECOSYSTEM_SCHEMES[affected.ecosystem] !== undefined;
        reports.push({ ...where, problem: known ? `no feed you may read holds the ${affected.ecosystem} ecosystem (the router's ecosystems option)` : `ecosystem "${affected.ecosystem}" is not one this server maps feeds to (NuGet, npm, Maven, PyPI)` });
        continue;
      }
      for (const range of affected.ranges) {
        if (range.type === 'GIT') reports.push({ ...where, path: range.path, problem: 'GIT ranges need the repository\'s commit graph; not evaluated (the versions list is used)' });
      }
      for (const feed of inFeeds) {
        const parts: Compiled[] = [];
        for (const range of affected.ranges) {
          if (range.type === 'GIT') continue;
          // SEMVER ranges compare as SemVer 2.0 whatever the feed's scheme; ECOSYSTEM ranges as the feed's scheme.
          const scheme = range.type === 'SEMVER' ? (feed.scheme.name === 'semver' ? feed.scheme : VERSION_SCHEMES.semver!) : feed.scheme;
          const compiled = compileRange(range, scheme);
          if (typeof compiled === 'string') reports.push({ ...where, path: range.path, feed: feed.feed, problem: compiled });
          else parts.push(scheme === feed.scheme ? compiled : { test: compiled.test });
        }
        if (affected.versions.length > 0) parts.push(compileVersions(affected.versions, feed.scheme));
        if (affected.range !== undefined) {
          try {
            const r = parseVersionRange(feed.scheme, affected.range);
            parts.push({ test: (v) => ({ affected: r.test(v) }), ...(r.keys ? { keys: [...r.keys] } : {}) });
          } catch (err) {
            reports.push({ ...where, path: `${affected.path}.range`, feed: feed.feed, problem: (err as Error).message.replace(/^range: /, '') });
          }
        }
        if (parts.length === 0) continue;
        const records = await candidates(store, feed, affected, union(parts));
        for (const record of records) {
          let hit: { affected: boolean; fixed?: string } = { affected: false };
          for (const p of parts) {
            const r = p.test(record.version);
            if (r.affected && (!hit.affected || (hit.fixed === undefined && r.fixed !== undefined))) hit = r;
          }
          if (!hit.affected || seen.has(record.id)) continue;
          seen.add(record.id);
          matches.push({
            advisory: advisory.id,
            aliases: advisory.aliases,
            feed: record.feedName,
            ...(record.groupName ? { group: record.groupName } : {}),
            package: record.packageName,
            version: record.version,
            target: record.target,
            since: record.date,
            user: record.userName,
            application: record.application,
            ...(hit.fixed !== undefined ? { fixed: hit.fixed } : {}),
            recordId: record.id,
          });
        }
      }
    }
  }
  return { matches, reports };
}
