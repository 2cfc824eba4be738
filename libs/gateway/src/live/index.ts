/** Live order updates: WebSocket and SSE at GET /orders/:orderId/live, fed once per order from the bus or the backends. */
export { liveOrders, type LiveOrders, type LiveStats } from './live-orders';
export { LIVE_DEFAULTS, type LiveLimits, type LiveOrdersOptions } from './live-settings';
export { liveOrdersForBff, bffEventSource, orderOwnerFrom, type BffLiveOptions } from './bff-live';
export { busEventSource, orderChannel, type OrderEventSource, type OrderEventHandlers } from './order-event-source';
export { UpstreamSseSource, ORDER_EVENT_ENDPOINTS, type EventEndpoint, type UpstreamSseSourceOptions } from './upstream-sse-source';
export { OrderFeeds, type LiveMessage, type FeedSubscriber, type OrderFeedsOptions, type Joined } from './order-feeds';
export { MemoryTicketStore, RedisTicketStore, type TicketStore, type LiveTicket } from './tickets';
export { SseParser, type ParsedSse } from './sse-parser';
export { CLOSE } from './live-connection';
export { LIVE_PATH, LIVE_TICKET_PATH, matchLivePath } from './upgrade-request';
