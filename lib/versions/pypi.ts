/**
 * The PyPI scheme: versions as PEP 440 orders them (epochs `1!2.0`, pre-releases `a`/`b`/`rc`, post-releases
 * `.post1`, development releases `.dev1`, local versions `+ubuntu.1`, and PEP 440's normalisations: `1.0`
 * = `1.0.0`, `1.0c1` = `1.0rc1`, `1.0-5` = `1.0.post5`), and PEP 440 version specifiers as ranges:
 * `>=2.3,<2.31`, `~=2.2`, `==2.*`, `!=2.0.1`, `===2.0`, `<=`, `>`, `<` (all comma-separated ones must hold).
 *
 * Pre-releases are included, as `packaging`'s `Specifier(..., prereleases=True)` does: a deployed
 * pre-release is deployed, and an audit must see it. The other rules are PEP 440's (and `packaging`'s):
 * `<2` excludes pre-releases of 2, `>2` excludes post-releases and local versions of 2, `==2.0` matches
 * `2.0+local`, `<=`/`>=` compare the public version. Checked against the vectors of `packaging`'s tests
 * (`__tests__/vectors/pypi.json`).
 */
import { compareOrFallback, type VersionScheme } from './scheme';

/** A parsed PEP 440 version. */
export interface Pep440Version {
  epoch: bigint;
  /** The release numbers, trailing zeros removed (`1.0.0` → `[1]`). */
  release: bigint[];
  /** The release numbers as written (for prefix matching, `==1.0.*`). */
  releaseAsWritten: bigint[];
  pre?: { label: 'a' | 'b' | 'rc'; n: bigint };
  post?: bigint;
  dev?: bigint;
  /** Local segments, lower-cased; numbers as bigint. */
  local?: Array<bigint | string>;
  /** The text as given, trimmed (for `===`). */
  text: string;
}

// PEP 440, Appendix B: the canonical regular expression (a specification, not a library's code).
const VERSION = /^v?(?:(?:([0-9]+)!)?([0-9]+(?:\.[0-9]+)*)([-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?([0-9]+)?)?((?:-([0-9]+))|(?:[-_.]?(post|rev|r)[-_.]?([0-9]+)?))?([-_.]?(dev)[-_.]?([0-9]+)?)?)(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?$/;

const big = (s: string | undefined) => (s === undefined ? 0n : BigInt(s));

/** Reads a PEP 440 version; `undefined` when it is not one. */
export function parsePep440Version(input: string): Pep440Version | undefined {
  if (typeof input !== 'string' || input.length > 200) return undefined;
  const text = input.trim();
  const m = VERSION.exec(text.toLowerCase());
  if (!m) return undefined;
  const releaseAsWritten = m[2]!.split('.').map((p) => BigInt(p));
  const release = releaseAsWritten.slice();
  while (release.length > 0 && release[release.length - 1] === 0n) release.pop();
  const v: Pep440Version = { epoch: big(m[1]), release, releaseAsWritten, text };
  if (m[3] !== undefined) {
    const l = m[4]!;
    v.pre = { label: l === 'a' || l === 'alpha' ? 'a' : l === 'b' || l === 'beta' ? 'b' : 'rc', n: big(m[5]) };
  }
  if (m[6] !== undefined) v.post = big(m[7] ?? m[9]);
  if (m[10] !== undefined) v.dev = big(m[12]);
  if (m[13] !== undefined) v.local = m[13].split(/[-_.]/).map((s) => (/^\d+$/.test(s) ? BigInt(s) : s));
  return v;
}

const cmp = <T>(a: T, b: T) => (a < b ? -1 : a > b ? 1 : 0);
const PRE_ORDER = { a: 0, b: 1, rc: 2 } as const;

function compareRelease(a: bigint[], b: bigint[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const c = cmp(a[i] ?? 0n, b[i] ?? 0n);
    if (c !== 0) return c;
  }
  return 0;
}

/** -1/0/1 of the pre-release part as PEP 440 orders it (a dev release of a final sorts before its pre-releases). */
function preRank(v: Pep440Version): [number, bigint] {
  if (v.pre) return [1 + PRE_ORDER[v.pre.label], v.pre.n];
  if (v.post === undefined && v.dev !== undefined) return [0, 0n];
  return [9, 0n];
}

function compareLocal(a: Pep440Version['local'], b: Pep440Version['local']): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    // Numbers sort after strings; numbers by value, strings alphabetically.
    if (typeof x !== typeof y) return typeof x === 'string' ? -1 : 1;
    const c = cmp(x, y);
    if (c !== 0) return c;
  }
  return cmp(a.length, b.length);
}

/** Orders two PEP 440 versions. */
export function comparePep440(a: Pep440Version, b: Pep440Version, withLocal = true): number {
  let c = cmp(a.epoch, b.epoch) || compareRelease(a.release, b.release);
  if (c !== 0) return c;
  const [pa, na] = preRank(a);
  const [pb, nb] = preRank(b);
  c = cmp(pa, pb) || cmp(na, nb);
  if (c !== 0) return c;
  c = a.post === undefined || b.post === undefined ? cmp(a.post === undefined ? 0 : 1, b.post === undefined ? 0 : 1) : cmp(a.post, b.post);
  if (c !== 0) return c;
  c = a.dev === undefined || b.dev === undefined ? cmp(a.dev === undefined ? 1 : 0, b.dev === undefined ? 1 : 0) : cmp(a.dev, b.dev);
  if (c !== 0) return c;
  return withLocal ? compareLocal(a.local, b.local) : 0;
}

