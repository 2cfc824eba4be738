/** @portico/gateway: routing map, streaming reverse proxy, service clients and API composition. Named exports only. */
export { routeSchema, routePolicySchema, HTTP_METHODS, loadRoutingMap, parseRoutingMap, normalisePath, decodeSegment, encodeSegment, parsePattern, buildPath, parameterNames, patternShape, watchRoutingMap } from './routing-map';
export type { HttpMethod, RouteSpec, RoutePolicy, RoutingMap, RouteDefinition, UpstreamTarget, RoutingEnv, PatternSegment, RoutingMapWatcher, WatchOptions, ReloadOutcome } from './routing-map';
export { RouteTable, compileRoutingMap, bodyLimitOf, createRouter, policyChain } from './router';
export type { TableMatch, CompiledRoute, CompiledRoutingMap, CompileDeps, Router, PolicyChainDeps } from './router';
export { proxyRoute, connectionTokens, isHopByHop, isClientIdentityHeader, isReservedHeader, upstreamRequestHeaders, clientResponseHeaders, forwardingHeaders, forwardedChain, clientAddressOf, principalHeaders, BodyLimiter, hasBody, limitedBody, payloadTooLarge } from './proxy';
export type { ProxyDeps, ArrivalInfo } from './proxy';
export { createBff, startBff } from './create-bff';
export type { CreateBffOptions, Bff, ApiKeySource } from './create-bff';
// routing-map/, proxy/ and create-bff exports (routing owner: keep this marker line)
export { createUpstreams, resolvePolicy, HttpUpstream, CircuitBreaker, Bulkhead, RetryBudget, allowedRetries, backoffDelay, retryableStatus, retryableError } from './clients';
export { Deadline, DEFAULT_ROUTE_DEADLINE_MS, ServiceClient, UPSTREAM_DEFAULTS, UpstreamClientError, forwardableProblem, readUpstreamJson } from './clients';
export type { Upstreams, UpstreamDef, UpstreamsDeps, UpstreamPolicyOverrides, UpstreamMetrics, HttpUpstreamDeps, ResolvedUpstreamPolicy } from './clients';
export type { BreakerSettings, BreakerState, BreakerTicket, BreakerOutcome, RetrySettings, ServiceClientOptions, ServiceCallOptions, JsonReply, ForwardedProblem } from './clients';
export { required, dependent, composeParts, partFault, isPartial, selectFields, parseFields, composeSpecSchema, composePartSchema, dependencyOrder, composeHandler, requestDeadline, clientGoneSignal, branchDeadline, type BranchDeadline } from './compose';
export type { PartError, Composed, LazyLogger, KnownFields, ComposeSpec, ComposePart, ComposeDeps } from './compose';
export { upstreamFault, statusFault, circuitOpenFault, bulkheadFault, faultClass, serviceLabel, UpstreamAbort, type AbortKind, type FaultClass } from './upstream-faults';
// clients/, compose/ and upstream-faults exports (clients owner: keep this marker line)
export type { Upstream, UpstreamCall, UpstreamPolicy } from './clients/upstream-types';
export { liveOrders, liveOrdersForBff, bffEventSource, orderOwnerFrom, busEventSource, orderChannel, UpstreamSseSource, ORDER_EVENT_ENDPOINTS, OrderFeeds, MemoryTicketStore, RedisTicketStore, SseParser, CLOSE, LIVE_DEFAULTS, LIVE_PATH, LIVE_TICKET_PATH, matchLivePath } from './live';
export type { LiveOrders, LiveStats, LiveLimits, LiveOrdersOptions, BffLiveOptions, OrderEventSource, OrderEventHandlers, EventEndpoint, UpstreamSseSourceOptions, LiveMessage, FeedSubscriber, OrderFeedsOptions, Joined, TicketStore, LiveTicket, ParsedSse } from './live';
export type { BffExtension } from './create-bff';
// live/ exports (live owner: keep this marker line)
export { PROTO_LOADER_OPTIONS, ProtoRegistry, GRPC_DEFAULTS, resolveGrpcPolicy, GrpcUpstream, createGrpcUpstreams, GrpcClient, requestMetadata, grpcTargetSchema, compileRequestPlan, buildRequest } from './grpc';
export type { GrpcMethod, GrpcUpstreamPolicy, GrpcPolicyOverrides, GrpcCall, GrpcUpstreams, GrpcUpstreamDef, GrpcCallOptions, GrpcTarget, RequestPlan, BffGrpc, GrpcUpstreamOption } from './grpc';
export { GRPC_FAULTS, grpcFault, grpcStatusFault, grpcFaultRow, isGrpcError, type GrpcFaultRow } from './grpc-faults';
export { composeGrpcSchema } from './compose';
export { isoTime, isoTimes } from './grpc';
export type { ComposeGrpcTarget } from './compose';
// grpc/ and grpc-faults exports (grpc owner: keep this marker line)
