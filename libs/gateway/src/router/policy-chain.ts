/**
 * Builds a route's edge slices in the order docs/style.md fixes: authenticate → authorize → rateLimit → (compress → etag) → cache (→ etag), once per
 * routing-map version from the route's validated policy. What each slice does is its @portico/edge module's business.
 */
import type { Middleware } from 'koa';
import {
  authenticate,
  authorize,
  assignEtag,
  compressResponse,
  conditionalGet,
  rateLimit,
  responseCache,
  type Authenticator,
  type CacheStore,
  type EdgeLogger,
  type EdgeState,
  type RateLimitDeps,
} from '@portico/edge';
import type { RouteDefinition } from '../routing-map/load-routing-map';

/** The long-lived collaborators every route's slices share. */
export interface PolicyChainDeps {
  authenticator: Authenticator;
  /** Rate-limit stores and settings; the route id is filled in per route. */
  rateLimit: Omit<RateLimitDeps, 'routeId'>;
  /** The one response-cache store of the service. */
  cache: { store: CacheStore; logger: EdgeLogger };
}

/** The route's slices before its terminal; a route with `auth: none` and no limits gets none at all. */
export function policyChain(route: RouteDefinition, deps: PolicyChainDeps): Middleware<EdgeState>[] {
  const policy = route.policy;
  const chain: Middleware<EdgeState>[] = [];
  if (policy.auth !== 'none') {
    chain.push(authenticate(policy, { authenticator: deps.authenticator }), authorize(policy));
  }
  if (policy.rateLimit) chain.push(rateLimit(policy.rateLimit, { ...deps.rateLimit, routeId: route.id }));
  // Outside the cache, so entries are stored once, uncompressed, and each hit is encoded for its own client.
  if (policy.compress) chain.push(compressResponse(policy.compress));
  // Inside compression, so a 304 costs no compressing; outside the cache, whose hits are revalidated too.
  if (policy.etag) chain.push(conditionalGet());
  if (policy.cache) chain.push(responseCache(policy.cache, { ...deps.cache, routeId: route.id }));
  // Below the cache as well: the ETag is stored with the entry, so a hit is not hashed again.
  if (policy.etag && policy.cache) chain.push(assignEtag());
  return chain;
}
