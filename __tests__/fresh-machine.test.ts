/**
 * A fresh machine without Chromium passes `npm test`; CI without Chromium fails. Proven by running jest
 * itself, in a child process, on a browser suite with the helper pointed at an executable that does not
 * exist (PD_TEST_CHROMIUM), once as a developer would (no CI) and once as CI does (CI=true).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
const MISSING = join(ROOT, 'no-such-dir', 'chromium');

function jestOn(file: string, env: Record<string, string>) {
  const clean: NodeJS.ProcessEnv = { ...process.env };
  // The child decides from its own environment alone: no CI, no database URLs, no Jest worker state.
  for (const name of ['CI', 'PD_TEST_POSTGRES_URL', 'PD_TEST_MYSQL_URL', 'JEST_WORKER_ID']) delete clean[name];
  const result = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), '--runTestsByPath', file, '--colors=false'], {
    cwd: ROOT,
    env: { ...clean, PD_TEST_CHROMIUM: MISSING, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
}

describe('browser suites on a machine without Chromium', () => {
  it('without CI: say loudly they did not run, why and how to run them, skip, and the run passes', () => {
    const { status, output } = jestOn('__tests__/history-page.test.ts', {});
    expect(output).toContain('BROWSER SUITE NOT RUN: "the History page"');
    expect(output).toContain(`no Chromium executable at ${MISSING}`);
    expect(output).toContain('apt-get install chromium');
    expect(output).toContain('PD_TEST_CHROMIUM');
    // The browser tests are reported skipped, not passed; the file's other tests still ran and passed.
    expect(output).toMatch(/Tests:\s+\d+ skipped, \d+ passed, \d+ total/);
    expect(output).toMatch(/✓ escapes what it is given/);
    expect(output).not.toMatch(/✓ shows running now/);
    expect(status).toBe(0);
  }, 150_000);

  it('with CI=true: the run fails, naming the missing executable', () => {
    const { status, output } = jestOn('__tests__/history-page.test.ts', { CI: 'true' });
    expect(output).toContain(`CI=true but the browser suite "the History page" cannot run: no Chromium executable at ${MISSING}`);
    expect(output).toMatch(/Test Suites: 1 failed/);
    expect(status).not.toBe(0);
  }, 150_000);
});
