/** Starts the demo feed server (examples/demo/server.js) as a child process on a free port. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const REPO = join(__dirname, '..', '..');

/** The README, as a newcomer reads it. */
export const readme = readFileSync(join(REPO, 'README.md'), 'utf8');

/** The shell commands between two README markers (such as `<!-- demo-curl:start -->`), fences removed. */
export function readmeBlock(start: string, end: string): string {
  const from = readme.indexOf(start);
  const to = readme.indexOf(end, from);
  if (from < 0 || to < 0) throw new Error(`README has no ${start} ... ${end} section`);
  return readme.slice(from + start.length, to).replace(/```(sh)?\n|```/g, '').trim();
}

export interface RunningDemo {
  url: string;
  child: ChildProcess;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function startDemo(env: Record<string, string>, cwd: string): Promise<RunningDemo> {
  const child = spawn(process.execPath, [join(REPO, 'examples', 'demo', 'server.js')], {
    cwd,
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { out += c.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`demo did not start:\n${out}`)); }, 20_000);
    const onData = () => {
      const match = /listening on (http:\/\/localhost:\d+)/.exec(out);
      if (!match) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolve({
        url: match[1]!,
        child,
        output: () => out,
        async stop(signal = 'SIGTERM') {
          if (child.exitCode === null) child.kill(signal);
          return exited;
        },
      });
    };
    child.stdout!.on('data', onData);
    child.on('exit', () => { clearTimeout(timer); reject(new Error(`demo exited:\n${out}`)); });
  });
}
