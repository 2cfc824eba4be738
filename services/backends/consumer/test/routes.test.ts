import { expect } from 'chai';
import { request } from 'undici';
import { startService, type RunningService } from '@portico/edge';
import { consumerRoutes } from '../src/routes';

describe('consumer service', () => {
  let svc: RunningService;
  before(async () => {
    svc = await startService({ serviceName: 'consumer', defaults: { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' } }, () => ({ router: consumerRoutes() }), {});
  });
  after(() => svc.close());

  it('answers a seeded consumer', async () => {
    const res = await request(`${svc.url}/consumers/c-1002`);
    expect(res.statusCode).to.equal(200);
    expect(await res.body.json()).to.include({ consumerId: 'c-1002', name: 'Bob Brown' });
  });

  it('answers an unknown consumer 404 problem+json', async () => {
    const res = await request(`${svc.url}/consumers/nobody`);
    expect(res.statusCode).to.equal(404);
    expect(await res.body.json()).to.include({ status: 404, detail: 'no consumer nobody' });
  });
});
