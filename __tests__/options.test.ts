/**
 * The one options layer: every public factory refuses an unknown option name with an OptionsError that
 * names the factory and the closest valid option, reads its options once, and refuses wrong types with
 * `invalid_option` naming the option.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  OptionsError,
  anonymousAuth,
  apiKeyAuth,
  createDeploymentRouter,
  createKnexApiKeyStore,
  createKnexStore,
  createSqliteKnex,
  createValidator,
  customAuth,
  customLayout,
  feedDeployments,
  flushOnExit,
  helmLayout,
  openApiDocument,
  mavenLayout,
  migrateApiKeyStore,
  migrateDeploymentStore,
  npmLayout,
  nugetV2Layout,
  nugetV3Layout,
  packagesApiLayout,
  pendingMigrations,
  pypiLayout,
  rollbackApiKeyStore,
  rollbackDeploymentStore,
  routeParamsLayout,
  upackLayout,
  validateDeployment,
} from '../lib';

/** Calls `fn`, expecting it to throw (or reject with) an OptionsError; returns it. */
async function refusal(fn: () => unknown): Promise<OptionsError> {
  let thrown: unknown;
  try {
    await fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(OptionsError);
  expect(thrown).toBeInstanceOf(TypeError);
  return thrown as OptionsError;
}

const authenticate = () => null;
const noKnex = createSqliteKnex(':memory:');
afterAll(() => noKnex.destroy());

/** [what was called, the call, factory named, option at fault, suggestion] */
const TYPOS: Array<[string, () => unknown, string, string, string]> = [
  ['createKnexStore({ filenam })', () => createKnexStore({ filenam: 'x.sqlite' } as never), 'createKnexStore', 'filenam', 'filename'],
  ['apiKeyAuth({ anonymos })', () => apiKeyAuth({ keys: [], anonymos: true } as never), 'apiKeyAuth', 'anonymos', 'anonymous'],
  ['createKnexApiKeyStore({ migrat })', () => createKnexApiKeyStore({ migrat: false } as never), 'createKnexApiKeyStore', 'migrat', 'migrate'],
  ['npmLayout({ prefx })', () => npmLayout({ prefx: '/npm/:feed' } as never), 'npmLayout', 'prefx', 'prefix'],
  ['createDeploymentRouter({ fedds })', () => createDeploymentRouter({ auth: anonymousAuth(), fedds: ['a'] } as never), 'createDeploymentRouter', 'fedds', 'feeds'],
  ['feedDeployments({ loger })', () => feedDeployments({ loger: console } as never), 'feedDeployments', 'loger', 'logger'],
  ['anonymousAuth({ privilges })', () => anonymousAuth({ privilges: [] } as never), 'anonymousAuth', 'privilges', 'privileges'],
  ['customAuth({ authorise })', () => customAuth({ authenticate, authorise: () => true } as never), 'customAuth', 'authorise', 'authorize'],
  ['upackLayout({ fed })', () => upackLayout({ fed: 'x' } as never), 'upackLayout', 'fed', 'feed'],
  ['packagesApiLayout({ prefixx })', () => packagesApiLayout({ prefixx: '/x/:feed' } as never), 'packagesApiLayout', 'prefixx', 'prefix'],
  ['nugetV2Layout({ Prefix })', () => nugetV2Layout({ Prefix: '/x/:feed' } as never), 'nugetV2Layout', 'Prefix', 'prefix'],
  ['nugetV3Layout({ prefx })', () => nugetV3Layout({ prefx: '/x/:feed' } as never), 'nugetV3Layout', 'prefx', 'prefix'],
  ['mavenLayout({ skipExtension })', () => mavenLayout({ skipExtension: ['pom'] } as never), 'mavenLayout', 'skipExtension', 'skipExtensions'],
  ['pypiLayout({ prefx })', () => pypiLayout({ prefx: '/x/:feed' } as never), 'pypiLayout', 'prefx', 'prefix'],
  ['helmLayout({ feeds })', () => helmLayout({ feeds: 'x' } as never), 'helmLayout', 'feeds', 'feed'],
  ['routeParamsLayout({ param })', () => routeParamsLayout({ param: {} } as never), 'routeParamsLayout', 'param', 'params'],
  ['routeParamsLayout({ params: { nam } })', () => routeParamsLayout({ params: { nam: 'id' } } as never), 'routeParamsLayout: params', 'nam', 'name'],
  ['customLayout(fn, { feedtype })', () => customLayout(() => undefined, { feedtype: 'x' } as never), 'customLayout', 'feedtype', 'feedType'],
  ['createValidator({ limit })', () => createValidator({ limit: {} } as never), 'createValidator', 'limit', 'limits'],
  ['createValidator({ limits: { Targte } })', () => createValidator({ limits: { Targte: 10 } } as never), 'createValidator', 'limits.Targte', 'Target'],
  ['validateDeployment(x, { recievedAt })', () => validateDeployment({}, { recievedAt: new Date() } as never), 'validateDeployment', 'recievedAt', 'receivedAt'],
  ['apiKeyAuth({ keys: [{ feed }] })', () => apiKeyAuth({ keys: [{ name: 'ci', key: 'k'.repeat(16), feed: ['a'] }] } as never), 'apiKeyAuth: keys[0]', 'feed', 'feeds'],
  ['apiKeyAuth({ anonymous: { privilege } })', () => apiKeyAuth({ keys: [], anonymous: { privilege: [] } } as never), 'apiKeyAuth: anonymous', 'privilege', 'privileges'],
  ['migrateDeploymentStore(knex, { lockTimeout })', () => migrateDeploymentStore(noKnex, { lockTimeout: 5 } as never), 'migrateDeploymentStore', 'lockTimeout', 'lockTimeoutMs'],
  ['rollbackDeploymentStore(knex, { al })', () => rollbackDeploymentStore(noKnex, { al: true } as never), 'rollbackDeploymentStore', 'al', 'all'],
  ['migrateApiKeyStore(knex, { lockTimeout })', () => migrateApiKeyStore(noKnex, { lockTimeout: 5 } as never), 'migrateApiKeyStore', 'lockTimeout', 'lockTimeoutMs'],
  ['flushOnExit(flush, { timeout })', () => flushOnExit(async () => undefined, { timeout: 100 } as never), 'flushOnExit', 'timeout', 'timeoutMs'],
  ['openApiDocument({ webhook })', () => openApiDocument({ webhook: true } as never), 'openApiDocument', 'webhook', 'webhooks'],
  ['rollbackApiKeyStore(knex, { al })', () => rollbackApiKeyStore(noKnex, { al: true } as never), 'rollbackApiKeyStore', 'al', 'all'],
];

describe('an unknown option name', () => {
  test.each(TYPOS)('%s throws naming the factory and the closest valid option', async (_what, call, factory, option, suggestion) => {
    const error = await refusal(call);
    expect(error.code).toBe('unknown_option');
    expect(error.factory).toBe(factory);
    expect(error.option).toBe(option.replace(/^limits\./, 'limits.'));
    expect(error.suggestion).toBe(suggestion);
    expect(error.message).toContain(`${factory}:`);
    expect(error.message).toContain(`Did you mean "${suggestion}"?`);
  });

  test('a name nothing like a valid one lists the valid ones, with no guess', async () => {
    const error = await refusal(() => createKnexStore({ connectionString: 'postgres://x' } as never));
    expect(error.suggestion).toBeUndefined();
    expect(error.message).not.toContain('Did you mean');
    expect(error.message).toContain('Known options: knex, filename, migrate, versionSchemes, defaultVersionScheme, timeouts, logger.');
  });

  test('createKnexStore({ filenam }) creates no database file on its way to throwing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pd-options-'));
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      await refusal(() => createKnexStore({ filenam: 'x.sqlite' } as never));
      expect(existsSync(join(dir, 'package-deployments.sqlite'))).toBe(false);
      expect(existsSync(join(dir, 'x.sqlite'))).toBe(false);
    } finally {
      process.chdir(cwd);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a wrong value', () => {
  const WRONG: Array<[string, () => unknown, string, string]> = [
    ['createKnexStore({ knex: {} })', () => createKnexStore({ knex: {} } as never), 'createKnexStore', 'knex'],
    ['createKnexStore({ migrate: "no" })', () => createKnexStore({ migrate: 'no' } as never), 'createKnexStore', 'migrate'],
    ['createKnexStore({ knex, filename })', () => createKnexStore({ knex: noKnex, filename: 'x.sqlite' }), 'createKnexStore', 'filename'],
    ['createKnexApiKeyStore({ knex: "pg" })', () => createKnexApiKeyStore({ knex: 'pg' } as never), 'createKnexApiKeyStore', 'knex'],
    ['apiKeyAuth({ keys: "k" })', () => apiKeyAuth({ keys: 'k' } as never), 'apiKeyAuth', 'keys'],
    ['apiKeyAuth({ keys: [{ key: short }] })', () => apiKeyAuth({ keys: [{ name: 'ci', key: 'short' }] }), 'apiKeyAuth', 'keys[0].key'],
    ['apiKeyAuth({ anonymous: "yes" })', () => apiKeyAuth({ keys: [], anonymous: 'yes' } as never), 'apiKeyAuth', 'anonymous'],
    ['anonymousAuth({ feeds: "a" })', () => anonymousAuth({ feeds: 'a' } as never), 'anonymousAuth', 'feeds'],
    ['customAuth({ authenticate: 1 })', () => customAuth({ authenticate: 1 } as never), 'customAuth', 'authenticate'],
    ['npmLayout({ prefix: "npm" })', () => npmLayout({ prefix: 'npm' }), 'npmLayout', 'prefix'],
    ['createDeploymentRouter({ historyPath: 3 })', () => createDeploymentRouter({ auth: anonymousAuth(), historyPath: 3 } as never), 'createDeploymentRouter', 'historyPath'],
    ['createDeploymentRouter({ logger: {} })', () => createDeploymentRouter({ auth: anonymousAuth(), logger: {} } as never), 'createDeploymentRouter', 'options.logger'],
    ['createDeploymentRouter({ retryAfterSeconds: -1 })', () => createDeploymentRouter({ auth: anonymousAuth(), retryAfterSeconds: -1 }), 'createDeploymentRouter', 'retryAfterSeconds'],
    ['createDeploymentRouter({ feeds: "a" })', () => createDeploymentRouter({ auth: anonymousAuth(), feeds: 'a' } as never), 'createDeploymentRouter', 'feeds'],
    ['feedDeployments({ strict: "yes" })', () => feedDeployments({ strict: 'yes' } as never), 'feedDeployments', 'strict'],
    ['feedDeployments({ enabled: 1 })', () => feedDeployments({ enabled: 1 } as never), 'feedDeployments', 'enabled'],
    ['feedDeployments({ limits: { Target: 0 } })', () => feedDeployments({ limits: { Target: 0 } }), 'feedDeployments', 'limits.Target'],
    ['migrateDeploymentStore("knex")', () => migrateDeploymentStore('knex' as never), 'migrateDeploymentStore', 'knex'],
    ['pendingMigrations(undefined)', () => pendingMigrations(undefined as never), 'pendingMigrations', 'knex'],
  ];
  test.each(WRONG)('%s throws invalid_option naming the option', async (_what, call, factory, option) => {
    const error = await refusal(call);
    expect(error.code).toBe('invalid_option');
    expect(error.factory).toBe(factory);
    expect(error.option).toBe(option);
    expect(error.message).toContain(factory);
  });

  test('a factory that needs options says so with missing_option', async () => {
    expect((await refusal(() => createDeploymentRouter(undefined as never))).code).toBe('missing_option');
    expect((await refusal(() => apiKeyAuth(undefined as never))).code).toBe('missing_option');
    expect((await refusal(() => createDeploymentRouter({}))).code).toBe('missing_option');
  });

  test('an option an earlier version took says removed_option and names its replacement', async () => {
    const router = await refusal(() => createDeploymentRouter({ auth: anonymousAuth(), groupCommit: { maxBatch: 10 } } as never));
    expect([router.code, router.option]).toEqual(['removed_option', 'groupCommit']);
    expect(router.message).toContain('batch: { maxSize }');
    const feeds = await refusal(() => feedDeployments({ queue: { batchSize: 10 } } as never));
    expect([feeds.code, feeds.option]).toEqual(['removed_option', 'queue']);
    expect(feeds.message).toContain('batch.maxSize');
  });

  test('a factory handed to app.use() uncalled says not_called', async () => {
    const req = { method: 'GET', headers: {} };
    const error = await refusal(() => (feedDeployments as unknown as (...a: unknown[]) => unknown)(req, {}, () => undefined));
    expect(error.code).toBe('not_called');
    expect(error.message).toContain('app.use(feedDeployments({ ... }))');
  });
});

describe('options are read once', () => {
  test('changing the options object after construction changes nothing', () => {
    const options = { prefix: '/npm/:feed' };
    const layout = npmLayout(options);
    options.prefix = '/elsewhere/:feed';
    const req = { originalUrl: '/npm/public/left-pad/-/left-pad-1.3.0.tgz', url: '/', params: {}, query: {} };
    expect(layout.resolve(req as never)).toEqual({ feedName: 'public', packageName: 'left-pad', version: '1.3.0' });
  });

  test('anonymousAuth() keeps reading an array of privileges as { privileges }', async () => {
    const auth = anonymousAuth(['Feeds_ViewPackage']);
    expect(await auth.authorize(null, 'Feeds_ViewPackage', 'any')).toBe(true);
    expect(await auth.authorize(null, 'Feeds_DownloadPackage', 'any')).toBe(false);
    const scoped = anonymousAuth({ feeds: ['public'] });
    expect(await scoped.authorize(null, 'Feeds_DownloadPackage', 'PUBLIC')).toBe(true);
    expect(await scoped.authorize(null, 'Feeds_DownloadPackage', 'private')).toBe(false);
  });
});
