/** Reading the `anonymous` option of apiKeyAuth() and createKnexApiKeyStore(), and anonymousAuth()'s grant. */
import { invalidOption, optionNames, readOptions } from '../options';
import { Privileges } from './privileges';
import type { AnonymousGrant, Privilege } from '../types';

/** What a grant allows: privileges on feeds (`undefined` = every feed). */
export interface Grant {
  feeds?: readonly string[];
  privileges: readonly Privilege[];
}

const GRANT_OPTIONS = optionNames<AnonymousGrant>()('privileges', 'feeds');

/** Checks a list option of names (feeds, privileges): an array of non-empty strings, or left out. */
export function readNames(factory: string, option: string, value: unknown, example: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.trim() === '')) {
    invalidOption(factory, option, `must be an array of non-empty strings such as ${example}, or left out.`);
  }
  return [...(value as string[])];
}

/** Reads an {@link AnonymousGrant} (`defaults` when `privileges` is left out). */
export function readGrant(factory: string, option: string | undefined, grant: AnonymousGrant | undefined, defaults: readonly Privilege[]): Grant {
  const g = readOptions(option ? `${factory}: ${option}` : factory, grant, GRANT_OPTIONS, "{ privileges: ['Feeds_ViewPackage'], feeds: ['public'] }");
  const at = option ? `${option}.` : '';
  const privileges = readNames(factory, `${at}privileges`, g.privileges, "['Feeds_ViewPackage']") ?? [...defaults];
  const feeds = readNames(factory, `${at}feeds`, g.feeds, "['DefaultNuGet']");
  return feeds === undefined ? { privileges } : { privileges, feeds };
}

/** Reads the `anonymous` option: `false`/absent grants nothing; `true` grants reading; an object is a grant. */
export function readAnonymous(factory: string, anonymous: boolean | AnonymousGrant | undefined): Grant | undefined {
  if (anonymous === undefined || anonymous === false) return undefined;
  if (anonymous === true) return { privileges: [Privileges.View] };
  if (typeof anonymous !== 'object' || anonymous === null || Array.isArray(anonymous)) {
    invalidOption(factory, 'anonymous', "must be true, false, or { privileges?, feeds? } such as { privileges: ['Feeds_ViewPackage'] }.");
  }
  return readGrant(factory, 'anonymous', anonymous, [Privileges.View]);
}
