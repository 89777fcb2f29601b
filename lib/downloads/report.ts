/**
 * How the middleware reports downloads it does not record (`deployment-skipped`) and records made with
 * a value replaced (`deployment-warning`): counted, logged when the caller should act, emitted; a
 * throwing listener is logged, never thrown.
 */
import type { Request } from 'express';
import { requestPath } from '../http/request-path';
import { SKIPPED_EVENT, WARNING_EVENT } from './events';
import type { Intake } from './intake';
import type { DeploymentEvents, DeploymentWarning, Logger, SkipReason, SkippedDeployment } from '../types';

/** Skips that point at a mistake of the client or the host: logged as warnings too. */
const WARN_REASONS: ReadonlySet<SkipReason> = new Set(['partial_headers', 'invalid_headers', 'invalid_package', 'unauthorized', 'latest_unknown', 'unknown_feed']);

export interface Reporter {
  emit(event: string, payload: unknown): void;
  skip(req: Request, intake: Intake, reason: SkipReason, message: string, extra?: Partial<SkippedDeployment>): void;
  warn(warning: DeploymentWarning): void;
  counts(): { skipped: number; warnings: number };
}

export function createReporter(events: DeploymentEvents, logger: Logger): Reporter {
  let skipped = 0;
  let warnings = 0;
  function emit(event: string, payload: unknown): void {
    try {
      events.emit(event, payload);
    } catch (err) {
      logger.error(`package-deployments: a "${event}" listener threw.`, { error: String(err) });
    }
  }
  return {
    emit,
    skip(req, intake, reason, message, extra = {}) {
      skipped++;
      const info: SkippedDeployment = {
        reason,
        message,
        method: req.method,
        path: requestPath(req),
        feedType: intake.layout?.feedType,
        feedName: intake.ref?.feedName,
        ...extra,
      };
      if (WARN_REASONS.has(reason)) logger.warn(`package-deployments: download of ${info.path} not recorded: ${message}`, { reason });
      emit(SKIPPED_EVENT, info);
    },
    warn(warning) {
      warnings++;
      logger.warn(`package-deployments: ${warning.message}`, { path: warning.path });
      emit(WARNING_EVENT, warning);
    },
    counts: () => ({ skipped, warnings }),
  };
}
