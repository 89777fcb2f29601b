/** examples/mount-existing-route.js: the middleware in front of a route written without it. */
import request from 'supertest';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const example = require('../examples/mount-existing-route.js');

afterAll(async () => {
  await example.recordDownloads.close();
  await example.store.close();
});

it('downloads as before and records the deployment with the curl line it prints', async () => {
  const deployed = new Promise<unknown[]>((resolve) => example.router.events.once('deployed', (...args: unknown[]) => resolve(args)));
  const res = await request(example.app)
    .get('/files/tools/deploy-kit/1.4.0')
    .auth('api', 'example-key-123')
    .set('X-ProGet-Deployment-Application', 'Script')
    .set('X-ProGet-Deployment-Description', '')
    .set('X-ProGet-Deployment-Target', 'web-01');
  expect(res.status).toBe(200);
  expect(Buffer.from(res.body).toString()).toBe('pretend these are the bytes of deploy-kit 1.4.0\n');
  const [record, context] = await deployed;
  expect(record).toMatchObject({ feedName: 'files', groupName: 'tools', packageName: 'deploy-kit', version: '1.4.0', target: 'web-01', userName: 'deployer' });
  expect(context).toMatchObject({ source: 'feed', feedType: 'files' });
  expect((await request(example.app).get('/files/tools/nope/1.0.0')).status).toBe(404);
});
