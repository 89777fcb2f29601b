/** The store's deadlines: a database that stops answering (paused, not refused) fails requests with 503 + `Retry-After`. */
import { checkOptionKeys } from '../options';

/** The deadlines of createKnexStore()'s `timeouts` option. */
export interface StoreTimeouts {
  /** Milliseconds to wait for a connection (SQLite: for the write lock). Defaults to 5000. */
  acquireMs?: number;
  /** Milliseconds a statement may run. Defaults to 10000. */
  statementMs?: number;
}

/** The defaults of {@link StoreTimeouts}. */
export const DEFAULT_STORE_TIMEOUTS: Readonly<Required<StoreTimeouts>> = Object.freeze({ acquireMs: 5000, statementMs: 10_000 });

/** The `timeouts` option with its defaults, checked (createKnexStore() throws on a mistake). */
export function resolveTimeouts(timeouts: StoreTimeouts | undefined): Required<StoreTimeouts> {
  if (timeouts === undefined) return { ...DEFAULT_STORE_TIMEOUTS };
  if (!timeouts || typeof timeouts !== 'object') throw new TypeError('createKnexStore: timeouts must be an object such as { acquireMs: 5000, statementMs: 10000 }.');
  checkOptionKeys('createKnexStore: timeouts', timeouts, Object.keys(DEFAULT_STORE_TIMEOUTS));
  const resolved = { ...DEFAULT_STORE_TIMEOUTS, ...Object.fromEntries(Object.entries(timeouts).filter(([, v]) => v !== undefined)) };
  for (const [name, value] of Object.entries(resolved)) {
    if (!Number.isInteger(value) || value < 1 || value > 3_600_000) throw new TypeError(`createKnexStore: timeouts.${name} must be a whole number of milliseconds from 1 to 3600000 (got ${String(value)}).`);
  }
  return resolved;
}

/** Fails an operation that has not settled within `ms` as unavailable (ETIMEDOUT: answered 503 + Retry-After). */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`The database did not answer ${what} within ${ms} ms (timeouts).`), { code: 'ETIMEDOUT' })), ms);
    timer.unref?.();
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
