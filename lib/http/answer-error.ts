/** The error-handling middleware of the router's paths: every DeploymentError answered as text/plain. */
import type { ErrorRequestHandler } from 'express';
import { toDeploymentError } from './errors';
import { sendError } from './send-error';
import type { Logger } from '../types';

/** Answers any error reaching it (server faults are logged); an answer already started is left to Express. */
export function answerErrors(logger: Logger): ErrorRequestHandler {
  return (err, _req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const error = toDeploymentError(err);
    if (error.status >= 500) logger.error(`package-deployments: ${error.message}`, { code: error.code });
    sendError(res, error);
  };
}
