/**
 * What the path layouts share: the request's path split into decoded segments, matched against a
 * prefix such as `/npm/:feed`, and the raw query string. Everything reads `req.originalUrl`, so a layout
 * works wherever the middleware is mounted (app.use, a router, in front of one route).
 */
import type { Request } from 'express';
import { invalidOption, optionNames, readOptions } from '../../options';
import type { FeedPackageRef, PathLayoutOptions } from '../../types';

/** The options every path layout takes. */
export const PATH_LAYOUT_OPTIONS = optionNames<PathLayoutOptions>()('prefix', 'feed');

/** The decoded segments of the request path, or `undefined` when a segment is not valid percent-encoding. */
export function pathSegments(req: Request): string[] | undefined {
  const url = req.originalUrl ?? req.url ?? '';
  const q = url.search(/[?#]/);
  const path = q < 0 ? url : url.slice(0, q);
  const segments: string[] = [];
  for (const s of path.split('/')) {
    if (s === '') continue;
    if (!s.includes('%')) {
      segments.push(s);
      continue;
    }
    try {
      segments.push(decodeURIComponent(s));
    } catch {
      return undefined;
    }
  }
  return segments;
}

/** The query parameters, read from the raw URL whatever query parser the host configured. */
export function queryParams(req: Request): URLSearchParams {
  const url = req.originalUrl ?? req.url ?? '';
  const q = url.indexOf('?');
  if (q < 0) return new URLSearchParams();
  try {
    return new URLSearchParams(url.slice(q + 1).split('#')[0]);
  } catch {
    return new URLSearchParams();
  }
}

/** A compiled prefix: literal segments (matched case-insensitively) and at most one `:feed`. */
export interface Prefix {
  /** Matches the start of `segments`; answers the feed name and the segments after the prefix. */
  match(segments: readonly string[]): { feedName: string; rest: string[] } | undefined;
}

/**
 * Compiles a layout's `prefix`/`feed` options. Throws at construction when no feed name can come out of
 * them (the prefix has no `:feed` and no fixed `feed` is given).
 */
export function compilePrefix(layout: string, given: PathLayoutOptions | undefined, defaultPrefix: string): Prefix {
  const options = readOptions(layout, given, PATH_LAYOUT_OPTIONS, `{ prefix: "${defaultPrefix}" }`);
  const prefix = options.prefix ?? defaultPrefix;
  if (typeof prefix !== 'string' || !prefix.startsWith('/')) {
    invalidOption(layout, 'prefix', `must be a path starting with "/", such as "${defaultPrefix}"; got ${JSON.stringify(prefix)}.`);
  }
  const parts = prefix.split('/').filter((s) => s !== '');
  const feedAt = parts.indexOf(':feed');
  if (parts.filter((p) => p.startsWith(':')).some((p) => p !== ':feed')) {
    invalidOption(layout, 'prefix', `"${prefix}" may hold only the parameter ":feed".`);
  }
  const fixed = options.feed;
  if (fixed !== undefined && (typeof fixed !== 'string' || fixed.trim() === '')) {
    invalidOption(layout, 'feed', 'must be a non-empty feed name, or left out to read it from ":feed" in the prefix.');
  }
  if (feedAt < 0 && fixed === undefined) {
    invalidOption(layout, 'prefix', `"${prefix}" has no ":feed" segment; put one in (for example "${defaultPrefix}") or give a fixed feed: { feed: "MyFeed" }.`);
  }
  const lowered = parts.map((p) => p.toLowerCase());
  return {
    match(segments) {
      if (segments.length < parts.length) return undefined;
      for (let i = 0; i < parts.length; i++) {
        if (i === feedAt) continue;
        if (segments[i]!.toLowerCase() !== lowered[i]) return undefined;
      }
      const feedName = fixed ?? segments[feedAt]!;
      if (feedName === '') return undefined;
      return { feedName, rest: segments.slice(parts.length) };
    },
  };
}

/** A package ref without empty parts. */
export function ref(feedName: string, packageName: string, version: string | undefined, groupName?: string): FeedPackageRef | undefined {
  if (packageName === '') return undefined;
  const result: FeedPackageRef = { feedName, packageName };
  if (groupName !== undefined && groupName !== '') result.groupName = groupName;
  if (version !== undefined && version !== '') result.version = version;
  return result;
}

/** Strips a known suffix, case-insensitively; `undefined` when the text does not end with it. */
export function withoutSuffix(text: string, suffix: string): string | undefined {
  return text.length > suffix.length && text.toLowerCase().endsWith(suffix.toLowerCase()) ? text.slice(0, -suffix.length) : undefined;
}
