/**
 * The conformance kit (package-deployments/testing) run on our own adapters, as an adapter author runs it:
 * the knex store on every database, apiKeyAuth() and the database keys; and the README's ten-line custom
 * store, taken from the README itself.
 */
import { apiKeyAuth, createKnexApiKeyStore, createKnexStore, type KnexApiKeyStore } from '../lib';
import * as testing from '../lib/testing';
import { runAuthAdapterSuite, runDeploymentStoreSuite } from '../lib/testing';
import { createTestDatabase, databaseIds, type TestDatabase } from './helpers/databases';
import { readmeBlock } from './helpers/demo';

const opened: TestDatabase[] = [];
afterAll(async () => {
  for (const db of opened) await db.destroy();
});
async function database(id: Parameters<typeof createTestDatabase>[0]): Promise<TestDatabase> {
  const db = await createTestDatabase(id);
  opened.push(db);
  return db;
}

for (const id of databaseIds()) {
  runDeploymentStoreSuite(`createKnexStore() on ${id}`, async () => createKnexStore({ knex: (await database(id)).knex }));
}

runAuthAdapterSuite('apiKeyAuth()', () => apiKeyAuth({
  keys: [
    { name: 'ci', key: 'kit-record-key-01', feeds: ['npm'] },
    { name: 'reader', key: 'kit-read-key-0001', privileges: ['Feeds_ViewPackage'] },
  ],
  anonymous: { privileges: ['Feeds_ViewPackage'] },
}), { feed: 'npm', recordKey: 'kit-record-key-01', unknownKey: 'kit-unknown-key-1', readOnlyKey: 'kit-read-key-0001', otherFeed: 'nuget', anonymous: ['Feeds_ViewPackage'] });

const dbKeys: { record?: string; read?: string } = {};
runAuthAdapterSuite('createKnexApiKeyStore()', async () => {
  const store: KnexApiKeyStore = createKnexApiKeyStore({ knex: (await database('sqlite')).knex });
  await store.init();
  dbKeys.record = (await store.createApiKey({ name: 'ci', feeds: ['npm'] })).key;
  dbKeys.read = (await store.createApiKey({ name: 'reader', privileges: ['Feeds_ViewPackage'] })).key;
  return store;
}, {
  feed: 'npm',
  get recordKey() { return dbKeys.record!; },
  unknownKey: 'pdk_not-a-key',
  get readOnlyKey() { return dbKeys.read; },
  otherFeed: 'nuget',
});

// The README's custom store, exactly as the README shows it (its `require`s served from the source).
const example = readmeBlock('<!-- kit-custom-store -->', '<!-- /kit-custom-store -->');
const modules: Record<string, unknown> = { 'package-deployments': require('../lib'), 'package-deployments/testing': testing };
// eslint-disable-next-line @typescript-eslint/no-implied-eval
new Function('require', example.replace(/^js\n/, ''))((name: string) => {
  if (!(name in modules)) throw new Error(`the README example requires ${name}`);
  return modules[name];
});
