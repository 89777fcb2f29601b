/**
 * The deployment record: its wire fields, their limits, and the normalisations every input goes
 * through (case-insensitive field names, trimming, UTC dates, http(s) URLs).
 */
// The two functions' own modules: the package's index loads all of date-fns (about 300 modules, 1.5 MB
// of heap that every later major GC keeps, and that V8's heap growth multiplies).
import { isValid } from 'date-fns/isValid';
import { parseISO } from 'date-fns/parseISO';
import type { DeploymentField, FieldLimits, NewDeployment, Problem } from '../types';

export interface FieldSpec {
  name: DeploymentField;
  /** The record property it fills. */
  property: keyof NewDeployment;
  required: boolean;
  /** Required fields that may nevertheless be the empty string (Description: real clients send ""). */
  mayBeEmpty?: boolean;
  /** Whether line breaks and tabs are allowed. */
  multiline?: boolean;
}

/** The wire fields in the order problems are reported. */
export const FIELDS: readonly FieldSpec[] = [
  { name: 'Application', property: 'application', required: true },
  { name: 'Description', property: 'description', required: true, mayBeEmpty: true, multiline: true },
  { name: 'Target', property: 'target', required: true },
  { name: 'FeedName', property: 'feedName', required: true },
  { name: 'GroupName', property: 'groupName', required: false },
  { name: 'PackageName', property: 'packageName', required: true },
  { name: 'Version', property: 'version', required: true },
  { name: 'UserName', property: 'userName', required: false },
  { name: 'Url', property: 'url', required: false },
  { name: 'Date', property: 'date', required: false },
];

/** The default (and largest) length of each field; the knex store's columns are this wide. */
export const DEFAULT_LIMITS: Readonly<FieldLimits> = Object.freeze({
  Application: 200,
  Description: 4000,
  Target: 200,
  FeedName: 100,
  GroupName: 200,
  PackageName: 200,
  Version: 100,
  UserName: 200,
  Url: 2000,
});

export const ANONYMOUS = 'Anonymous';

const BY_LOWER_NAME = new Map(FIELDS.map((f) => [f.name.toLowerCase(), f] as const));

/** The wire field a key names, matched case-insensitively, or `undefined`. */
export function fieldNamed(key: string): FieldSpec | undefined {
  return BY_LOWER_NAME.get(key.toLowerCase());
}

/** Field values by their exact wire name; `undefined` means absent. */
export type FieldValues = Partial<Record<DeploymentField, unknown>>;

/**
 * Picks the deployment fields out of an input object, matching names case-insensitively. Unknown keys
 * (credentials among them) are ignored. A field given twice in different cases is a problem: there is no
 * way to know which one the caller meant.
 */
export function pickFields(input: object): { values: FieldValues; problems: Problem[] } {
  const values: FieldValues = Object.create(null) as FieldValues;
  const seenAs = new Map<DeploymentField, string>();
  const problems: Problem[] = [];
  for (const key of Object.keys(input)) {
    const spec = fieldNamed(key);
    if (!spec) continue;
    const previous = seenAs.get(spec.name);
    if (previous !== undefined) {
      problems.push({ field: spec.name, message: `given more than once (as "${previous}" and "${key}"); send it once.`, kind: 'duplicate' });
      continue;
    }
    seenAs.set(spec.name, key);
    values[spec.name] = (input as Record<string, unknown>)[key];
  }
  return { values, problems };
}

const OFFSET_AT_END = /(?:Z|[+-]\d{2}(?::?\d{2})?)$/i;

/**
 * Parses an ISO 8601 date with date-fns. A date-time without an offset is UTC (not the server's zone);
 * a date alone is midnight UTC; offsets are converted to UTC. Returns `undefined` when the text is not
 * ISO 8601 or falls outside the years 0001–9999.
 */
export function parseDeploymentDate(text: string): Date | undefined {
  const value = text.trim();
  if (!/^[+-]?\d{4}/.test(value)) return undefined;
  const delimiter = value.search(/[T ]/i);
  let normalised: string;
  if (delimiter < 0) normalised = `${value}T00:00:00Z`;
  else {
    const time = value.slice(delimiter + 1);
    const withUpperZ = value.slice(0, delimiter) + 'T' + time.replace(/z$/, 'Z');
    normalised = OFFSET_AT_END.test(time) ? withUpperZ : `${withUpperZ}Z`;
  }
  const date = parseISO(normalised);
  if (!isValid(date)) return undefined;
  const year = date.getUTCFullYear();
  if (year < 1 || year > 9999) return undefined;
  return date;
}

/** True when `text` is an absolute http: or https: URL. */
export function isHttpUrl(text: string): boolean {
  if (!/^https?:\/\//i.test(text)) return false;
  // http: and https: are special schemes: a URL that parses has a host. URL.canParse builds no object.
  if (typeof URL.canParse === 'function') return URL.canParse(text);
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host !== '';
  } catch {
    return false;
  }
}

/** A date as the fixed-width UTC text the stores keep (`2024-05-01T12:00:00.000Z`). */
export function toIsoUtc(date: Date): string {
  return date.toISOString();
}
