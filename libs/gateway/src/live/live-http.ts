/**
 * The HTTP side of the live module: `GET /orders/:orderId/live` with `Accept: text/event-stream` (the same updates as
 * Server-Sent Events, through the normal edge auth chain) and `POST /orders/:orderId/live-ticket` (a one-use ticket
 * for a browser's WebSocket upgrade). Mounted before the BFF's router; other paths pass through.
 */
import type { Middleware } from 'koa';
import { authenticate, authorize, authPolicySchema, EdgeError, lastEventIdOf, openSse, type EdgeContext, type EdgeState, type Principal } from '@portico/edge';
import { checkOwner, checkScopes, refuseWhileClosing, type LiveCore } from './live-core';
import { SseConnection } from './live-connection';
import { LIVE_PATH, LIVE_TICKET_PATH, matchLivePath } from './upgrade-request';

/** Koa middleware serving the live SSE stream and ticket endpoints. */
export function liveHttp(core: LiveCore): Middleware<EdgeState> {
  const policy = authPolicySchema.parse({ auth: 'required', scopes: [...(core.options.scopes ?? [])] });
  const authn = authenticate(policy, { authenticator: core.options.authenticator });
  const authz = authorize(policy);
  const guarded = (ctx: EdgeContext, handler: (principal: Principal) => Promise<void>): Promise<void> =>
    authn(ctx, () => authz(ctx, () => handler(ctx.state.principal as Principal))) as Promise<void>;

  return async function liveOrdersHttp(ctx, next) {
    const match = matchLivePath(ctx.path);
    if (!match) return next();
    const allow = match.kind === 'live' ? 'GET' : 'POST';
    ctx.state.route = { id: match.kind === 'live' ? 'order-live' : 'order-live-ticket', template: match.kind === 'live' ? LIVE_PATH : LIVE_TICKET_PATH };
    if (ctx.method !== allow && !(allow === 'GET' && ctx.method === 'HEAD')) throw new EdgeError('METHOD_NOT_ALLOWED', { headers: { Allow: allow } });
    if (match.kind === 'live-ticket') return guarded(ctx, (principal) => issueTicket(core, ctx, match.orderId, principal));
    if (!/text\/event-stream/i.test(ctx.get('accept'))) {
      throw new EdgeError('NOT_ACCEPTABLE', { detail: 'Open this path as a WebSocket, or ask for Accept: text/event-stream' });
    }
    return guarded(ctx, (principal) => serveStream(core, ctx, match.orderId, principal));
  };
}

async function issueTicket(core: LiveCore, ctx: EdgeContext, orderId: string, principal: Principal): Promise<void> {
  await checkOwner(core, orderId, principal, ctx.state.trace);
  const ticket = await core.tickets.issue({ orderId, principal }, core.limits.ticketTtlMs);
  ctx.status = 201;
  ctx.set('Cache-Control', 'no-store');
  ctx.body = { ticket, expiresInSeconds: Math.floor(core.limits.ticketTtlMs / 1000) };
}

async function serveStream(core: LiveCore, ctx: EdgeContext, orderId: string, principal: Principal): Promise<void> {
  refuseWhileClosing(core);
  checkScopes(core, principal);
  await checkOwner(core, orderId, principal, ctx.state.trace);
  const release = core.connections.reserve(principal);
  const connection = new SseConnection(core.metrics, principal.expiresAt === undefined ? undefined : principal.expiresAt * 1000, core.now);
  let joined;
  try {
    joined = await core.feeds.join(orderId, connection, lastEventIdOf(ctx));
  } catch (err) {
    release();
    connection.abandon();
    throw new EdgeError('UPSTREAM_UNAVAILABLE', { detail: 'Order events are unavailable right now', cause: err, headers: { 'Retry-After': '5' } });
  }
  const { replay, leave } = joined;
  const stream = openSse(ctx, { heartbeatMs: core.limits.sseHeartbeatMs, maxBufferedBytes: core.limits.sendBufferBytes });
  core.connections.add(connection);
  connection.start(stream, replay, () => {
    leave();
    release();
  });
}
