/**
 * What the middleware learns when a download comes in, before the route runs: the deployment headers,
 * the layout that reads the URL, the package it names, whether recording is on for its feed, and the
 * problems of the headers.
 */
import type { Request } from 'express';
import { HEADER_OF, type HeaderValues } from './headers';
import type { FieldValidator } from '../record/validate';
import { parseDeploymentDate, type FieldValues } from '../record/deployment';
import type { DownloadDecision } from './settle';
import { parseRemoved, REMOVED_HEADER } from '../record/removal';
import type { FeedLayout, FeedPackageRef, Problem } from '../types';

export interface Intake {
  headers: HeaderValues;
  layout?: FeedLayout;
  ref?: FeedPackageRef;
  enabled: boolean;
  /**
   * Header problems, known before the route runs in strict mode only (it answers 400 on them); otherwise
   * the one validation pass after the download finds them.
   */
  headerProblems?: Problem[];
  /** The `X-Deployment-Removed` header's problem, when it has one. */
  removalProblem?: Problem;
  /** Strict mode decides caller and feed before the route runs; settling then reuses that decision. */
  decided?: DownloadDecision;
  /** `X-Deployment-Removed: true`: a removal record (this library's extension). */
  removed: boolean;
}

/** The deployment's fields from the package a download names and its headers; an unparseable Date is left out (a warning, not a problem). */
export function downloadInput(pkg: { feedName: string; packageName: string; version?: string; groupName?: string }, headers: HeaderValues): { values: FieldValues; unparseableDate?: string } {
  const values: FieldValues = {
    FeedName: pkg.feedName,
    PackageName: pkg.packageName,
    Version: pkg.version,
    GroupName: pkg.groupName,
    Application: headers.Application,
    Description: headers.Description,
    Target: headers.Target,
    Url: headers.Url,
    UserName: headers.UserName,
    Date: headers.Date,
  };
  const date = headers.Date;
  if (date !== undefined && date.trim() !== '' && parseDeploymentDate(date) === undefined) {
    values.Date = undefined;
    return { values, unparseableDate: date };
  }
  return { values };
}

/** The problems of one validation pass that are about the headers, named by header (`X-ProGet-Deployment-Target`). */
export function headerProblemsOf(problems: readonly Problem[]): Problem[] {
  return problems.filter((p) => p.field !== undefined && HEADER_OF.has(p.field)).map((p) => ({ ...p, field: HEADER_OF.get(p.field!)! }));
}

/** True when the header problems are headers left out or empty (`partial_headers`), not bad values. */
export function isPartial(problems: readonly Problem[]): boolean {
  return problems.some((p) => p.kind === 'missing' || p.kind === 'empty');
}

export function intakeOf(
  req: Request,
  headers: HeaderValues,
  layouts: readonly FeedLayout[],
  isEnabled: (feed: string) => boolean,
  validate: FieldValidator,
  strict: boolean,
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
  const removedHeader = req.headers[REMOVED_HEADER.toLowerCase()];
  const removal = parseRemoved(Array.isArray(removedHeader) ? removedHeader : removedHeader?.trim(), REMOVED_HEADER);
  const enabled = ref ? isEnabled(ref.feedName) : false;
  let headerProblems: Problem[] | undefined;
  if (strict && ref && enabled) {
    // Strict mode answers 400 before the route runs: validate what the URL and headers say now.
    const result = validate(downloadInput(ref, headers).values);
    headerProblems = [...(result.ok ? [] : headerProblemsOf(result.problems)), ...(removal.problem ? [removal.problem] : [])];
  }
  return { headers, layout, ref, enabled, headerProblems, removalProblem: removal.problem, removed: removal.removed === true };
}
