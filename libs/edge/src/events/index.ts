/** Events: pub/sub for live updates, Redis-backed or in-process. */
export { MemoryEventBus, RedisEventBus, type EventBus, type BusEvent } from './event-bus';
