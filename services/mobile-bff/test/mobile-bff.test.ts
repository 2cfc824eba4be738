import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '@portico/edge';
import { createMobileBff } from '../src/mobile-bff';
import { call, JWT_ENV, startFtgoMocks, token } from './ftgo-mocks';

const TEST_ENV = { PORT: '0', HOST: '127.0.0.1', NODE_ENV: 'test', LOG_LEVEL: 'silent' };

describe('mobile-bff (createMobileBff with the real routes.yaml)', () => {
  it('starts from the environment and answers every route through its real chain', async () => {
    const mocks = await startFtgoMocks();
    const bff = await createMobileBff({ env: { ...TEST_ENV, ...JWT_ENV, ...mocks.env }, watch: false, signals: false });
    try {
      const server = await bff.listen(0, '127.0.0.1');
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const placed = await call(`${url}/orders`, { method: 'POST', token: token('c-1001'), body: { restaurantId: 'r-1', lineItems: [{ menuItemId: 'm-101', quantity: 1 }], deliveryAddress: { street: 'a', city: 'b', zip: 'c' } } });
      expect(placed.status).to.equal(201);
      const details = await call(`${url}/orders/${String(placed.body.orderId)}`, { token: token('c-1001') });
      expect(details.body).to.include({ restaurantName: 'Ajanta', itemCount: 1 });
      expect((await call(`${url}/readyz`)).status).to.equal(200);
    } finally {
      await bff.close();
      await mocks.stop();
    }
  });

  it('refuses a bad environment with ConfigError, one line per problem', async () => {
    const err = await createMobileBff({ env: { ...TEST_ENV, ...JWT_ENV, JWT_SECRET: 'short' }, watch: false, signals: false }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as ConfigError).problems).to.deep.equal(['JWT_SECRET: expected at least 32 characters (256 bits) for HS256']);
  });
});
