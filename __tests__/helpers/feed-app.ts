/**
 * A small feed server for the feed-middleware tests: real package files (the demo's fixtures) under each
 * download layout, written without the middleware in mind. `?fail=404|500` makes a download fail;
 * `?auth=1` makes it answer a 401 challenge without an Authorization header; ETags give 304s.
 */
import express, { type Request, type RequestHandler, type Response } from 'express';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { buildFixtures } = require('../../examples/demo/fixtures.js') as { buildFixtures(): Fixtures };

interface Fixture { bytes: Buffer; type: string; version: string }
interface Fixtures { nuget: Fixture & { id: string }; npm: Fixture & { scope: string; name: string }; upack: Fixture & { group: string; name: string } }

export const FIXTURES = buildFixtures();
export const JAR = Buffer.from('PK\u0003\u0004 a pretend jar for the Maven layout', 'latin1');
export const WHEEL = Buffer.from('PK\u0003\u0004 a pretend wheel for the PyPI layout', 'latin1');
export const CHART = Buffer.from('\u001f\u008b a pretend chart archive for the Helm layout', 'latin1');

function serve(bytes: Buffer, type = 'application/octet-stream', served?: { version: string }) {
  return (req: Request, res: Response) => {
    const fail = typeof req.query.fail === 'string' ? Number(req.query.fail) : undefined;
    if (fail) {
      res.status(fail).type('text/plain').send(`failed with ${fail}\n`);
      return;
    }
    if (req.query.auth !== undefined && !req.headers.authorization) {
      res.status(401).set('WWW-Authenticate', 'Basic realm="feeds"').type('text/plain').send('Authentication required.\n');
      return;
    }
    if (served) res.locals.servedPackage = served;
    res.type(type).send(bytes);
  };
}

/** The feed app; `front` (the middleware under test) is mounted in front of every route when given. */
export function feedApp(front?: RequestHandler, setup?: (app: express.Express) => void): express.Express {
  const app = express();
  setup?.(app);
  if (front) app.use(front);
  const { nuget, npm, upack } = FIXTURES;
  app.get(/^\/upack\/[^/]+\/download\/.+$/, (req: Request, res: Response) =>
    serve(upack.bytes, upack.type, req.query.latest !== undefined ? { version: upack.version } : undefined)(req, res));
  app.get('/api/packages/:feed/download', serve(upack.bytes, upack.type));
  app.get('/nuget/:feed/package/:id/:version', serve(nuget.bytes));
  app.get('/nuget/:feed/package/:id', serve(nuget.bytes, undefined, { version: nuget.version }));
  app.get('/nuget/:feed/v3/flatcontainer/:id/:version/:file', serve(nuget.bytes));
  app.get(/^\/npm\/[^/]+\/.+\.tgz$/, serve(npm.bytes));
  app.get(/^\/maven2\/.+$/, serve(JAR, 'application/java-archive'));
  app.get(/^\/pypi\/.+$/, serve(WHEEL));
  app.get(/^\/helm\/.+$/, serve(CHART, 'application/gzip'));
  app.get('/latest-without-telling/:feed/:name', serve(nuget.bytes));
  return app;
}
