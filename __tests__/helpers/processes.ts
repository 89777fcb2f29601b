/**
 * Child processes for tests of several processes at once: each runs a TypeScript helper script from the
 * source tree (through ts-hook.js) and talks to the test in JSON lines on stdout; the test writes lines
 * to its stdin. Every child is killed and awaited by `stop()`.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { knex as createKnex, type Knex } from 'knex';
import { createSqliteKnex } from '../../lib/store/knex-store';
import type { TestDatabase } from './databases';

export interface Child {
  readonly pid: number;
  /** The next JSON message the child writes on stdout (rejects if it exits first). */
  next<T = Record<string, unknown>>(): Promise<T>;
  /** Writes a line to the child's stdin. */
  send(line: string): void;
  /** What the child wrote on stderr so far. */
  stderr(): string;
  /** Waits for the child to exit by itself; resolves with its exit code (null if killed by a signal). */
  exited(): Promise<number | null>;
  /** SIGTERM, then waits for the exit; resolves with the exit code (null if killed by a signal). */
  stop(): Promise<number | null>;
}

/** Starts `__tests__/helpers/<script>` with `env` added to this process's environment. */
export function spawnHelper(script: string, env: Record<string, string>): Child {
  const proc: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    ['-r', join(__dirname, 'ts-hook.js'), join(__dirname, script)],
    { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let err = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (c: string) => { err += c; });
  const messages: unknown[] = [];
  const waiting: Array<{ resolve(m: unknown): void; reject(e: Error): void }> = [];
  let exited = false;
  const exit = once(proc, 'exit') as Promise<[number | null, string | null]>;
  createInterface({ input: proc.stdout }).on('line', (line) => {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      return; // not a message (a library's stray output)
    }
    const w = waiting.shift();
    if (w) w.resolve(message);
    else messages.push(message);
  });
  void exit.then(([code, signal]) => {
    exited = true;
    for (const w of waiting.splice(0)) w.reject(new Error(`${script} exited (${code ?? signal}) before answering:\n${err}`));
  });
  return {
    pid: proc.pid!,
    next<T>() {
      if (messages.length > 0) return Promise.resolve(messages.shift() as T);
      if (exited) return Promise.reject(new Error(`${script} has exited:\n${err}`));
      return new Promise<T>((resolve, reject) => waiting.push({ resolve: resolve as (m: unknown) => void, reject }));
    },
    send(line) {
      proc.stdin.write(`${line}\n`);
    },
    stderr: () => err,
    async exited() {
      const [code] = await exit;
      return code;
    },
    async stop() {
      if (!exited) proc.kill('SIGTERM');
      const [code] = await exit;
      return code;
    },
  };
}

/** The environment variable through which a child gets its database's connection config. */
export const CHILD_DB_ENV = 'PD_TEST_CHILD_DB';

/** For a child process: a knex instance on the database described by `TestDatabase.connection`. */
export function knexFromConnection(config: TestDatabase['connection']): Knex {
  if (config.client === 'better-sqlite3') return createSqliteKnex((config.connection as { filename: string }).filename);
  return createKnex({
    client: config.client,
    connection: config.connection as Knex.StaticConnectionConfig,
    searchPath: config.searchPath,
    pool: { min: 0, max: 10 },
  });
}
