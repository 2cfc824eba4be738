/**
 * Delivery service HTTP API: a courier and an ETA per order, and the courier's position while the order travels.
 * Position updates are published on the event bus (`orders.<orderId>`, type `courier.location`) for live views.
 */
import Router from '@koa/router';
import { randomUUID } from 'node:crypto';
import { EdgeError, readValidBody, type EdgeState, type EventBus } from '@portico/edge';
import { z } from 'zod';

/** Delivery states, driven by the order service. */
export const deliveryStates = ['PENDING', 'PICKED_UP', 'DELIVERED', 'CANCELLED'] as const;

/** Where a courier is. */
export interface Location {
  lat: number;
  lng: number;
}

/** The delivery of one order. */
export interface Delivery {
  deliveryId: string;
  orderId: string;
  state: (typeof deliveryStates)[number];
  courier: { courierId: string; name: string };
  pickupAddress: string;
  deliveryAddress: { street: string; city: string; zip: string };
  eta: string;
  location: Location;
  updatedAt: string;
}

/** Timing of the simulated couriers. */
export interface DeliveryOptions {
  /** Expected time from acceptance to pickup, ms. */
  pickupMs: number;
  /** Expected time from pickup to the door, ms. */
  travelMs: number;
  /** How often a travelling courier reports its position, ms. */
  locationEveryMs: number;
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

const Address = z.object({ street: z.string().min(1).max(200), city: z.string().min(1).max(100), zip: z.string().min(1).max(20) }).strict();
const CreateDelivery = z.object({ orderId: z.string().min(1).max(64), pickupAddress: z.string().min(1).max(300), deliveryAddress: Address }).strict();
const ChangeState = z.object({ state: z.enum(deliveryStates) }).strict();

/** Builds the delivery service's routes; call the returned `stop()` on shutdown to end courier timers. */
export function deliveryRoutes(options: DeliveryOptions): { router: Router<EdgeState>; stop(): void } {
  const now = options.now ?? (() => new Date());
  const deliveries = new Map<string, Delivery>();
  const timers = new Map<string, NodeJS.Timeout>();
  const router = new Router<EdgeState>();
  let next = 0;

  const stopTravel = (orderId: string) => {
    clearInterval(timers.get(orderId));
    timers.delete(orderId);
  };

  const travel = (delivery: Delivery) => {
    const startedAt = Date.now();
    const timer = setInterval(() => {
      const progress = Math.min(1, (Date.now() - startedAt) / options.travelMs);
      delivery.location = { lat: round(START.lat + (END.lat - START.lat) * progress), lng: round(START.lng + (END.lng - START.lng) * progress) };
      delivery.updatedAt = now().toISOString();
      const event = { id: randomUUID(), type: 'courier.location', at: delivery.updatedAt, orderId: delivery.orderId, location: delivery.location, eta: delivery.eta };
      options.bus.publish(`orders.${delivery.orderId}`, event).catch(() => undefined);
      if (progress >= 1) stopTravel(delivery.orderId);
    }, options.locationEveryMs);
    timer.unref();
    timers.set(delivery.orderId, timer);
  };

  router.post('/deliveries', async (ctx) => {
    const input = await readValidBody(ctx, CreateDelivery);
    if (deliveries.has(input.orderId)) throw new EdgeError('CONFLICT', { detail: `order ${input.orderId} already has a delivery` });
    const at = now();
    const delivery: Delivery = {
      deliveryId: `d-${input.orderId}`,
      ...input,
      state: 'PENDING',
      courier: couriers[next++ % couriers.length]!,
      eta: new Date(at.getTime() + options.pickupMs + options.travelMs).toISOString(),
      location: { ...START },
      updatedAt: at.toISOString(),
    };
    deliveries.set(input.orderId, delivery);
    ctx.status = 201;
    ctx.body = delivery;
  });

  router.get('/deliveries/:orderId', (ctx) => {
    ctx.body = find(deliveries, ctx.params.orderId);
  });

  router.put('/deliveries/:orderId/state', async (ctx) => {
    const delivery = find(deliveries, ctx.params.orderId);
    const { state } = await readValidBody(ctx, ChangeState);
    if (delivery.state === 'DELIVERED' || delivery.state === 'CANCELLED') {
      throw new EdgeError('CONFLICT', { detail: `delivery is ${delivery.state} and can no longer change` });
    }
    delivery.state = state;
    delivery.updatedAt = now().toISOString();
    if (state === 'PICKED_UP') {
      delivery.eta = new Date(now().getTime() + options.travelMs).toISOString();
      travel(delivery);
    } else {
      stopTravel(delivery.orderId);
      if (state === 'DELIVERED') delivery.location = { ...END };
    }
    ctx.body = delivery;
  });

  return { router, stop: () => [...timers.keys()].forEach(stopTravel) };
}

function find(deliveries: Map<string, Delivery>, orderId: string | undefined): Delivery {
  const delivery = deliveries.get(orderId ?? '');
  if (!delivery) throw new EdgeError('NOT_FOUND', { detail: `no delivery for order ${orderId}` });
  return delivery;
}

function round(n: number): number {
  return Math.round(n * 1e5) / 1e5;
}
