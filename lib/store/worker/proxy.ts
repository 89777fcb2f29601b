/**
 * The main thread's side of the embedded SQLite store: a generic RPC proxy of the {@link DeploymentStore}
 * that runs in a worker thread (./worker.ts). Any method is forwarded by name with structured-clone
 * arguments and answers, so methods added to the knex store work through it unchanged; methods whose
 * name starts with `stream` return async iterables, pulled from the worker a batch at a time.
 *
 * Why a worker thread: better-sqlite3 is synchronous, so on the main thread every statement (an export of
 * 100,000 rows, a version range tested on each of them) stopped every other request. In a worker the
 * event loop only posts messages. The worker starts on first use and is started again after a crash;
 * every call has a deadline (`timeoutMs`), past which it fails as unavailable (503 + Retry-After).
 */
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { schemeResolver, VERSION_SCHEMES } from '../../versions/registry';
import { UNKEYED, versionKey } from '../../versions/keys';
import { packageKey } from '../../advisories/package-keys';
import type { DeploymentPage, DeploymentQuery, DeploymentRecord, DeploymentStore, Logger } from '../../types';
import { decodeCursor, encodeCursor } from '../cursor';
import { argToWire, errorFromWire, type Reply, type Request } from './wire';
import { forwardWorkerLog, isWorkerLog, type WorkerLog } from './log';

export interface WorkerStoreConfig {
  filename: string;
  migrate: boolean;
  busyTimeoutMs: number;
  /** Deadline of each call, in milliseconds. */
  timeoutMs: number;
  /** Scheme names only (the store keeps a host's functions and objects in-process). */
  versionSchemes?: Readonly<Record<string, string>>;
  defaultVersionScheme?: string;
}

/** Items per pull of a stream: one message per batch, and no more read ahead than that. */
const PULL_BATCH = 500;

/** Properties that are never store methods (promise detection, printing, test matchers). */
const NOT_METHODS = new Set(['then', 'catch', 'finally', 'toJSON', 'constructor', 'inspect', 'asymmetricMatch', 'nodeType', '$$typeof', 'toString', 'valueOf']);

/** Starts the worker from the compiled `.js`, or from the `.ts` source when running from source (tests). */
function startWorker(config: WorkerStoreConfig): Worker {
  const js = join(__dirname, 'worker.js');
  if (existsSync(js)) return new Worker(js, { workerData: config });
  const ts = join(__dirname, 'worker.ts');
  // Running from the TypeScript source (ts-jest, ts-node): transpile on load, as they do.
  const bootstrap = `
    const fs = require('node:fs');
    const ts = require('typescript');
    require.extensions['.ts'] = (module, filename) => module._compile(ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
      fileName: filename, compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    }).outputText, filename);
    require(${JSON.stringify(ts)});`;
  return new Worker(bootstrap, { eval: true, workerData: config });
}

function timeoutError(method: string, ms: number): Error {
  return Object.assign(new Error(`The SQLite store did not answer ${method}() within ${ms} ms (timeoutMs).`), { code: 'ETIMEDOUT' });
}

/** True when a query's range can be read again in the worker (a built-in scheme); else it is tested here. */
function customRange(query: unknown): boolean {
  const range = (query as DeploymentQuery | undefined)?.versionRange;
  return !!range && VERSION_SCHEMES[String(range.scheme).toLowerCase()]?.name !== range.scheme;
}

interface Channel {
  send(message: Omit<Request, 'id'>, label: string): Promise<unknown>;
  close(): Promise<void>;
}

/** One worker thread and the calls waiting for its answers; started on first use, again after a crash. */
function channel(config: WorkerStoreConfig, isClosed: () => boolean, logger: Logger): Channel {
  let worker: Worker | undefined;
  let nextId = 1;
  const calls = new Map<number, { resolve(value: unknown): void; reject(err: unknown): void }>();

  function ensureWorker(): Worker {
    if (worker) return worker;
    const w = startWorker(config);
    w.unref();
    w.on('message', (reply: Reply | WorkerLog) => {
      if (isWorkerLog(reply)) return forwardWorkerLog(reply, logger);
      const call = calls.get(reply.id);
      if (!call) return;
      calls.delete(reply.id);
      if (reply.ok) call.resolve('items' in reply ? { items: reply.items, done: reply.done } : reply.value);
      else call.reject(errorFromWire(reply.error));
    });
    const fail = (err: unknown) => {
      if (worker === w) worker = undefined;
      const error = Object.assign(new Error(`The SQLite store's worker thread stopped: ${err instanceof Error ? err.message : String(err)}`), { code: 'ECONNRESET' });
      for (const [id, call] of calls) {
        calls.delete(id);
        call.reject(error);
      }
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`exit code ${code}`)));
    worker = w;
    return w;
  }

  function send(message: Omit<Request, 'id'>, label: string): Promise<unknown> {
    if (isClosed()) return Promise.reject(new Error('The store is closed.'));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        calls.delete(id);
        reject(timeoutError(label, config.timeoutMs));
      }, config.timeoutMs);
      timer.unref();
      calls.set(id, {
        resolve: (v) => { clearTimeout(timer); resolve(v); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      });
      const w = ensureWorker();
      w.ref();
      try {
        w.postMessage({ ...message, id } as Request);
      } catch (err) {
        calls.delete(id);
        clearTimeout(timer);
        reject(err);
      }
    }).finally(() => {
      if (calls.size === 0) worker?.unref();
    });
  }

  return {
    send,
    async close() {
      const w = worker;
      if (!w) return;
      await send({ kind: 'call', method: 'close', args: [] } as Omit<Request, 'id'>, 'close').catch(() => undefined);
      worker = undefined;
      await w.terminate();
    },
  };
}

