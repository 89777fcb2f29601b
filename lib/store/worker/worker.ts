/**
 * The worker thread of the embedded SQLite store: it owns the better-sqlite3 connections (knex's for
 * reads and migrations, one of its own for inserts) and answers the main thread's calls by method name,
 * so that no SQLite statement, and no version-range test over its rows, ever runs on the event loop that
 * serves HTTP. Async iterables (`stream`) are pulled in batches: the worker reads a batch only when the
 * main thread asks for one (backpressure), and drops the iterator when asked to (early return).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { buildKnexStore } from '../build-knex-store';
import { createSqliteKnex } from '../sqlite-knex';
import { argFromWire, errorToWire, type Reply, type Request } from './wire';
import { loggerToParent } from './log';
import type { WorkerStoreConfig } from './proxy';

const config = workerData as WorkerStoreConfig;
const port = parentPort!;
// knex's own messages go to the main thread, which hands them to the caller's `logger` (proxy.ts).
const knex = createSqliteKnex(config.filename, { busyTimeoutMs: config.busyTimeoutMs, logger: loggerToParent(port) });
// ":memory:" is one database per connection: there, inserts go through knex's connection too.
const inMemory = config.filename === '' || config.filename === ':memory:' || /mode=memory/.test(config.filename);
const store = buildKnexStore(knex, { migrate: config.migrate, owned: true, sqliteFile: inMemory ? undefined : config.filename, busyTimeoutMs: config.busyTimeoutMs, versionSchemes: config.versionSchemes, defaultVersionScheme: config.defaultVersionScheme }) as unknown as Record<string, unknown>;
const iterators = new Map<number, AsyncIterator<unknown>>();
let nextIterator = 1;

function reply(message: Reply): void {
  port.postMessage(message);
}

async function handle(req: Request): Promise<void> {
  try {
    switch (req.kind) {
      case 'call': {
        const fn = store[req.method];
        if (typeof fn !== 'function') throw new TypeError(`The SQLite store has no ${req.method}() method.`);
        const value = await (fn as (...a: unknown[]) => unknown).apply(store, req.args.map(argFromWire));
        reply({ id: req.id, ok: true, value });
        if (req.method === 'close') {
          for (const it of iterators.values()) await it.return?.();
          port.close();
        }
        return;
      }
      case 'iterate': {
        const fn = store[req.method];
        if (typeof fn !== 'function') throw new TypeError(`The SQLite store has no ${req.method}() method.`);
        const iterable = (fn as (...a: unknown[]) => AsyncIterable<unknown>).apply(store, req.args.map(argFromWire));
        const id = nextIterator++;
        iterators.set(id, iterable[Symbol.asyncIterator]());
        reply({ id: req.id, ok: true, value: id });
        return;
      }
      case 'pull': {
        const it = iterators.get(req.iterator);
        if (!it) throw new Error('The stream was already closed.');
        const items: unknown[] = [];
        let done = false;
        try {
          while (items.length < req.max) {
            const next = await it.next();
            if (next.done) {
              done = true;
              break;
            }
            items.push(next.value);
          }
        } catch (err) {
          iterators.delete(req.iterator);
          throw err;
        }
        if (done) iterators.delete(req.iterator);
        reply({ id: req.id, ok: true, items, done });
        return;
      }
      case 'return': {
        const it = iterators.get(req.iterator);
        iterators.delete(req.iterator);
        await it?.return?.();
        reply({ id: req.id, ok: true, value: undefined });
        return;
      }
    }
  } catch (err) {
    reply({ id: req.id, ok: false, error: errorToWire(err) });
  }
}

// One call at a time, in order: better-sqlite3 is synchronous anyway, and order keeps "committed before
// answered" simple to reason about.
let chain: Promise<void> = Promise.resolve();
port.on('message', (req: Request) => {
  chain = chain.then(() => handle(req));
});
