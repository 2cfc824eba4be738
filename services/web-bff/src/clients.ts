/**
 * The backends web-bff's code handlers call, as typed JSON calls over the pools createBff built (bound once at
 * start-up). Each call carries the request's deadline, request id and the verified principal's identity headers.
 */
import { EdgeError, requireOwner, type EdgeContext } from '@portico/edge';
import { partFault, principalHeaders, requestDeadline, ServiceClient, type ServiceCallOptions, type Upstreams } from '@portico/gateway';

/**
 * Upstream names → the variable holding each backend's URL (createBff's `upstreams` option). Kitchen is read over
 * gRPC only (routes.yaml); delivery's REST API still serves the live order events.
 */
export const UPSTREAMS = Object.freeze({
  consumer: 'CONSUMER_SERVICE_URL',
  restaurant: 'RESTAURANT_SERVICE_URL',
  order: 'ORDER_SERVICE_URL',
  delivery: 'DELIVERY_SERVICE_URL',
  accounting: 'ACCOUNTING_SERVICE_URL',
});

/** The order service's order, as far as this BFF relies on it. */
export interface Order {
  orderId: string;
  consumerId: string;
  restaurantId: string;
  state: string;
  [field: string]: unknown;
}

/** What POST /orders forwards: the validated body plus the principal as consumer. */
export interface NewOrder {
  consumerId: string;
  restaurantId: string;
  lineItems: Array<{ menuItemId: string; quantity: number }>;
  deliveryAddress: { street: string; city: string; zip: string };
}

/** The consumer a request acts for: always the verified principal (routes.yaml requires auth on every order route). */
export function consumerOf(ctx: EdgeContext): string {
  const subject = ctx.state.principal?.subject;
  if (subject === undefined) throw new EdgeError('UNAUTHENTICATED');
  return subject;
}

/** The order service's calls, bound to the upstream pools once createBff has built them. */
export class Backends {
  private order?: ServiceClient;

  /** Binds to createBff's pools; an upstream that was not configured throws here, at start-up. */
  bind(upstreams: Pick<Upstreams, 'get'>): this {
    this.order = new ServiceClient(upstreams.get('order'));
    return this;
  }

  /** The caller's own order; someone else's or a missing one is 404 NOT_FOUND either way (requireOwner). */
  async ownOrder(ctx: EdgeContext, orderId: string): Promise<Order> {
    const order = await this.call(() => this.orders().getJson<Order>(`/orders/${encodeURIComponent(orderId)}`, this.options(ctx, 'get order')));
    requireOwner(ctx, order?.consumerId);
    return order as Order;
  }

  /** The caller's orders, newest first, optionally in one state. */
  async listOrders(ctx: EdgeContext, consumerId: string, state: string | undefined): Promise<Order[]> {
    const reply = await this.call(() => this.orders().getJson<{ orders: Order[] }>('/orders', { ...this.options(ctx, 'list orders'), query: { consumerId, state } }));
    return reply?.orders ?? [];
  }

  /** Places an order (sent at most once). */
  async placeOrder(ctx: EdgeContext, order: NewOrder): Promise<Order> {
    return (await this.call(() => this.orders().postJson<Order>('/orders', order, this.options(ctx, 'place order')))) as Order;
  }

  /** Cancels an order; the order service answers 409 once it was picked up. */
  async cancelOrder(ctx: EdgeContext, orderId: string): Promise<Order> {
    return (await this.call(() => this.orders().postJson<Order>(`/orders/${encodeURIComponent(orderId)}/cancel`, {}, this.options(ctx, 'cancel order')))) as Order;
  }

  private orders(): ServiceClient {
    if (!this.order) throw new Error('Backends used before bind()');
    return this.order;
  }

  private options(ctx: EdgeContext, operation: string): ServiceCallOptions {
    return { deadline: requestDeadline(ctx), operation, headers: { ...principalHeaders(ctx.state.principal), 'x-request-id': ctx.state.requestId } };
  }

  // Upstream 4xx answers (422 unknown menu item, 409 too late to cancel) keep their meaning; faults map to 502/503/504.
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw partFault(err);
    }
  }
}
