/**
 * A process that queues work and is then signalled (flush-on-exit.test.ts). argv: marker file, mode.
 * The "flush" takes 300 ms and then writes the marker, so the marker proves the flush ran to its end.
 * Modes: alone (nothing else listens), host-exits (the host's own SIGTERM handler calls process.exit(7)),
 * watcher (a passive listener that, like signal-exit, kills only when it is the last one), before-exit
 * (no signal: the event loop runs dry), none (no flushOnExit at all: the control).
 */
import { writeFileSync } from 'node:fs';
import { flushOnExit } from '../../lib';

const [marker, mode] = process.argv.slice(2) as [string, string];
let pending = true;
const flush = async () => {
  if (!pending) return;
  await new Promise((r) => setTimeout(r, 300));
  writeFileSync(marker, 'flushed');
  pending = false;
};
if (mode !== 'none') flushOnExit(flush, { graceMs: 200, pending: () => pending });
if (mode === 'host-exits') process.on('SIGTERM', () => process.exit(7));
if (mode === 'watcher') {
  const watcher = () => {
    if (process.listeners('SIGTERM').length === 1) {
      process.removeListener('SIGTERM', watcher);
      process.kill(process.pid, 'SIGTERM');
    }
  };
  process.on('SIGTERM', watcher);
}
if (mode !== 'before-exit') setInterval(() => {}, 1000); // a server keeps the loop alive
process.stdout.write('ready\n');
