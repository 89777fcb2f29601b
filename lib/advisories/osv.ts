/**
 * Reading advisories: the OSV format as the GitHub Advisory Database and osv.dev publish it (one object,
 * an array of them, or osv.dev's `{ "vulns": [...] }`), or a package URL with a range
 * (`{ "purl": "pkg:npm/lodash", "range": "vers:npm/<4.17.21", "id": "my-note" }`). Structural mistakes are
 * problems named by JSON path (`$[0].affected[1].ranges[0].events[2]`), answered 400; what is well formed
 * but cannot be evaluated (an ecosystem no feed maps to, a GIT range, a version the scheme cannot read) is
 * reported by the matcher in its answer.
 */
import type { Problem } from '../types';

export type OsvEventKind = 'introduced' | 'fixed' | 'last_affected' | 'limit';

export interface OsvEvent {
  kind: OsvEventKind;
  version: string;
}

export interface OsvRange {
  type: 'SEMVER' | 'ECOSYSTEM' | 'GIT';
  events: OsvEvent[];
  /** JSON path of the range, for reports. */
  path: string;
}

export interface AffectedPackage {
  /** The OSV ecosystem (`npm`, `NuGet`, `Maven`, `PyPI`...), from `package.ecosystem` or the purl. */
  ecosystem: string;
  /** The package name as the ecosystem writes it (`@scope/name`, `groupId:artifactId`). */
  name: string;
  ranges: OsvRange[];
  versions: string[];
  /** A native or `vers:` range (the purl+range form). */
  range?: string;
  path: string;
}

export interface Advisory {
  id: string;
  aliases: string[];
  affected: AffectedPackage[];
  path: string;
}

const PURL_ECOSYSTEMS: Record<string, string> = { npm: 'npm', nuget: 'NuGet', maven: 'Maven', pypi: 'PyPI' };

