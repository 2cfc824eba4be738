/** Proxy: the streaming reverse-proxy terminal and its header rules. */
export { proxyRoute, type ProxyDeps } from './proxy-route';
export { connectionTokens, isHopByHop, isClientIdentityHeader, isReservedHeader, upstreamRequestHeaders, clientResponseHeaders } from './hop-by-hop';
export { forwardingHeaders, forwardedChain, clientAddressOf, principalHeaders, type ArrivalInfo } from './forwarded-headers';
export { BodyLimiter, hasBody, limitedBody, payloadTooLarge } from './body-limit';
