/** Service clients: upstream pools with timeouts, retries, breaker and bulkhead; deadlines; JSON calls. */
export { createUpstreams, resolvePolicy, type Upstreams, type UpstreamDef, type UpstreamsDeps, type UpstreamPolicyOverrides } from './upstreams';
export { HttpUpstream, type UpstreamMetrics, type HttpUpstreamDeps, type ResolvedUpstreamPolicy } from './http-upstream';
export { CircuitBreaker, type BreakerSettings, type BreakerState, type BreakerTicket, type BreakerOutcome } from './breaker';
export { Bulkhead } from './bulkhead';
export { RetryBudget, allowedRetries, backoffDelay, retryableStatus, retryableError, type RetrySettings } from './retry';
export { Deadline, DEFAULT_ROUTE_DEADLINE_MS } from './deadline';
export { ServiceClient, UPSTREAM_DEFAULTS, type ServiceClientOptions, type ServiceCallOptions, type JsonReply } from './service-client';
export { UpstreamClientError, forwardableProblem, readUpstreamJson, type ForwardedProblem } from './json-body';
export { UpstreamResponse, UpstreamBody, type UpstreamHeaders } from './upstream-exchange';
export { upstreamEnvShape, upstreamPolicyFromEnv, withSharedPolicy, type SharedUpstreamOverrides } from './upstream-env-policy';
