/**
 * The delivery of each order and its simulated courier, in memory: the one store the REST routes and the gRPC service
 * both read. Position updates are published on the event bus (`orders.<orderId>`, type `courier.location`, id
 * `<orderId>:courier:<seq>`) through an EventLog, whose history serves `GET /deliveries/:orderId/events`.
 */
import { EdgeError, EventLog, type EventBus } from '@portico/edge';

/** Delivery states, driven by the order service. */
export const deliveryStates = ['PENDING', 'PICKED_UP', 'DELIVERED', 'CANCELLED'] as const;

/** A delivery state. */
export type DeliveryState = (typeof deliveryStates)[number];

/** Where a courier is. */
export interface Location {
  lat: number;
  lng: number;
}

/** The delivery of one order. */
export interface Delivery {
  deliveryId: string;
  orderId: string;
  state: DeliveryState;
  courier: { courierId: string; name: string };
  pickupAddress: string;
  deliveryAddress: { street: string; city: string; zip: string };
  eta: string;
  location: Location;
  updatedAt: string;
}

/** What the order service sends to open a delivery. */
export type NewDelivery = Pick<Delivery, 'orderId' | 'pickupAddress' | 'deliveryAddress'>;

/** Timing of the simulated couriers. */
export interface DeliveryOptions {
  /** Expected time from acceptance to pickup, ms. */
  pickupMs: number;
  /** Expected time from pickup to the door, ms. */
  travelMs: number;
  /** How often a travelling courier reports its position, ms. */
  locationEveryMs: number;
  /** The runtime's bus, or an EventLog over it (one is made when a plain bus is given). */
  bus: EventBus;
  now?: () => Date;
}

const couriers = [
  { courierId: 'k-1', name: 'Dana' },
  { courierId: 'k-2', name: 'Eli' },
  { courierId: 'k-3', name: 'Fay' },
];
const START: Location = { lat: 37.8044, lng: -122.2712 };
const END: Location = { lat: 37.8716, lng: -122.2727 };

function round(n: number): number {
  return Math.round(n * 1e5) / 1e5;
}

/** Deliveries by order id, with a courier timer per travelling order; call `stop()` on shutdown. */
export class DeliveryStore {
  private readonly deliveries = new Map<string, Delivery>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly now: () => Date;
  private next = 0;
  // Per-order sequence of location events: ordered ids let a reconnecting reader resume after the last one it saw.
  private readonly locationSeq = new Map<string, number>();
  /** Every event this store published, per order, for the event stream's replay. */
  readonly events: EventLog;

  constructor(private readonly options: DeliveryOptions) {
    this.now = options.now ?? (() => new Date());
    this.events = options.bus instanceof EventLog ? options.bus : new EventLog(options.bus);
  }

  /** Opens the delivery of an order with the next courier; CONFLICT when it already has one. */
  create(input: NewDelivery): Delivery {
    if (this.deliveries.has(input.orderId)) throw new EdgeError('CONFLICT', { detail: `order ${input.orderId} already has a delivery` });
    const at = this.now();
    const delivery: Delivery = {
      deliveryId: `d-${input.orderId}`,
      ...input,
      state: 'PENDING',
      courier: couriers[this.next++ % couriers.length]!,
      eta: new Date(at.getTime() + this.options.pickupMs + this.options.travelMs).toISOString(),
      location: { ...START },
      updatedAt: at.toISOString(),
    };
    this.deliveries.set(input.orderId, delivery);
    return delivery;
  }

  /** The delivery of an order, if it has one. */
  get(orderId: string): Delivery | undefined {
    return this.deliveries.get(orderId);
  }

  /** The delivery of an order; NOT_FOUND when it has none. */
  require(orderId: string): Delivery {
    const delivery = this.deliveries.get(orderId);
    if (!delivery) throw new EdgeError('NOT_FOUND', { detail: `no delivery for order ${orderId}` });
    return delivery;
  }

  /** Moves a delivery to `state`: pickup starts the courier travelling, delivery puts it at the door; CONFLICT once final. */
  changeState(orderId: string, state: DeliveryState): Delivery {
    const delivery = this.require(orderId);
    if (delivery.state === 'DELIVERED' || delivery.state === 'CANCELLED') {
      throw new EdgeError('CONFLICT', { detail: `delivery is ${delivery.state} and can no longer change` });
    }
    delivery.state = state;
    delivery.updatedAt = this.now().toISOString();
    if (state === 'PICKED_UP') {
      delivery.eta = new Date(this.now().getTime() + this.options.travelMs).toISOString();
      this.travel(delivery);
    } else {
      this.stopTravel(delivery.orderId);
      if (state === 'DELIVERED') delivery.location = { ...END };
    }
    return delivery;
  }

  /** Ends every courier timer. */
  stop(): void {
    [...this.timers.keys()].forEach((orderId) => this.stopTravel(orderId));
  }

  private stopTravel(orderId: string): void {
    clearInterval(this.timers.get(orderId));
    this.timers.delete(orderId);
  }

  private travel(delivery: Delivery): void {
    const startedAt = Date.now();
    const timer = setInterval(() => {
      const progress = Math.min(1, (Date.now() - startedAt) / this.options.travelMs);
      delivery.location = { lat: round(START.lat + (END.lat - START.lat) * progress), lng: round(START.lng + (END.lng - START.lng) * progress) };
      delivery.updatedAt = this.now().toISOString();
      const seq = (this.locationSeq.get(delivery.orderId) ?? 0) + 1;
      this.locationSeq.set(delivery.orderId, seq);
      const event = { id: `${delivery.orderId}:courier:${seq}`, type: 'courier.location', at: delivery.updatedAt, orderId: delivery.orderId, location: delivery.location, eta: delivery.eta, seq };
      this.events.publish(`orders.${delivery.orderId}`, event).catch(() => undefined);
      if (progress >= 1) this.stopTravel(delivery.orderId);
    }, this.options.locationEveryMs);
    timer.unref();
    this.timers.set(delivery.orderId, timer);
  }
}
