/**
 * Writes queued records before the process exits, for hosts that give plug-ins no shutdown hook
 * (Verdaccio). On SIGTERM and SIGINT the flush runs, bounded by a timeout; then
 * - when nothing else listens for the signal, listening took over the signal's default action (exit), so
 *   it is given back: the listener is removed and the signal raised again, and the process ends as it
 *   would have (killed by that signal);
 * - when the host listens too, its handlers run as they always do, and a `process.exit()` they call while
 *   the flush runs is held until the flush ends (at most `timeoutMs`), then made with their own code. If
 *   the process is still alive `graceMs` after the flush, the listener is removed and the signal raised
 *   again: a listener that only watches (signal-exit, which Verdaccio loads, kills the process only when
 *   it is the last listener) then ends the process as it would have without this one.
 * On `beforeExit` (the event loop ran dry), records still queued are flushed.
 */
import { optionNames, readOptions } from '../options';

export interface FlushOnExitOptions {
  /** The signals to flush on. Defaults to `['SIGTERM', 'SIGINT']`. */
  signals?: readonly NodeJS.Signals[];
  /** The longest a signal waits for the flush, in milliseconds. Defaults to 5000. */
  timeoutMs?: number;
  /**
   * When the host listens for the signal too: how long after the flush the host has to end the process
   * before the signal is raised again without this listener, in milliseconds. Defaults to 1000.
   */
  graceMs?: number;
  /**
   * Whether anything waits to be written; `beforeExit` flushes only then (a flush keeps the loop alive, so
   * `beforeExit` comes again after it). Defaults to flushing on every other `beforeExit`.
   */
  pending?: () => boolean;
  /** Where a failed or timed-out flush is reported. Defaults to `console`. */
  logger?: { error(message: string, meta?: Record<string, unknown>): void };
}

/** Removes the handlers {@link flushOnExit} installed. */
export type RemoveFlushOnExit = () => void;

const FLUSH_ON_EXIT_OPTIONS = optionNames<FlushOnExitOptions>()('signals', 'timeoutMs', 'graceMs', 'pending', 'logger');

/**
 * Flushes with `flush()` on SIGTERM, SIGINT and `beforeExit`, without swallowing the host's own handling
 * of them (see the file comment). Returns a function that removes the handlers.
 */
export function flushOnExit(flush: () => Promise<void>, given?: FlushOnExitOptions): RemoveFlushOnExit {
  if (typeof flush !== 'function') throw new TypeError('flushOnExit(flush): flush must be a function returning a promise, such as () => feeds.flush().');
  const options = readOptions('flushOnExit', given, FLUSH_ON_EXIT_OPTIONS, '{ timeoutMs: 5000 }');
  const signals = options.signals ?? (['SIGTERM', 'SIGINT'] as const);
  const timeoutMs = options.timeoutMs ?? 5000;
  const graceMs = options.graceMs ?? 1000;
  const logger = options.logger ?? console;
  let running: Promise<void> | undefined;

  function bounded(): Promise<void> {
    running ??= (async () => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          flush(),
          new Promise<void>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`the flush took longer than ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
      } catch (err) {
        logger.error(`package-deployments: queued records could not all be written before exit: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        clearTimeout(timer);
        running = undefined;
      }
    })();
    return running;
  }

  const handlers = new Map<NodeJS.Signals, () => void>();
  // While a signal's flush runs with a host that listens too, its exit calls are held here.
  let holding: { exit: typeof process.exit; held: boolean; code?: number | string | null } | undefined;

  for (const signal of signals) {
    const handler = () => {
      if (holding) return; // a second signal during the flush: the first one's handling stands
      const hostListens = process.listeners(signal).some((l) => l !== handler);
      if (!hostListens) {
        void bounded().then(() => {
          remove();
          process.kill(process.pid, signal);
        });
        return;
      }
      // The host handles the signal: hold an exit it makes during the flush, then make it.
      const hold = { exit: process.exit, held: false, code: undefined as number | string | null | undefined };
      holding = hold;
      process.exit = ((code?: number | string | null) => {
        hold.held = true;
        hold.code = code ?? process.exitCode;
        return undefined as never;
      }) as typeof process.exit;
      void bounded().then(() => {
        process.exit = hold.exit;
        holding = undefined;
        if (hold.held) {
          hold.exit.call(process, hold.code as number | undefined);
          return;
        }
        setTimeout(() => {
          remove();
          process.kill(process.pid, signal);
        }, graceMs).unref();
      });
    };
    handlers.set(signal, handler);
    process.on(signal, handler);
  }
  let flushedLastTime = false;
  const onBeforeExit = () => {
    if (running) return;
    if (options.pending ? !options.pending() : flushedLastTime) {
      flushedLastTime = false;
      return;
    }
    flushedLastTime = true;
    void bounded();
  };
  process.on('beforeExit', onBeforeExit);

  function remove(): void {
    for (const [signal, handler] of handlers) process.removeListener(signal, handler);
    process.removeListener('beforeExit', onBeforeExit);
  }
  return remove;
}
