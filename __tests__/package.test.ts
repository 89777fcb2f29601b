/**
 * The package as users get it: `npm pack`, installed into a CommonJS and an ESM consumer project, each on
 * Express 4 and Express 5, records a deployment through the router and reads it back from the store.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from './helpers/demo';

const CONSUMER = (moduleSyntax: 'cjs' | 'esm') => `
${moduleSyntax === 'cjs'
    ? "const express = require('express');\nconst pd = require('package-deployments');\nconst { createDeploymentRouter, createKnexStore, apiKeyAuth, validateDeployment } = pd;"
    : "import express from 'express';\nimport { createDeploymentRouter, createKnexStore, apiKeyAuth, validateDeployment } from 'package-deployments';"}
const main = async () => {
  const store = createKnexStore({ filename: ':memory:' });
  const app = express();
  app.use(createDeploymentRouter({ store, auth: apiKeyAuth({ keys: [{ name: 'consumer', key: 'consumer-key-1' }] }) }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.on('listening', r));
  const res = await fetch('http://127.0.0.1:' + server.address().port + '/api/package-deployment/', {
    method: 'POST',
    headers: { 'X-ApiKey': 'consumer-key-1', 'Content-Type': 'application/json' },
    body: JSON.stringify({ FeedName: 'F', Application: 'A', Description: '', Target: 'T', PackageName: 'P', Version: '1.0.0' }),
  });
  const page = await store.list({});
  server.close();
  await store.close();
  console.log(JSON.stringify({ status: res.status, stored: page.records.length, user: page.records[0] && page.records[0].userName,
    express: require_('express/package.json').version, validator: validateDeployment({}).ok }));
};
${moduleSyntax === 'cjs' ? 'const require_ = require;' : "import { createRequire } from 'node:module';\nconst require_ = createRequire(import.meta.url);"}
main().catch((e) => { console.error(e); process.exit(1); });
`;

describe('the packed package in consumer projects', () => {
  let dir: string;
  let tarball: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pd-pack-'));
    const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    tarball = join(dir, JSON.parse(out)[0].filename);
    // The SQLite driver is an optional peer dependency: consumers install it themselves. Here the repo's
    // already-built copy is found up the directory tree instead of compiling it once more.
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(join(REPO, 'node_modules', 'better-sqlite3'), join(dir, 'node_modules', 'better-sqlite3'));
    for (const dep of ['bindings', 'file-uri-to-path']) {
      symlinkSync(join(REPO, 'node_modules', dep), join(dir, 'node_modules', dep));
    }
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('ships the built library with types and nothing else of the repo', () => {
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n');
    expect(files).toContain('package/dist/index.js');
    expect(files).toContain('package/dist/index.d.ts');
    // The README links it (issue 12, problem 6): it ships.
    expect(files).toContain('package/examples/mount-existing-route.js');
    expect(files.some((f) => f.startsWith('package/__tests__') || f.startsWith('package/lib/'))).toBe(false);
    // The Verdaccio plug-in's subpath (package-deployments/verdaccio), with a default export for Verdaccio's loader.
    expect(files).toContain('package/dist/verdaccio/index.js');
    expect(files).toContain('package/dist/verdaccio/index.d.ts');
    for (const entry of ['client/index.js', 'testing/index.js', 'cli/main.js']) expect(files).toContain(`package/dist/${entry}`);
  });

  it.each(['4', '5'])('records a deployment from CommonJS and ESM on Express %s', (major) => {
    const project = join(dir, `express${major}`);
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: `consumer-express${major}`, private: true }));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball, `express@${major}`], { cwd: project, stdio: ['ignore', 'pipe', 'pipe'] });
    writeFileSync(join(project, 'consumer.cjs'), CONSUMER('cjs'));
    writeFileSync(join(project, 'consumer.mjs'), CONSUMER('esm'));
    for (const file of ['consumer.cjs', 'consumer.mjs']) {
      const result = JSON.parse(execFileSync(process.execPath, [file], { cwd: project, encoding: 'utf8' }));
      expect(result).toEqual({ status: 200, stored: 1, user: 'consumer', express: expect.stringMatching(new RegExp(`^${major}\\.`)), validator: false });
    }
  }, 240_000);
});
