/** The `deployed` event, fired after each committed record; listener failures are logged, never thrown. */
import { EventEmitter } from 'node:events';
import type { DeployedContext, DeploymentEvents, DeploymentRecord, Logger } from '../types';

export const DEPLOYED_EVENT = 'deployed';

export function createEvents(): DeploymentEvents {
  return new EventEmitter();
}

export function emitDeployed(
  events: DeploymentEvents,
  logger: Logger,
  onRecorded: ((record: DeploymentRecord, context: DeployedContext) => void | Promise<void>) | undefined,
  record: DeploymentRecord,
  context: DeployedContext,
): void {
  try {
    events.emit(DEPLOYED_EVENT, record, context);
  } catch (err) {
    logger.error('A "deployed" listener threw; the record is stored regardless.', { error: String(err), id: record.id });
  }
  if (onRecorded) {
    try {
      Promise.resolve(onRecorded(record, context)).catch((err) =>
        logger.error('onRecorded failed; the record is stored regardless.', { error: String(err), id: record.id }),
      );
    } catch (err) {
      logger.error('onRecorded threw; the record is stored regardless.', { error: String(err), id: record.id });
    }
  }
}
