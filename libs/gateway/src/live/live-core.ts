/** The state the live module's WebSocket and HTTP sides share: feeds, connection slots, tickets and the ownership rule. */
import { EdgeError, type Principal, type TraceContext } from '@portico/edge';
import type { LiveConnections } from './live-connections';
import type { LiveMetrics } from './live-metrics';
import type { LiveLimits, LiveOrdersOptions } from './live-settings';
import type { OrderFeeds } from './order-feeds';
import type { TicketStore } from './tickets';

/** Shared by live-orders.ts (upgrades) and live-http.ts (SSE and tickets). */
export interface LiveCore {
  options: LiveOrdersOptions;
  limits: LiveLimits;
  feeds: OrderFeeds;
  connections: LiveConnections;
  metrics: LiveMetrics;
  tickets: TicketStore;
  now: () => number;
  /** True once draining began or the module closed: new connections are refused with 503. */
  closing(): boolean;
}

/** Throws DRAINING (503) while the process shuts down. */
export function refuseWhileClosing(core: LiveCore): void {
  if (core.closing()) throw new EdgeError('DRAINING', { detail: 'This server is shutting down; reconnect to another', headers: { 'Retry-After': '1' } });
}

/** Throws NOT_FOUND unless the principal owns the order (a 403 would reveal that it exists), as requireOwner does. */
export async function checkOwner(core: LiveCore, orderId: string, principal: Principal, trace?: TraceContext): Promise<void> {
  const owner = await core.options.ownerOf(orderId, principal, trace);
  if (owner === undefined || owner !== principal.subject) throw new EdgeError('NOT_FOUND', { detail: 'No such resource' });
}

/** Throws FORBIDDEN when the principal lacks one of the required scopes. */
export function checkScopes(core: LiveCore, principal: Principal): void {
  const missing = (core.options.scopes ?? []).filter((scope) => !principal.scopes.includes(scope));
  if (missing.length > 0) {
    throw new EdgeError('FORBIDDEN', { detail: `missing scope ${missing.join(' ')}`, headers: { 'WWW-Authenticate': `Bearer realm="portico", error="insufficient_scope", scope="${missing.join(' ')}"` } });
  }
}
