/** Sending an error: one text/plain answer for every path (record, read, strict downloads). */
import type { Response } from 'express';
import { errorText, type DeploymentError } from './errors';

/** Sends a DeploymentError as text/plain: its message, never a stack. */
export function sendError(res: Response, err: DeploymentError): void {
  res.status(err.status);
  for (const [name, value] of Object.entries(err.headers)) res.setHeader(name, value);
  res.type('text/plain; charset=utf-8').send(errorText(err));
}
