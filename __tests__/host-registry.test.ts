/**
 * The library inside a root-mounted package registry (issue 12, problems 3 to 5), on every database:
 * - it never answers a URL it does not own: npm's `deployments` package (`/deployments/-/deployments-1.0.0.tgz`)
 *   reaches the host, and an error the host raised before the router is the host's to answer;
 * - the host's login (`req.user`, or the `principal` option) is honoured by the record endpoint, the
 *   read API and the History page;
 * - npm scopes: `PackageName=@acme/widget` is stored as the download of the same package is,
 *   `package=@acme/widget` reads it, the History page takes `@acme/widget` in its path, and the CSV
 *   export writes `@acme` as it is while still guarding real formulas.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import {
  apiKeyAuth,
  createDeploymentRouter,
  createKnexStore,
  feedDeployments,
  npmLayout,
  type DeploymentRouterOptions,
  type KnexDeploymentStore,
} from '../lib';
import { csvCell } from '../lib/read/export';
import { createTestDatabase, databaseIds, type DatabaseId, type TestDatabase } from './helpers/databases';
import { listen, type RunningServer } from './helpers/http';
import { memoryLogger } from './helpers/fixtures';

const KEY = 'registry-key-0001';
const TARBALL = Buffer.from('pretend this is deployments-1.0.0.tgz');
const HEADERS = {
  'X-ProGet-Deployment-Application': 'Ansible',
  'X-ProGet-Deployment-Description': 'rollout',
  'X-ProGet-Deployment-Target': 'web-01',
};

/** A registry at the root: Bearer tokens log users in (req.user), tarballs at npm's URLs, the library mounted at `/`. */
function registry(store: KnexDeploymentStore, options: Partial<DeploymentRouterOptions> = {}) {
  const logger = memoryLogger();
  const router = createDeploymentRouter({ store, auth: apiKeyAuth({ keys: [{ name: 'ci', key: KEY }] }), logger, ...options });
  const feed = feedDeployments({ store, auth: router.auth, events: router.events, layouts: npmLayout({ prefix: '/', feed: 'registry' }), logger });
  const app = express();
  app.use((req: Request, _res, next) => {
    const bearer = /^Bearer (\w+)$/.exec(req.headers.authorization ?? '');
    if (bearer) (req as Request & { user?: unknown }).user = { name: bearer[1] };
    next();
  });
  // A host middleware that fails some requests before the library sees them (as a registry's own
  // body parser or login may).
  app.use((req, _res, next) => {
    if (req.headers['x-host-fails']) next(Object.assign(new Error('host says no'), { status: 418 }));
    else next();
  });
  app.use(feed);
  app.use(router);
  app.get('/:name/-/:file', (_req, res) => {
    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('X-Host', 'tarball');
    res.end(TARBALL);
  });
  app.get('/@:scope/:name/-/:file', (_req, res) => {
    res.setHeader('X-Host', 'tarball');
    res.end(TARBALL);
  });
  app.get('/:name', (req, res) => res.json({ name: req.params.name, host: true }));
  app.put('/:name', express.json(), (req, res) => res.status(201).json({ published: req.params.name }));
  app.use((req: Request, res: Response, _next: NextFunction) => res.status(404).json({ host: 'not found', path: req.path }));
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  app.use((err: { status?: number; message: string }, _req: Request, res: Response, _next: NextFunction) => {
    res.status(err.status ?? 500).json({ hostError: err.message });
  });
  return { app, router, feed, logger };
}

