/**
 * Headless Chromium for browser tests: the Debian package at /usr/bin/chromium (never a download), kept
 * off the network. `PD_TEST_CHROMIUM` points at another executable.
 *
 * A machine without it (a fresh clone) still passes `npm test`: the browser suites say loudly that they did
 * not run, why, and how to run them, and skip. With `CI=true` a missing Chromium fails the run instead, as
 * a missing database does: CI must run every suite.
 */
import { accessSync, constants } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** The Chromium executable the browser suites use. */
export const CHROMIUM_PATH = process.env.PD_TEST_CHROMIUM || '/usr/bin/chromium';

const isCi = () => /^(1|true|yes)$/i.test(process.env.CI ?? '');

/** Why Chromium cannot run here, or `undefined` when it can. */
export function chromiumMissing(): string | undefined {
  try {
    accessSync(CHROMIUM_PATH, constants.X_OK);
    return undefined;
  } catch (err) {
    return `no Chromium executable at ${CHROMIUM_PATH} (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
  }
}

const HOW = 'Install it (Debian: apt-get install chromium) or set PD_TEST_CHROMIUM to a Chromium executable, then run npm test again.';

/**
 * `describe` for a suite that needs a browser. Without Chromium: with CI=true it throws (the test file
 * fails); otherwise it prints that the suite did not run, why and how to run it, and skips it.
 */
export function describeWithBrowser(name: string, fn: () => void): void {
  const missing = chromiumMissing();
  if (missing === undefined) {
    describe(name, fn);
    return;
  }
  if (isCi()) {
    throw new Error(`CI=true but the browser suite "${name}" cannot run: ${missing}. ${HOW}`);
  }
  process.stdout.write(`\n[package-deployments tests] BROWSER SUITE NOT RUN: "${name}": ${missing}. ${HOW}\n\n`);
  describe.skip(`${name} [not run: ${missing}]`, fn);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
