/** gRPC upstreams: protos, channels behind breaker and bulkhead, the `grpc:` route terminal and clients for handlers. */
export { PROTO_LOADER_OPTIONS, ProtoRegistry, type GrpcMethod } from './proto-registry';
export { GRPC_DEFAULTS, resolveGrpcPolicy, channelOptions, type GrpcUpstreamPolicy, type GrpcPolicyOverrides } from './grpc-policy';
export { GrpcUpstream, type GrpcCall, type GrpcUpstreamDeps } from './grpc-upstream';
export { createGrpcUpstreams, addressProblem, grpcUpstreamNameFor, type GrpcUpstreams, type GrpcUpstreamDef } from './grpc-upstreams';
export { GrpcClient, requestMetadata, type GrpcCallOptions } from './grpc-client';
export { grpcTargetSchema, grpcMethodShape, requestFieldSchema, grpcRouteProblems, parseSource, addressVariable, type GrpcTarget, type RequestSource } from './grpc-route-schema';
export { compileRequestPlan, buildRequest, type RequestPlan, type RequestInput } from './request-mapping';
export { conformField, conformMessage, fieldAt, takesText, type ShapeProblem, type ValueSource } from './message-shape';
export { grpcRoute, type GrpcRouteDeps } from './grpc-route';
export { createBffGrpc, grpcVariables, type BffGrpc, type BffGrpcInput, type GrpcUpstreamOption } from './bff-grpc';
export { isoTime, isoTimes } from './message-times';