describe.each(databaseIds())('a root-mounted registry on %s', (id: DatabaseId) => {
  let db: TestDatabase;
  let store: KnexDeploymentStore;
  let server: RunningServer;
  let parts: ReturnType<typeof registry>;

  beforeAll(async () => {
    db = await createTestDatabase(id);
    store = createKnexStore({ knex: db.knex });
    await store.init();
    parts = registry(store);
    server = await listen(parts.app);
  });
  afterAll(async () => {
    await server.close();
    await parts.feed.close();
    await parts.router.close();
    await store.close();
    await db.destroy();
  });
  beforeEach(async () => {
    await db.knex('package_deployments').del();
  });

  describe('problem 3: it never takes a URL it does not answer', () => {
    it('the package named "deployments" publishes, reads and downloads through the host', async () => {
      const put = await fetch(`${server.url}/deployments`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'deployments' }) });
      expect(put.status).toBe(201);
      expect(await put.json()).toEqual({ published: 'deployments' });
      const meta = await fetch(`${server.url}/deployments`);
      expect(await meta.json()).toEqual({ name: 'deployments', host: true });
      const tgz = await fetch(`${server.url}/deployments/-/deployments-1.0.0.tgz`);
      expect(tgz.status).toBe(200);
      expect(tgz.headers.get('x-host')).toBe('tarball');
      expect(Buffer.from(await tgz.arrayBuffer())).toEqual(TARBALL);
    });

    it('the default History path is under /-/, where no npm package can be', async () => {
      await fetch(`${server.url}/api/package-deployment/`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-ApiKey': KEY },
        body: JSON.stringify({ Application: 'a', Description: '', Target: 't', FeedName: 'registry', PackageName: 'deployments', Version: '1.0.0' }),
      });
      const page = await fetch(`${server.url}/-/deployments/registry/deployments?key=${KEY}`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await page.text()).toContain('<span class="package">deployments</span>');
    });

    it('with historyPath "/deployments" set on purpose, npm tarball paths still fall through to the host', async () => {
      const own = registry(store, { historyPath: '/deployments' });
      const s = await listen(own.app);
      try {
        const tgz = await fetch(`${s.url}/deployments/-/deployments-1.0.0.tgz`);
        expect(tgz.status).toBe(200);
        expect(tgz.headers.get('x-host')).toBe('tarball');
        // A publish the host refused before the library saw it (npm saw "500 stream is not readable").
        const refused = await fetch(`${s.url}/deployments`, { method: 'PUT', headers: { 'X-Host-Fails': '1', 'Content-Type': 'application/json' }, body: '{}' });
        expect(refused.status).toBe(418);
        expect(await refused.json()).toEqual({ hostError: 'host says no' });
        // npm's "version of a package" URL, which this host does not serve: the host's own 404.
        const version = await fetch(`${s.url}/deployments/1.0.0`);
        expect(version.status).toBe(404);
        expect(await version.json()).toEqual({ host: 'not found', path: '/deployments/1.0.0' });
      } finally {
        await s.close();
        await own.feed.close();
        await own.router.close();
      }
    });

    it('an error the host raised before the router is answered by the host, not by the library', async () => {
      for (const path of ['/-/deployments/registry/deployments', '/api/package-deployment', '/api/package-deployment/current']) {
        const res = await fetch(`${server.url}${path}`, { headers: { 'X-Host-Fails': '1' } });
        expect(res.status).toBe(418);
        expect(await res.json()).toEqual({ hostError: 'host says no' });
      }
      const post = await fetch(`${server.url}/api/package-deployment/`, { method: 'POST', headers: { 'X-Host-Fails': '1', 'Content-Type': 'application/json' }, body: '{}' });
      expect(post.status).toBe(418);
    });

    it('the library still answers its own errors as text', async () => {
      const res = await fetch(`${server.url}/api/package-deployment/`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-ApiKey': KEY }, body: '{' });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    });
  });

  describe("problem 4: the host's login is honoured", () => {
    const body = JSON.stringify({ Application: 'npm', Description: '', Target: 'web-02', FeedName: 'registry', PackageName: 'left-pad', Version: '1.3.0' });

    it('a logged-in user records without an API key, as themself', async () => {
      const res = await fetch(`${server.url}/api/package-deployment/`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: 'Bearer alice' }, body });
      expect(res.status).toBe(200);
      const [row] = await db.knex('package_deployments').select('user_name');
      expect(row.user_name).toBe('alice');
    });

    it('a logged-in user reads the API and the History page', async () => {
      await fetch(`${server.url}/api/package-deployment/`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: 'Bearer alice' }, body });
      const read = await fetch(`${server.url}/api/package-deployment?feed=registry&package=left-pad`, { headers: { Authorization: 'Bearer bob' } });
      expect(read.status).toBe(200);
      expect(((await read.json()) as { records: unknown[] }).records).toHaveLength(1);
      const page = await fetch(`${server.url}/-/deployments/registry/left-pad`, { headers: { Authorization: 'Bearer bob' } });
      expect(page.status).toBe(200);
    });

    it('anonymous callers are still refused, and an API key still works', async () => {
      const anon = await fetch(`${server.url}/api/package-deployment/`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
      expect(anon.status).toBe(403);
      expect(await fetch(`${server.url}/api/package-deployment?feed=registry`).then((r) => r.status)).toBe(403);
      const keyed = await fetch(`${server.url}/api/package-deployment/`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-ApiKey': KEY }, body });
      expect(keyed.status).toBe(200);
    });

    it('apiKeyAuth({ authorizeUser }) decides what host users may do; principal: () => null turns the host login off', async () => {
      for (const options of [
        { auth: apiKeyAuth({ keys: [], authorizeUser: (p, privilege) => p.name === 'alice' && privilege === 'Feeds_ViewPackage' }) },
        { principal: () => null },
      ] as Partial<DeploymentRouterOptions>[]) {
        const own = registry(store, options);
        const s = await listen(own.app);
        try {
          const res = await fetch(`${s.url}/api/package-deployment/`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: 'Bearer alice' }, body });
          expect(res.status).toBe(403);
        } finally {
          await s.close();
          await own.feed.close();
          await own.router.close();
        }
      }
      expect(await db.knex('package_deployments').count({ n: '*' }).then(([r]) => Number(r!.n))).toBe(0);
    });
  });

  describe('problem 5: npm scopes on the read side', () => {
    async function recordBoth(): Promise<void> {
      const post = await fetch(`${server.url}/api/package-deployment/`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-ApiKey': KEY },
        body: new URLSearchParams({ Application: 'Deployer', Description: '', Target: 'web-01', FeedName: 'registry', PackageName: '@acme/widget', Version: '1.0.0' }).toString(),
      });
      expect(post.status).toBe(200);
      const download = await fetch(`${server.url}/@acme/widget/-/widget-1.1.0.tgz`, { headers: { ...HEADERS, 'X-ApiKey': KEY } });
      expect(download.status).toBe(200);
      await download.arrayBuffer();
      await parts.feed.flush();
    }

    it('a POST of PackageName=@acme/widget is stored as the download of the same package is', async () => {
      await recordBoth();
      const rows = await db.knex('package_deployments').select('group_name', 'package_name', 'version').orderBy('version');
      expect(rows).toEqual([
        { group_name: '@acme', package_name: 'widget', version: '1.0.0' },
        { group_name: '@acme', package_name: 'widget', version: '1.1.0' },
      ]);
    });

    it('package=@acme/widget reads group @acme, package widget (history and current)', async () => {
      await recordBoth();
      const history = (await (await fetch(`${server.url}/api/package-deployment?feed=registry&package=${encodeURIComponent('@acme/widget')}&key=${KEY}`)).json()) as { records: { Version: string }[] };
      expect(history.records.map((r: { Version: string }) => r.Version)).toEqual(['1.1.0', '1.0.0']);
      const current = (await (await fetch(`${server.url}/api/package-deployment/current?feed=registry&package=@acme/widget&key=${KEY}`)).json()) as { records: unknown[] };
      expect(current.records).toHaveLength(1);
      expect(current.records[0]).toMatchObject({ GroupName: '@acme', PackageName: 'widget', Version: '1.1.0' });
    });

    it('the History page takes the scope in its path, encoded or not, with or without a version', async () => {
      await recordBoth();
      for (const path of ['@acme/widget', '@acme%2fwidget', '%40acme%2Fwidget', '@acme/widget/1.0.0']) {
        const res = await fetch(`${server.url}/-/deployments/registry/${path}?key=${KEY}`);
        expect(res.status).toBe(200);
        const html = await res.text();
        expect(html).toContain('group <strong>@acme</strong>');
        expect(html).toContain('<span class="target">web-01</span>');
      }
      const one = await (await fetch(`${server.url}/-/deployments/registry/@acme/widget/1.0.0?key=${KEY}`)).text();
      expect(one).not.toContain('<td class="version">1.1.0</td>');
    });

    it('the CSV export writes @acme as it is, and still guards real formulas', async () => {
      await recordBoth();
      const csv = await (await fetch(`${server.url}/api/package-deployment?feed=registry&package=@acme/widget&format=csv&key=${KEY}`)).text();
      const rows = csv.trim().split('\r\n').slice(1);
      expect(rows).toHaveLength(2);
      for (const row of rows) expect(row.split(',')[3]).toBe('@acme');
      expect(csvCell('@acme/widget')).toBe('@acme/widget');
      expect(csvCell('@SUM(1+1)*cmd|" /C calc"!A0')).toBe(`"'@SUM(1+1)*cmd|"" /C calc""!A0"`);
      expect(csvCell('=1+1')).toBe("'=1+1");
      expect(csvCell('@A1 ')).toBe(`"'@A1 "`);
    });
  });
});
