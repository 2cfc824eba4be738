/** Routing map: the route schema, loading and validating routes.yaml, path normalisation and patterns, hot reload. */
export { routeSchema, routePolicySchema, HTTP_METHODS, type HttpMethod, type RouteSpec, type RoutePolicy } from './route-schema';
export { loadRoutingMap, parseRoutingMap, type RoutingMap, type RouteDefinition, type UpstreamTarget, type RoutingEnv } from './load-routing-map';
export { normalisePath, decodeSegment, encodeSegment } from './normalise-path';
export { parsePattern, buildPath, parameterNames, patternShape, type PatternSegment } from './path-pattern';
export { watchRoutingMap, type RoutingMapWatcher, type WatchOptions, type ReloadOutcome } from './hot-reload';
export { referencedVariables, upstreamNameFor, upstreamDefinitions } from './upstream-env';
