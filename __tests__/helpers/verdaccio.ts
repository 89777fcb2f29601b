/**
 * A real Verdaccio 6 (the devDependency) on 127.0.0.1, a free port and a temporary folder, with or
 * without the package-deployments plug-in. The plug-in is loaded the way the README tells users to:
 * `plugins: ./plugins` and a one-line `plugins/verdaccio-package-deployments/index.js`; here that line
 * requires the TypeScript source through the test ts-hook (tests use `lib/`, never `dist/`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const TS_HOOK = join(ROOT, '__tests__', 'helpers', 'ts-hook.js');

export interface RunningVerdaccio {
  url: string;
  port: number;
  process: ChildProcess;
  /** Everything Verdaccio printed, for failure messages. */
  output(): string;
  /** Sends `signal` and resolves with how the process ended. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A port free right now on 127.0.0.1 (the OS picks it). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/**
 * Writes config.yaml (and the plug-in shim when `middleware` is given) into `dir`. `shared` points a
 * second Verdaccio at the first one's storage and users (same packages, same token secret).
 */
export function writeVerdaccioConfig(dir: string, middleware: string | undefined, shared?: { storage: string; htpasswd: string }): string {
  mkdirSync(join(dir, 'storage'), { recursive: true });
  const pluginDir = join(dir, 'plugins', 'verdaccio-package-deployments');
  mkdirSync(pluginDir, { recursive: true });
  writeFileSync(
    join(pluginDir, 'index.js'),
    `require(${JSON.stringify(TS_HOOK)});\nmodule.exports = require(${JSON.stringify(join(ROOT, 'lib', 'verdaccio', 'index.ts'))});\n`,
  );
  const config = [
    `storage: ${JSON.stringify(shared?.storage ?? './storage')}`,
    'plugins: ./plugins',
    'auth:',
    '  htpasswd:',
    `    file: ${JSON.stringify(shared?.htpasswd ?? './htpasswd')}`,
    '    max_users: 100',
    'uplinks: {}',
    'packages:',
    "  '@*/*':",
    '    access: $authenticated',
    '    publish: $authenticated',
    "  '**':",
    '    access: $all',
    '    publish: $authenticated',
    'log: { type: stdout, format: json, level: warn }',
    middleware ? `middlewares:\n${middleware}` : '',
  ].join('\n');
  const file = join(dir, 'config.yaml');
  writeFileSync(file, `${config}\n`);
  return file;
}

/** Starts Verdaccio with `configFile` and waits until `/-/ping` answers. */
export async function startVerdaccio(configFile: string, env: NodeJS.ProcessEnv = {}): Promise<RunningVerdaccio> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(ROOT, 'node_modules', 'verdaccio', 'bin', 'verdaccio'), '--config', configFile, '--listen', `127.0.0.1:${port}`], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Verdaccio exited (${child.exitCode}) before it answered:\n${output}`);
    try {
      const res = await fetch(`${url}/-/ping`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`Verdaccio did not answer /-/ping within 60 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    port,
    process: child,
    output: () => output,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode };
      const ended = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const [code, sig] = await ended;
      clearTimeout(timer);
      return { code, signal: sig };
    },
  };
}

/** Creates a Verdaccio user (as `npm adduser` does) and answers its token. */
export async function addUser(url: string, name: string, password: string): Promise<string> {
  const res = await fetch(`${url}/-/user/org.couchdb.user:${encodeURIComponent(name)}`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name, password, type: 'user', roles: [], date: new Date().toISOString() }),
  });
  const body = (await res.json()) as { token?: string };
  if (res.status !== 201 || !body.token) throw new Error(`adding user ${name} failed: ${res.status} ${JSON.stringify(body)}`);
  return body.token;
}