/** A package URL's ecosystem and name (`pkg:maven/org.apache/log4j-core@2.0` → Maven, `org.apache:log4j-core`). */
export function parsePurl(purl: string): { ecosystem: string; name: string; type: string } | undefined {
  const m = /^pkg:([a-zA-Z][a-zA-Z0-9.+-]*)\/([^@?#]+)(?:@[^?#]*)?(?:\?[^#]*)?(?:#.*)?$/.exec(purl.trim());
  if (!m) return undefined;
  const type = m[1]!.toLowerCase();
  let parts: string[];
  try {
    parts = m[2]!.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return undefined;
  }
  if (parts.length === 0) return undefined;
  const name = parts[parts.length - 1]!;
  const namespace = parts.slice(0, -1).join('/');
  const ecosystem = PURL_ECOSYSTEMS[type] ?? type;
  if (type === 'maven') return namespace ? { ecosystem, name: `${namespace}:${name}`, type } : undefined;
  if (type === 'npm') return { ecosystem, name: namespace ? `${namespace.startsWith('@') ? '' : '@'}${namespace}/${name}` : name, type };
  return { ecosystem, name: namespace ? `${namespace}/${name}` : name, type };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const EVENT_KINDS: readonly OsvEventKind[] = ['introduced', 'fixed', 'last_affected', 'limit'];

/**
 * Reads a request body into advisories. Returns the problems instead when there are any (every one of
 * them, each naming its JSON path).
 */
export function readAdvisories(body: unknown): { advisories: Advisory[]; problems?: undefined } | { advisories?: undefined; problems: Problem[] } {
  const problems: Problem[] = [];
  const bad = countingSink((field: string, message: string) => void problems.push({ field, message }));
  let list: unknown[];
  let base: (i: number) => string;
  if (Array.isArray(body)) [list, base] = [body, (i) => `$[${i}]`];
  else if (isObject(body) && Array.isArray(body.vulns)) [list, base] = [body.vulns, (i) => `$.vulns[${i}]`];
  else if (isObject(body)) [list, base] = [[body], () => '$'];
  else {
    return { problems: [{ field: '$', message: 'must be an OSV advisory (an object with id and affected), an array of them, {"vulns": [...]}, or {"purl": "...", "range": "..."}.' }] };
  }
  if (list.length === 0) bad(Array.isArray(body) ? '$' : '$.vulns', 'must hold at least one advisory.');
  const advisories: Advisory[] = [];
  list.forEach((item, i) => {
    const path = base(i);
    if (!isObject(item)) return void bad(path, 'must be an object.');
    if ('purl' in item) {
      const a = readPurlForm(item, path, bad);
      if (a) advisories.push(a);
      return;
    }
    const id = item.id;
    if (typeof id !== 'string' || id.trim() === '') bad(`${path}.id`, 'required: a non-empty string.');
    let aliases: string[] = [];
    if (item.aliases !== undefined) {
      if (!Array.isArray(item.aliases) || item.aliases.some((a) => typeof a !== 'string')) bad(`${path}.aliases`, 'must be an array of strings.');
      else aliases = item.aliases as string[];
    }
    if (item.affected === undefined) return void bad(`${path}.affected`, 'required: an array of affected packages.');
    if (!Array.isArray(item.affected)) return void bad(`${path}.affected`, 'must be an array.');
    const affected: AffectedPackage[] = [];
    item.affected.forEach((a, j) => {
      const p = readAffected(a, `${path}.affected[${j}]`, bad);
      if (p) affected.push(p);
    });
    if (typeof id === 'string') advisories.push({ id, aliases, affected, path });
  });
  return problems.length > 0 ? { problems } : { advisories };
}

function readPurlForm(item: Record<string, unknown>, path: string, bad: (f: string, m: string) => void): Advisory | undefined {
  const { purl, range, id } = item;
  let parsed;
  if (typeof purl !== 'string') bad(`${path}.purl`, 'must be a package URL string, for example "pkg:npm/lodash".');
  else if (!(parsed = parsePurl(purl))) bad(`${path}.purl`, `"${purl}" is not a package URL (pkg:<type>/<namespace>/<name>).`);
  if (typeof range !== 'string' || range.trim() === '') bad(`${path}.range`, 'required: a version range, native to the ecosystem or vers:.');
  if (id !== undefined && typeof id !== 'string') bad(`${path}.id`, 'must be a string.');
  if (!parsed || typeof range !== 'string' || range.trim() === '') return undefined;
  return {
    id: typeof id === 'string' && id !== '' ? id : `${purl} ${range}`,
    aliases: [],
    affected: [{ ecosystem: parsed.ecosystem, name: parsed.name, ranges: [], versions: [], range: range.trim(), path }],
    path,
  };
}

function readAffected(a: unknown, path: string, bad: (f: string, m: string) => void): AffectedPackage | undefined {
  if (!isObject(a)) return void bad(path, 'must be an object.');
  const before = badCount(bad);
  let ecosystem: string | undefined;
  let name: string | undefined;
  const pkg = a.package;
  if (!isObject(pkg)) bad(`${path}.package`, 'required: an object with ecosystem and name (or purl).');
  else {
    if (pkg.ecosystem !== undefined && typeof pkg.ecosystem !== 'string') bad(`${path}.package.ecosystem`, 'must be a string.');
    if (pkg.name !== undefined && typeof pkg.name !== 'string') bad(`${path}.package.name`, 'must be a string.');
    if (pkg.purl !== undefined && typeof pkg.purl !== 'string') bad(`${path}.package.purl`, 'must be a string.');
    ecosystem = typeof pkg.ecosystem === 'string' ? pkg.ecosystem : undefined;
    name = typeof pkg.name === 'string' ? pkg.name : undefined;
    if ((ecosystem === undefined || name === undefined) && typeof pkg.purl === 'string') {
      const p = parsePurl(pkg.purl);
      if (!p) bad(`${path}.package.purl`, `"${pkg.purl}" is not a package URL.`);
      else [ecosystem, name] = [ecosystem ?? p.ecosystem, name ?? p.name];
    }
    if (ecosystem === undefined || ecosystem === '') bad(`${path}.package.ecosystem`, 'required: a string (or give package.purl).');
    if (name === undefined || name === '') bad(`${path}.package.name`, 'required: a string (or give package.purl).');
  }
  const ranges: OsvRange[] = [];
  if (a.ranges !== undefined) {
    if (!Array.isArray(a.ranges)) bad(`${path}.ranges`, 'must be an array.');
    else a.ranges.forEach((r, k) => {
      const range = readRange(r, `${path}.ranges[${k}]`, bad);
      if (range) ranges.push(range);
    });
  }
  let versions: string[] = [];
  if (a.versions !== undefined) {
    if (!Array.isArray(a.versions) || a.versions.some((v) => typeof v !== 'string')) bad(`${path}.versions`, 'must be an array of strings.');
    else versions = a.versions as string[];
  }
  if (badCount(bad) > before || ecosystem === undefined || name === undefined) return undefined;
  return { ecosystem, name, ranges, versions, path };
}

function readRange(r: unknown, path: string, bad: (f: string, m: string) => void): OsvRange | undefined {
  if (!isObject(r)) return void bad(path, 'must be an object with type and events.');
  const before = badCount(bad);
  if (r.type !== 'SEMVER' && r.type !== 'ECOSYSTEM' && r.type !== 'GIT') bad(`${path}.type`, 'required: "SEMVER", "ECOSYSTEM" or "GIT".');
  const events: OsvEvent[] = [];
  if (!Array.isArray(r.events) || r.events.length === 0) bad(`${path}.events`, 'required: a non-empty array of events.');
  else {
    r.events.forEach((e, n) => {
      const at = `${path}.events[${n}]`;
      if (!isObject(e)) return void bad(at, 'must be an object with one of introduced, fixed, last_affected, limit.');
      const keys = Object.keys(e);
      const kinds = keys.filter((k): k is OsvEventKind => (EVENT_KINDS as readonly string[]).includes(k));
      if (kinds.length !== 1 || keys.length !== 1) {
        return void bad(at, `must have exactly one of introduced, fixed, last_affected, limit (has ${keys.length === 0 ? 'none' : keys.join(', ')}).`);
      }
      const kind = kinds[0]!;
      const version = e[kind];
      if (typeof version !== 'string' || version === '') return void bad(`${at}.${kind}`, 'must be a non-empty string.');
      events.push({ kind, version });
    });
    if (events.length === r.events.length) {
      if (!events.some((e) => e.kind === 'introduced')) bad(`${path}.events`, 'must hold at least one introduced event.');
      if (events.some((e) => e.kind === 'fixed') && events.some((e) => e.kind === 'last_affected')) bad(`${path}.events`, 'may hold fixed or last_affected events, not both.');
    }
  }
  if (badCount(bad) > before) return undefined;
  return { type: r.type as OsvRange['type'], events, path };
}

// The problem count, through the closure (so that nested readers can tell whether they added any).
const counts = new WeakMap<(f: string, m: string) => void, number>();
function badCount(bad: (f: string, m: string) => void): number {
  return counts.get(bad) ?? 0;
}

/** Wraps a problem sink so that {@link badCount} can read how many it received. */
export function countingSink(sink: (f: string, m: string) => void): (f: string, m: string) => void {
  const wrapped = (f: string, m: string) => {
    counts.set(wrapped, (counts.get(wrapped) ?? 0) + 1);
    sink(f, m);
  };
  return wrapped;
}
