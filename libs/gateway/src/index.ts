/** @portico/gateway: routing map, streaming reverse proxy, service clients and API composition. Named exports only. */
// routing-map/, proxy/ and create-bff exports (routing owner: keep this marker line)
export { createUpstreams, resolvePolicy, HttpUpstream, CircuitBreaker, Bulkhead, RetryBudget, allowedRetries, backoffDelay, retryableStatus, retryableError } from './clients';
export { Deadline, DEFAULT_ROUTE_DEADLINE_MS, ServiceClient, UPSTREAM_DEFAULTS, UpstreamClientError, forwardableProblem, readUpstreamJson } from './clients';
export type { Upstreams, UpstreamDef, UpstreamsDeps, UpstreamPolicyOverrides, UpstreamMetrics, HttpUpstreamDeps, ResolvedUpstreamPolicy } from './clients';
export type { BreakerSettings, BreakerState, BreakerTicket, BreakerOutcome, RetrySettings, ServiceClientOptions, ServiceCallOptions, JsonReply, ForwardedProblem } from './clients';
export { required, optional, dependent, composeParts, partFault, isPartial, selectFields, parseFields, composeSpecSchema, composePartSchema, dependencyOrder, composeHandler, requestDeadline, clientGoneSignal } from './compose';
export type { PartError, Composed, KnownFields, ComposeSpec, ComposePart, ComposeDeps } from './compose';
export { upstreamFault, statusFault, circuitOpenFault, bulkheadFault, faultClass, serviceLabel, UpstreamAbort, type AbortKind, type FaultClass } from './upstream-faults';
// clients/, compose/ and upstream-faults exports (clients owner: keep this marker line)
export type { Upstream, UpstreamCall, UpstreamPolicy } from './clients/upstream-types';
