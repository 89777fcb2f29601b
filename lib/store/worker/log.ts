/**
 * The embedded store's log lines across the thread boundary: in the worker, a {@link Logger} that posts
 * each line to the main thread (given to the worker's knex through `knexLog`, as the store on the main
 * thread gives the caller's logger), and on the main thread, the forwarding of those lines to the
 * caller's `logger`. So knex's warnings in the worker ("Acquire connection error", a migration lock,
 * deprecations) reach the `logger` option instead of the worker's console.
 */
import type { MessagePort } from 'node:worker_threads';
import type { Logger } from '../../types';

/** Worker → main thread: one log line (no `id`: it answers no call). */
export interface WorkerLog {
  kind: 'log';
  level: 'info' | 'warn' | 'error';
  message: string;
}

/** In the worker: a logger whose lines are posted to the main thread as {@link WorkerLog} messages. */
export function loggerToParent(port: Pick<MessagePort, 'postMessage'>): Logger {
  const post = (level: WorkerLog['level']) => (message: string) => port.postMessage({ kind: 'log', level, message: String(message) } satisfies WorkerLog);
  return { info: post('info'), warn: post('warn'), error: post('error') };
}

export function isWorkerLog(message: unknown): message is WorkerLog {
  return typeof message === 'object' && message !== null && (message as { kind?: unknown }).kind === 'log';
}

/** On the main thread: a worker's log line to the caller's logger (`info` falls back to `warn`, as elsewhere). */
export function forwardWorkerLog(log: WorkerLog, logger: Logger): void {
  if (log.level === 'error') logger.error(log.message);
  else if (log.level === 'info' && logger.info) logger.info(log.message);
  else logger.warn(log.message);
}
