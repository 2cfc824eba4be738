/**
 * The backends mobile-bff's handlers call, as typed JSON calls over the pools createBff built and a gRPC client for
 * the delivery service (bound once at start-up). Each call carries the caller's deadline, the request id and the
 * verified principal's identity (headers, or gRPC metadata).
 */
import { EdgeError, requireOwner, type EdgeContext } from '@portico/edge';
import { partFault, principalHeaders, requestDeadline, ServiceClient, type Bff, type Deadline, type GrpcClient, type ServiceCallOptions } from '@portico/gateway';

/** Upstream names → the variable holding each backend's URL (createBff's `upstreams` option). */
export const UPSTREAMS = Object.freeze({
  consumer: 'CONSUMER_SERVICE_URL',
  restaurant: 'RESTAURANT_SERVICE_URL',
  order: 'ORDER_SERVICE_URL',
  kitchen: 'KITCHEN_SERVICE_URL',
  delivery: 'DELIVERY_SERVICE_URL',
  accounting: 'ACCOUNTING_SERVICE_URL',
});

/** gRPC upstream names → the variable holding each backend's `host:port` (createBff's `grpcUpstreams` option). */
export const GRPC_UPSTREAMS = Object.freeze({
  delivery: 'DELIVERY_GRPC_ADDRESS',
});

/** The delivery service's gRPC service (proto/portico/delivery/v1/delivery.proto). */
export const DELIVERY_SERVICE = 'portico.delivery.v1.DeliveryService';

/** The order service's order, as far as this BFF relies on it (amounts in integer cents). */
export interface Order {
  orderId: string;
  consumerId: string;
  restaurantId: string;
  state: string;
  lineItems: Array<{ menuItemId: string; quantity: number }>;
  total: number;
  currency: string;
  createdAt?: string;
}

/** The restaurant service's restaurant (list entries carry no menu). */
export interface Restaurant {
  restaurantId: string;
  name: string;
  cuisine: string;
}

/** The delivery service's delivery of one order, as the gRPC Delivery message reads (unset messages are null). */
export interface Delivery {
  state: string;
  /** Epoch milliseconds as an int64 decimal string. */
  etaUnixMs: string;
  courier: { name: string } | null;
  location: { lat: number; lng: number } | null;
}

/** What POST /orders forwards: the validated body plus the principal as consumer. */
export interface NewOrder {
  consumerId: string;
  restaurantId: string;
  lineItems: Array<{ menuItemId: string; quantity: number }>;
  deliveryAddress: { street: string; city: string; zip: string };
}

/** One request's calls: its context (identity, request id) and the deadline they share. */
export interface Call {
  ctx: EdgeContext;
  deadline: Deadline;
}

/** The calls of one request, sharing its route deadline (and aborted when the client goes away). */
export function callOf(ctx: EdgeContext): Call {
  return { ctx, deadline: requestDeadline(ctx) };
}

/** The consumer a request acts for: always the verified principal (routes.yaml requires auth on every order route). */
export function consumerOf(ctx: EdgeContext): string {
  const subject = ctx.state.principal?.subject;
  if (subject === undefined) throw new EdgeError('UNAUTHENTICATED');
  return subject;
}

const path = (template: string, id: string) => template.replace(':id', encodeURIComponent(id));

/** The order, restaurant and delivery calls, bound to the upstream pools and gRPC channels once createBff has built them. */
export class Backends {
  private clients?: { order: ServiceClient; restaurant: ServiceClient; delivery: GrpcClient };

  /** Binds to createBff's pools and channels; an upstream that was not configured throws here, at start-up. */
  bind(bff: Pick<Bff, 'upstreams' | 'grpc'>): this {
    const { upstreams, grpc } = bff;
    this.clients = { order: new ServiceClient(upstreams.get('order')), restaurant: new ServiceClient(upstreams.get('restaurant')), delivery: grpc.client('delivery', DELIVERY_SERVICE) };
    return this;
  }

  /** The caller's own order; someone else's or a missing one is 404 NOT_FOUND either way (requireOwner). */
  async ownOrder(call: Call, orderId: string): Promise<Order> {
    const order = await this.run(() => this.client('order').getJson<Order>(path('/orders/:id', orderId), this.options(call, 'get order')));
    requireOwner(call.ctx, order?.consumerId);
    return order as Order;
  }

  /** The caller's orders, newest first, optionally in one state. */
  async listOrders(call: Call, consumerId: string, state: string | undefined): Promise<Order[]> {
    const reply = await this.run(() => this.client('order').getJson<{ orders: Order[] }>('/orders', { ...this.options(call, 'list orders'), query: { consumerId, state } }));
    return reply?.orders ?? [];
  }

  /** Places an order (sent at most once). */
  async placeOrder(call: Call, order: NewOrder): Promise<Order> {
    return (await this.run(() => this.client('order').postJson<Order>('/orders', order, this.options(call, 'place order')))) as Order;
  }

  /** Cancels an order; the order service answers 409 once it was picked up. */
  async cancelOrder(call: Call, orderId: string): Promise<Order> {
    return (await this.run(() => this.client('order').postJson<Order>(path('/orders/:id/cancel', orderId), {}, this.options(call, 'cancel order')))) as Order;
  }

  /** Restaurants, optionally of one cuisine. */
  async restaurants(call: Call, cuisine?: string): Promise<Restaurant[]> {
    const reply = await this.run(() => this.client('restaurant').getJson<{ restaurants: Restaurant[] }>('/restaurants', { ...this.options(call, 'list restaurants'), query: { cuisine } }));
    return reply?.restaurants ?? [];
  }

  /** One restaurant; null when it does not exist. */
  restaurant(call: Call, restaurantId: string): Promise<Restaurant | null> {
    return this.run(() => this.client('restaurant').getJson<Restaurant>(path('/restaurants/:id', restaurantId), this.options(call, 'get restaurant')));
  }

  /** The delivery of an order over gRPC (GetDelivery); null when it has none (NOT_FOUND). */
  delivery(call: Call, orderId: string): Promise<Delivery | null> {
    return this.run(() => this.bound().delivery.find<Delivery>('GetDelivery', { orderId }, { deadline: call.deadline, ctx: call.ctx, operation: 'get delivery' }));
  }

  private client(name: 'order' | 'restaurant'): ServiceClient {
    return this.bound()[name];
  }

  private bound(): NonNullable<Backends['clients']> {
    if (!this.clients) throw new Error('Backends used before bind()');
    return this.clients;
  }

  private options(call: Call, operation: string): ServiceCallOptions {
    return { deadline: call.deadline, operation, headers: { ...principalHeaders(call.ctx.state.principal), 'x-request-id': call.ctx.state.requestId } };
  }

  // Upstream 4xx answers (422 unknown menu item, 409 too late to cancel) keep their meaning; faults map to 502/503/504.
  private async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw partFault(err);
    }
  }
}
