/** @portico/gateway: routing map, streaming reverse proxy, service clients and API composition. Named exports only. */
// routing-map/, proxy/ and create-bff exports (routing owner: keep this marker line)
// clients/, compose/ and upstream-faults exports (clients owner: keep this marker line)
export type { Upstream, UpstreamCall, UpstreamPolicy } from './clients/upstream-types';