const isPrerelease = (v: Pep440Version) => v.pre !== undefined || v.dev !== undefined;
const sameBase = (a: Pep440Version, b: Pep440Version) => a.epoch === b.epoch && compareRelease(a.release, b.release) === 0;

/** One PEP 440 specifier, read: its operator, its version and whether it ends in `.*`. */
export interface Pep440Specifier {
  op: '~=' | '==' | '!=' | '<=' | '>=' | '<' | '>' | '===';
  version?: Pep440Version;
  /** For `===`: the text to match. */
  text: string;
  prefix: boolean;
}

const SPECIFIER = /^(~=|===|==|!=|<=|>=|<|>)\s*(.+)$/;

/** Reads one specifier (`>=2.3`, `==2.*`); `undefined` when PEP 440 does not allow it. */
export function parsePep440Specifier(input: string): Pep440Specifier | undefined {
  const m = SPECIFIER.exec(input.trim());
  if (!m) return undefined;
  const op = m[1] as Pep440Specifier['op'];
  let rest = m[2]!.trim();
  if (op === '===') return /\s/.test(rest) ? undefined : { op, text: rest, prefix: false };
  let prefix = false;
  if (rest.endsWith('.*')) {
    if (op !== '==' && op !== '!=') return undefined;
    prefix = true;
    rest = rest.slice(0, -2);
  }
  const version = parsePep440Version(rest);
  if (!version || /\s/.test(rest)) return undefined;
  // Prefix matching only on a public release (no pre/post/dev/local); local versions only on == and !=.
  if (prefix && (version.pre || version.post !== undefined || version.dev !== undefined || version.local)) return undefined;
  if (version.local && op !== '==' && op !== '!=') return undefined;
  if (op === '~=' && version.releaseAsWritten.length < 2) return undefined;
  return { op, version, text: rest, prefix };
}

function prefixMatches(v: Pep440Version, spec: Pep440Version): boolean {
  if (v.epoch !== spec.epoch) return false;
  const want = spec.releaseAsWritten;
  for (let i = 0; i < want.length; i++) if ((v.releaseAsWritten[i] ?? 0n) !== want[i]) return false;
  return true;
}

const publicOf = (v: Pep440Version): Pep440Version => ({ ...v, local: undefined });

/** True when `v` satisfies one specifier. */
export function satisfiesPep440(v: Pep440Version, s: Pep440Specifier): boolean {
  if (s.op === '===') return v.text.toLowerCase() === s.text.toLowerCase();
  const spec = s.version!;
  switch (s.op) {
    case '==':
    case '!=': {
      const equal = s.prefix ? prefixMatches(v, spec) : comparePep440(spec.local ? v : publicOf(v), spec) === 0;
      return s.op === '==' ? equal : !equal;
    }
    case '~=': {
      const prefix = { ...spec, releaseAsWritten: spec.releaseAsWritten.slice(0, -1) };
      return comparePep440(publicOf(v), spec) >= 0 && prefixMatches(v, prefix);
    }
    case '<=':
      return comparePep440(publicOf(v), spec) <= 0;
    case '>=':
      return comparePep440(publicOf(v), spec) >= 0;
    case '<':
      if (!(comparePep440(v, spec) < 0)) return false;
      return !(!isPrerelease(spec) && isPrerelease(v) && sameBase(v, spec));
    case '>':
      if (!(comparePep440(v, spec) > 0)) return false;
      if (spec.post === undefined && v.post !== undefined && sameBase(v, spec)) return false;
      return !(v.local !== undefined && comparePep440(publicOf(v), spec) === 0);
  }
}

/** Reads a comma-separated specifier set; `undefined` when any part is not a specifier. */
export function parsePep440Specifiers(text: string): Pep440Specifier[] | undefined {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length === 0 || parts.some((p) => p === '')) return undefined;
  const specs: Pep440Specifier[] = [];
  for (const p of parts) {
    const s = parsePep440Specifier(p);
    if (!s) return undefined;
    specs.push(s);
  }
  return specs;
}

export const pypiScheme: VersionScheme = Object.freeze({
  name: 'pypi',
  isValid: (version: string) => parsePep440Version(version) !== undefined,
  compare: (a: string, b: string) => compareOrFallback(parsePep440Version, (x, y) => comparePep440(x, y), a, b),
  parseRange(text: string) {
    const specs = parsePep440Specifiers(text);
    if (!specs) return undefined;
    return (version: string) => {
      if (specs.every((s) => s.op === '===')) {
        const trimmed = version.trim();
        return specs.every((s) => trimmed.toLowerCase() === s.text.toLowerCase());
      }
      const v = parsePep440Version(version);
      return v !== undefined && specs.every((s) => satisfiesPep440(v, s));
    };
  },
});
