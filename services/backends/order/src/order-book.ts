/**
 * The order service's state: orders in memory, moved through their life cycle on a clock (`stepMs` per state),
 * telling the kitchen and delivery services and publishing every change on the event bus (`orders.<orderId>`,
 * id `<orderId>:<seq>`) through an EventLog, whose history serves `GET /orders/:orderId/events`.
 */
import { randomUUID } from 'node:crypto';
import { EventLog, type EdgeLogger, type EventBus, type TraceContext } from '@portico/edge';
import type { Collaborators } from './collaborators';
import { nextState, type Order, type OrderState } from './order';

// Which collaborators hear of which state, and under what name.
const KITCHEN_STATE: Partial<Record<OrderState, string>> = { PREPARING: 'PREPARING', READY_FOR_PICKUP: 'READY_FOR_PICKUP', PICKED_UP: 'PICKED_UP', CANCELLED: 'CANCELLED' };
const DELIVERY_STATE: Partial<Record<OrderState, string>> = { PICKED_UP: 'PICKED_UP', DELIVERED: 'DELIVERED', CANCELLED: 'CANCELLED' };

/** Collaborators of the order book. */
export interface OrderBookDeps {
  collaborators: Collaborators;
  /** The runtime's bus, or an EventLog over it (one is made when a plain bus is given). */
  bus: EventBus;
  logger: EdgeLogger;
  /** Time each state lasts before the next one, ms. */
  stepMs: number;
  now?: () => Date;
}

/** Orders in memory, with their life-cycle timers. */
export class OrderBook {
  private readonly orders = new Map<string, Order>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly now: () => Date;
  /** Every event this book published, per order, for the event stream's replay. */
  readonly events: EventLog;

  constructor(private readonly deps: OrderBookDeps) {
    this.now = deps.now ?? (() => new Date());
    this.events = deps.bus instanceof EventLog ? deps.bus : new EventLog(deps.bus);
  }

  /** A new order id. */
  newId(): string {
    return `o-${randomUUID().slice(0, 8)}`;
  }

  /** Stores an approved order and starts its clock. */
  add(order: Order): void {
    this.orders.set(order.orderId, order);
    void this.publish(order);
    this.schedule(order);
  }

  get(orderId: string): Order | undefined {
    return this.orders.get(orderId);
  }

  /** Orders of one consumer, newest first, optionally in one state. */
  list(filter: { consumerId?: string; state?: OrderState }): Order[] {
    return [...this.orders.values()]
      .filter((o) => (!filter.consumerId || o.consumerId === filter.consumerId) && (!filter.state || o.state === filter.state))
      .reverse();
  }

  /** Moves the order to `state` now, tells collaborators, publishes the change; `trace`: the request's, when one asked for it. */
  async transition(order: Order, state: OrderState, trace?: TraceContext): Promise<void> {
    clearTimeout(this.timers.get(order.orderId));
    this.timers.delete(order.orderId);
    const at = this.now().toISOString();
    order.state = state;
    order.updatedAt = at;
    order.history.push({ state, at });
    await Promise.all([this.notify(order, 'kitchen', KITCHEN_STATE[state], trace), this.notify(order, 'delivery', DELIVERY_STATE[state], trace)]);
    await this.publish(order);
    this.schedule(order);
  }

  /** Stops every timer (shutdown). */
  stop(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private schedule(order: Order): void {
    const next = nextState(order.state);
    if (!next) return;
    const timer = setTimeout(() => {
      this.transition(order, next).catch((err: unknown) => this.deps.logger.error({ err, orderId: order.orderId }, 'order transition failed'));
    }, this.deps.stepMs);
    timer.unref();
    this.timers.set(order.orderId, timer);
  }

  private async notify(order: Order, service: 'kitchen' | 'delivery', state: string | undefined, trace: TraceContext | undefined): Promise<void> {
    if (!state) return;
    const path = service === 'kitchen' ? `/tickets/${order.orderId}/state` : `/deliveries/${order.orderId}/state`;
    try {
      await this.deps.collaborators.send(service, 'PUT', path, { state }, trace);
    } catch (err) {
      // The order is the source of truth; a collaborator that missed a state catches up on the next one.
      this.deps.logger.warn({ err: (err as Error).message, orderId: order.orderId, service, state }, 'collaborator not told of order state');
    }
  }

  private async publish(order: Order): Promise<void> {
    const seq = order.history.length;
    const event = { id: `${order.orderId}:${seq}`, type: 'order.state-changed', at: order.updatedAt, orderId: order.orderId, state: order.state, seq };
    await this.events.publish(`orders.${order.orderId}`, event).catch((err: unknown) => {
      this.deps.logger.warn({ err: (err as Error).message, orderId: order.orderId }, 'order event not published');
    });
  }
}
