/**
 * What the middleware learns when a download comes in, before the route runs: the deployment headers,
 * the layout that reads the URL, the package it names, whether recording is on for its feed, and the
 * problems of the headers.
 */
import type { Request } from 'express';
import { HEADER_OF, type HeaderValues } from './headers';
import type { Validator } from '../record/validate';
import { parseRemoved, REMOVED_HEADER } from '../record/removal';
import type { FeedLayout, FeedPackageRef, Problem } from '../types';

export interface Intake {
  headers: HeaderValues;
  layout?: FeedLayout;
  ref?: FeedPackageRef;
  enabled: boolean;
  headerProblems: Problem[];
  /** `X-Deployment-Removed: true`: a removal record (this library's extension). */
  removed: boolean;
}

/** Header problems (missing, empty, too long, control characters, bad Url); an unparseable Date is not one. */
export function checkHeaders(validate: Validator, headers: HeaderValues): Problem[] {
  const input: Record<string, string> = { FeedName: 'f', PackageName: 'p', Version: 'v' };
  for (const [field, value] of Object.entries(headers)) if (field !== 'Date') input[field] = value!;
  const result = validate(input);
  if (result.ok) return [];
  return result.problems.map((p) => ({ field: HEADER_OF.get(p.field ?? '') ?? p.field, message: p.message }));
}

/** True when the header problems are headers left out or empty (`partial_headers`), not bad values. */
export function isPartial(problems: readonly Problem[]): boolean {
  return problems.some((p) => /is required|must not be empty/.test(p.message));
}

export function intakeOf(
  req: Request,
  headers: HeaderValues,
  layouts: readonly FeedLayout[],
  isEnabled: (feed: string) => boolean,
  validate: Validator,
): Intake {
  let layout: FeedLayout | undefined;
  let ref: FeedPackageRef | undefined;
  for (const candidate of layouts) {
    ref = candidate.resolve(req) ?? undefined;
    if (ref) {
      layout = candidate;
      break;
    }
  }
  const headerProblems = checkHeaders(validate, headers);
  const removedHeader = req.headers[REMOVED_HEADER.toLowerCase()];
  const removal = parseRemoved(Array.isArray(removedHeader) ? removedHeader : removedHeader?.trim(), REMOVED_HEADER);
  if (removal.problem) headerProblems.push(removal.problem);
  return { headers, layout, ref, enabled: ref ? isEnabled(ref.feedName) : false, headerProblems, removed: removal.removed === true };
}
