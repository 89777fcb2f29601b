/** The read API's filters as flags, shared by `history`, `current` and `export`. */
import type { ReadQuery } from '../client';
import { text, type FlagSpec, type ParsedArgs } from './args';
import { UsageError } from './errors';

export const READ_FLAGS: readonly FlagSpec[] = [
  { name: 'feed', value: true, help: 'the feed' },
  { name: 'package', value: true, help: 'the package (@scope/name for an npm scope)' },
  { name: 'group', value: true, help: 'group, scope or namespace' },
  { name: 'version', value: true, help: 'exact version' },
  { name: 'range', value: true, help: "version range in the feed's scheme (or vers:)" },
  { name: 'target', value: true, help: 'exact target' },
  { name: 'target-prefix', value: true, help: 'targets starting with this text' },
  { name: 'application', value: true, help: 'exact application' },
  { name: 'user', value: true, help: 'exact user name' },
  { name: 'since', value: true, help: 'deployed at or after (ISO 8601)' },
  { name: 'until', value: true, help: 'deployed before (ISO 8601)' },
];

export function readQuery(args: ParsedArgs): ReadQuery {
  const query: ReadQuery = {
    feed: text(args, 'feed'),
    package: text(args, 'package'),
    group: text(args, 'group'),
    version: text(args, 'version'),
    range: text(args, 'range'),
    target: text(args, 'target'),
    targetPrefix: text(args, 'target-prefix'),
    application: text(args, 'application'),
    user: text(args, 'user'),
    since: text(args, 'since'),
    until: text(args, 'until'),
  };
  const limit = text(args, 'limit');
  if (limit !== undefined) {
    if (!/^\d+$/.test(limit) || Number(limit) < 1) throw new UsageError('--limit must be a whole number from 1.');
    query.limit = Number(limit);
  }
  for (const key of Object.keys(query) as (keyof ReadQuery)[]) if (query[key] === undefined) delete query[key];
  return query;
}
