/** Events: pub/sub for live updates, Redis-backed or in-process; a bounded per-channel history and SSE serving for backends. */
export { MemoryEventBus, RedisEventBus, type EventBus, type BusEvent } from './event-bus';
export { EventLog, sequenceOf, type EventLogOptions, type Replay } from './event-log';
export { openSse, formatSse, lastEventIdOf, type SseOptions, type SseMessage, type SseStream } from './sse';
export { eventStream, GAP_EVENT, type EventStreamOptions } from './event-stream';
