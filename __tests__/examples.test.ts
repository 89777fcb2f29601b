/** The examples run as documented (they use the built package, as a user's code would). */
import request from 'supertest';

describe('examples/custom-auth.js', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { app, store } = require('../examples/custom-auth.js');
  afterAll(() => store.close());
  const form = (feed: string) => `FeedName=${feed}&Application=Demo&Description=&Target=web-01&PackageName=Newtonsoft.Json&Version=13.0.3`;
  const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  it('lets a host user record on the feeds the host allows', async () => {
    await request(app).post('/api/package-deployment/').set('Authorization', basic('alice', 'wonderland')).type('form').send(form('DefaultNuGet')).expect(200);
    await request(app).post('/api/package-deployment/').set('Authorization', basic('alice', 'wonderland')).type('form').send(form('Other')).expect(403);
    await request(app).post('/api/package-deployment/').set('Authorization', basic('alice', 'wrong')).type('form').send(form('DefaultNuGet')).expect(403);
  });

  it('lets the host\'s admin token record anywhere, and refuses anonymous recording', async () => {
    await request(app).post('/api/package-deployment/').set('X-ApiKey', 'deploy-bot-token-123').type('form').send(form('Other')).expect(200);
    await request(app).post('/api/package-deployment/').type('form').send(form('DefaultNuGet')).expect(403);
  });
});
