/**
 * flushOnExit(): records queued when the process is told to stop are written first, without swallowing
 * the host's own handling of the signal (the Verdaccio plug-in uses it: Verdaccio has no shutdown hook).
 * Real child processes, real signals; the flush takes 300 ms, so only a handler that waits for it sees it end.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const HOOK = resolve(__dirname, 'helpers', 'ts-hook.js');
const CHILD = resolve(__dirname, 'helpers', 'flush-child.ts');
let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'pd-flush-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function runChild(mode: string, signal?: NodeJS.Signals): Promise<{ flushed: boolean; code: number | null; signal: NodeJS.Signals | null }> {
  const marker = join(dir, `${mode}-${signal ?? 'none'}`);
  const child = spawn(process.execPath, ['-r', HOOK, CHILD, marker, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  await new Promise<void>((ready) => child.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('ready')) ready(); }));
  if (signal) child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const [code, sig] = await exited;
  clearTimeout(timer);
  return { flushed: existsSync(marker), code, signal: sig };
}

describe('flushOnExit()', () => {
  it('control: without it, SIGTERM ends the process before the flush', async () => {
    expect(await runChild('none', 'SIGTERM')).toEqual({ flushed: false, code: null, signal: 'SIGTERM' });
  });
  it.each(['SIGTERM', 'SIGINT'] as const)('alone: flushes on %s, then ends by that signal as it would have', async (signal) => {
    expect(await runChild('alone', signal)).toEqual({ flushed: true, code: null, signal });
  });
  it("the host's own handler still runs: its process.exit(7) waits for the flush and keeps its code", async () => {
    expect(await runChild('host-exits', 'SIGTERM')).toEqual({ flushed: true, code: 7, signal: null });
  });
  it('a passive listener (as signal-exit, which Verdaccio loads) still ends the process after the flush', async () => {
    expect(await runChild('watcher', 'SIGTERM')).toEqual({ flushed: true, code: null, signal: 'SIGTERM' });
  });
  it('beforeExit: a process whose loop runs dry flushes what is pending, then exits 0', async () => {
    expect(await runChild('before-exit')).toEqual({ flushed: true, code: 0, signal: null });
  });
});
