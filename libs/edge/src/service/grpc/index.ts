/** `@portico/edge/grpc`: a service's gRPC API with the edge's span, request id, log line, metrics and graceful shutdown. Its own entry, so HTTP-only services never load grpc-js. */
export { serveGrpc, type GrpcService, type GrpcServing, type ServeGrpcOptions } from './grpc-server';
export { edgeUnary, callTraceContext, type GrpcEdgeDeps, type UnaryHandler } from './edge-unary';
export { loadProtoService, PROTO_JSON_OPTIONS } from './proto-service';