/** Methods that only read: answered by the reader thread, so that a long read never holds up a write. */
const READS = new Set(['list', 'current', 'count', 'currentOfPackage', 'listWebhookDeliveries', 'listWebhookTargets', 'summarizeWebhookDeliveries']);

/** `logger` stays on this thread: it gets the worker's log lines (knex's warnings and errors). */
export function createWorkerStore(config: WorkerStoreConfig, logger: Logger): DeploymentStore {
  let closed = false;
  const isClosed = () => closed;
  // Two threads on the same file (WAL: readers never wait for the writer): the writer owns migrations and
  // inserts; the reader answers list/count/stream. Reads wait for the writer's init (the migrations) once.
  const writer = channel(config, isClosed, logger);
  // ":memory:" is one database per connection: one thread answers everything there.
  const inMemory = config.filename === '' || config.filename === ':memory:' || /mode=memory/.test(config.filename);
  const reader = inMemory ? writer : channel({ ...config, migrate: false }, isClosed, logger);
  let writerReady: Promise<unknown> | undefined;
  const ready = () => (writerReady ??= writer.send({ kind: 'call', method: 'init', args: [] } as Omit<Request, 'id'>, 'init').catch((err) => {
    writerReady = undefined;
    throw err;
  }));

  const send = (message: Omit<Request, 'id'>, label: string) => writer.send(message, label);
  const call = (method: string, args: unknown[]) => {
    if (!READS.has(method)) return send({ kind: 'call', method, args: args.map(argToWire) } as Omit<Request, 'id'>, method);
    return ready().then(() => reader.send({ kind: 'call', method, args: args.map(argToWire) } as Omit<Request, 'id'>, method));
  };

  async function* iterate(method: string, args: unknown[]): AsyncGenerator<unknown> {
    await ready();
    const iterator = (await reader.send({ kind: 'iterate', method, args: args.map(argToWire) } as Omit<Request, 'id'>, method)) as number;
    let done = false;
    try {
      while (!done) {
        const batch = (await reader.send({ kind: 'pull', iterator, max: PULL_BATCH } as Omit<Request, 'id'>, method)) as { items: unknown[]; done: boolean };
        done = batch.done;
        yield* batch.items;
      }
    } finally {
      // The consumer stopped early (or failed): let the worker drop the iterator.
      if (!done && !closed) await reader.send({ kind: 'return', iterator } as Omit<Request, 'id'>, method).catch(() => undefined);
    }
  }

  // A range of a custom scheme (a VersionScheme object of the host) cannot be sent: it is tested here,
  // on the worker's stream of the query without it, a batch at a time.
  async function* streamFiltered(query: DeploymentQuery): AsyncGenerator<DeploymentRecord> {
    const range = query.versionRange!;
    for await (const record of iterate('stream', [{ ...query, versionRange: undefined }]) as AsyncIterable<DeploymentRecord>) {
      if (range.test(record.version)) yield record;
    }
  }
  async function listFiltered(query: DeploymentQuery): Promise<DeploymentPage> {
    const limit = query.limit ?? 100;
    if (query.cursor !== undefined) decodeCursor(query.cursor);
    const records: DeploymentRecord[] = [];
    let more = false;
    for await (const record of streamFiltered(query)) {
      if (records.length === limit) {
        more = true;
        break;
      }
      records.push(record);
    }
    const last = records[records.length - 1];
    return { records, nextCursor: more && last ? encodeCursor({ date: last.date.toISOString(), id: Number(last.id) }) : undefined };
  }

  const schemeFor = schemeResolver(config.versionSchemes, config.defaultVersionScheme);
  const local: Record<string, unknown> = {
    /** Synchronous, so answered here, with the same settings as the worker's. */
    versionKeyOf(feedName: string, version: string): string {
      const scheme = schemeFor(feedName);
      return VERSION_SCHEMES[scheme.name] === scheme ? versionKey(scheme.name, version) : UNKEYED;
    },
    versionSchemeOf: (feedName: string): string => schemeFor(feedName).name,
    packageKeyOf: (feedName: string, groupName: string, packageName: string): string => packageKey(schemeFor(feedName).name, groupName, packageName),
    async close() {
      if (closed) return;
      await Promise.all(reader === writer ? [writer.close()] : [reader.close(), writer.close()]);
      closed = true;
    },
    list: (query: DeploymentQuery) => (customRange(query) && !query.current ? listFiltered(query) : call('list', [query])),
    async count(query: DeploymentQuery) {
      if (!customRange(query) || query.current) return call('count', [query]);
      let n = 0;
      for await (const _ of streamFiltered(query)) n++;
      return n;
    },
    stream: (query: DeploymentQuery) => (customRange(query) && !query.current ? streamFiltered(query) : iterate('stream', [query])),
  };
  Object.defineProperty(local, 'knex', {
    get() {
      throw new TypeError('This store runs SQLite in a worker thread and has no knex instance on this thread. To use a knex instance of your own, create the store with createKnexStore({ knex }).');
    },
  });

  return new Proxy(local, {
    get(target, name) {
      if (typeof name !== 'string' || NOT_METHODS.has(name)) return Reflect.get(target, name);
      if (name in target) return Reflect.get(target, name);
      if (name.startsWith('stream')) return (...args: unknown[]) => iterate(name, args);
      return (...args: unknown[]) => call(name, args);
    },
  }) as unknown as DeploymentStore;
}
