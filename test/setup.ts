/** Root hooks for every mocha run: no test may reach beyond loopback, and nock interceptors never leak between tests. */
import nock from 'nock';

export const mochaHooks = {
  beforeAll(): void {
    nock.disableNetConnect();
    nock.enableNetConnect(/^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/);
  },
  afterEach(): void {
    nock.cleanAll();
  },
};
