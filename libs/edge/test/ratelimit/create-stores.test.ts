import { expect } from 'chai';
import { createRedisClient } from '../../src/redis';
import { createRateLimitStores, MemoryRateLimitStore, RedisRateLimitStore } from '../../src/ratelimit';
import { recordingLogger } from '../redis/recording-logger';
import { requireRedis, SHARED_REDIS_URL, testPrefix } from '../redis/redis-server';

describe('createRateLimitStores', () => {
  it('uses the in-process store without REDIS_URL and says at start-up that limits are per process', () => {
    const logger = recordingLogger();
    const stores = createRateLimitStores({ expectedReplicas: 3 }, { logger });
    expect(stores.shared).to.equal(false);
    expect(stores.store).to.be.instanceOf(MemoryRateLimitStore);
    expect(stores.fallback).to.be.instanceOf(MemoryRateLimitStore).and.not.equal(stores.store);
    expect(logger.count('warn', /PER PROCESS/)).to.equal(1);
  });

  it('uses Redis under REDIS_KEY_PREFIX + "rl:" when REDIS_URL is set', async () => {
    await requireRedis();
    const logger = recordingLogger();
    const keyPrefix = testPrefix();
    const redis = createRedisClient({ url: SHARED_REDIS_URL, keyPrefix, commandTimeoutMs: 100 }, logger);
    try {
      const stores = createRateLimitStores({ expectedReplicas: 3, redis: { url: SHARED_REDIS_URL, keyPrefix, commandTimeoutMs: 100 } }, { redis, logger });
      expect(stores.shared).to.equal(true);
      expect(stores.store).to.be.instanceOf(RedisRateLimitStore);
      expect((stores.store as RedisRateLimitStore).redisKey('k')).to.equal(`${keyPrefix}rl:{k}`);
      expect(logger.count('info', /shared by all replicas/)).to.equal(1);
    } finally {
      redis.disconnect();
    }
  });
});
