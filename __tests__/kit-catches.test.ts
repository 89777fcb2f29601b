/**
 * The conformance kit is not vacuous: run in a separate jest (as an adapter author's project would run
 * it), it fails a store that ignores a filter and an auth adapter that treats an unknown key as
 * anonymous, naming the broken promise.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const REPO = resolve(__dirname, '..');
let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'pd-kit-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runJest(testFile: string): Promise<{ code: number; output: string }> {
  // The library's TypeScript source through ts-jest, as our own jest reads it.
  const transform = { '^.+\\.ts$': [require.resolve('ts-jest'), { tsconfig: join(REPO, 'tsconfig.json') }] };
  writeFileSync(join(dir, 'jest.config.js'), `module.exports = ${JSON.stringify({ rootDir: dir, roots: [dir, join(REPO, 'lib')], testMatch: ['**/*.kit.js'], transform })};\n`);
  writeFileSync(join(dir, 'broken.kit.js'), testFile);
  return new Promise((done) => {
    execFile(process.execPath, [join(REPO, 'node_modules', 'jest', 'bin', 'jest.js'), '--config', join(dir, 'jest.config.js'), '--ci'], { cwd: REPO, env: { ...process.env, CI: 'true' } }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, output: stdout + stderr });
    });
  });
}

const PRELUDE = `const lib = require(${JSON.stringify(join(REPO, 'lib', 'index.ts'))});
const kit = require(${JSON.stringify(join(REPO, 'lib', 'testing', 'index.ts'))});
`;

it('fails a store whose list() ignores targetPrefix', async () => {
  const { code, output } = await runJest(`${PRELUDE}
kit.runDeploymentStoreSuite('prefix-blind store', () => {
  const inner = lib.createKnexStore({ filename: ':memory:' });
  return { init: () => inner.init(), record: (d) => inner.record(d), list: ({ targetPrefix, ...q }) => inner.list(q), close: () => inner.close() };
});
`);
  expect(code).toBe(1);
  expect(output).toMatch(/✕ list\(\) filters: group/);
  expect(output).toMatch(/Tests:\s+1 failed, \d+ passed, \d+ total/); // only the broken promise fails
}, 60_000);

it('fails an auth adapter that treats an unknown key as anonymous', async () => {
  const { code, output } = await runJest(`${PRELUDE}
const keys = lib.apiKeyAuth({ keys: [{ name: 'ci', key: 'kit-record-key-01' }] });
kit.runAuthAdapterSuite('lenient auth', () => ({
  authenticate: async (c, req) => { const p = await keys.authenticate(c, req); return p === false ? null : p; },
  authorize: (p, privilege, feed) => keys.authorize(p, privilege, feed),
}), { feed: 'npm', recordKey: 'kit-record-key-01', unknownKey: 'not-a-key-000' });
`);
  expect(code).toBe(1);
  expect(output).toMatch(/✕ an unknown key is refused \(false\), never treated as anonymous \(null\)/);
  expect(output).toMatch(/Tests:\s+1 failed, \d+ passed, \d+ total/); // only the broken promise fails
}, 60_000);
