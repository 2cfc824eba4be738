/** @portico/testing: what a BFF team's tests need — mock upstreams on loopback, credentials, Redis per test run, a BFF on a free port. */
export { startMockUpstream } from './mock-upstream';
export type { MockUpstream, MockRoute, MockHandler, ScriptedResponse, RecordedRequest, FailureMode } from './mock-upstream';
export { createTestKeys, signTestToken, hs256Token, startJwksServer, TEST_TOKEN_DEFAULTS, JWKS_PATH } from './credentials';
export type { TestKeys, TestKey, TestJwk, SignOptions, JwksServer } from './credentials';
export { testRedisUrl, uniquePrefix, requireRedis, cleanupPrefix, startDedicatedRedis } from './redis';
export type { DedicatedRedis, ScanUnlinkClient } from './redis';
export { freePort } from './ports';
export { fakeOrderService, fakeRestaurantService, problemAnswer } from './ftgo-fakes';
export type { FakeOrder } from './ftgo-fakes';
export { startMockGrpc, grpcStatus } from './mock-grpc';
export { startOtlpCollector, decodeOtlpProtobuf, flattenOtlpSpans } from './otlp-collector';
export type { OtlpCollector, OtlpExport, OtlpTraceRequest, OtlpSpan, OtlpKeyValue, OtlpAnyValue, CollectedSpan } from './otlp-collector';
export type { MockGrpc, MockGrpcHandler, MockGrpcRoute, RecordedGrpcCall, GrpcCode } from './mock-grpc';
// mock upstreams, credentials and redis helpers (testing-kit owner: keep this marker line)
export { startBff } from './start-bff';
export type { StartBffOptions, StartedBff } from './start-bff';
// startBff (routing owner: keep this marker line)
