/**
 * The backends the public API's handlers call — ServiceClients over the pools createBff built, GrpcClients for the
 * kitchen and delivery services over its channels — and the binding that hands them (and the routing map in force) to
 * handlers created before createBff ran. Timeouts and retries are the clients' own.
 */
import { join } from 'node:path';
import { ServiceClient, type Bff, type GrpcClient, type RouteDefinition } from '@portico/gateway';

/** The repository's .proto files (kitchen, delivery), from src/ or dist/ alike; GRPC_PROTO_PATH overrides it. */
export const PROTO_PATH = join(__dirname, '..', '..', '..', 'proto');

/** Upstream names → the variable holding each backend's URL, as createBff's `upstreams` option takes them. */
export const UPSTREAMS = Object.freeze({
  order: 'ORDER_SERVICE_URL',
  accounting: 'ACCOUNTING_SERVICE_URL',
  restaurant: 'RESTAURANT_SERVICE_URL',
});

/** gRPC upstream names → the variable holding each backend's `host:port`, as createBff's `grpcUpstreams` option takes them. */
export const GRPC_UPSTREAMS = Object.freeze({
  kitchen: 'KITCHEN_GRPC_ADDRESS',
  delivery: 'DELIVERY_GRPC_ADDRESS',
});

/** The gRPC service each gRPC upstream is called for (proto/portico/<name>/v1/). */
export const GRPC_SERVICES = Object.freeze({
  kitchen: 'portico.kitchen.v1.KitchenService',
  delivery: 'portico.delivery.v1.DeliveryService',
});

/** One JSON client per REST backend, one gRPC client per gRPC backend. */
export type PublicApiClients = { readonly [name in keyof typeof UPSTREAMS]: ServiceClient } & { readonly [name in keyof typeof GRPC_UPSTREAMS]: GrpcClient };

/** Builds the clients once, over the upstream pools and gRPC channels (breakers, bulkheads, keep-alive) createBff created. */
export function createClients(bff: Pick<Bff, 'upstreams' | 'grpc'>): PublicApiClients {
  const { upstreams, grpc } = bff;
  return Object.freeze({
    order: new ServiceClient(upstreams.get('order')),
    accounting: new ServiceClient(upstreams.get('accounting')),
    restaurant: new ServiceClient(upstreams.get('restaurant')),
    kitchen: grpc.client('kitchen', GRPC_SERVICES.kitchen),
    delivery: grpc.client('delivery', GRPC_SERVICES.delivery),
  });
}

/** The routing map in force: its version and validated routes. */
export interface RoutesInForce {
  version: string;
  routes: readonly RouteDefinition[];
}

/**
 * Where handlers find what createBff builds: createBff takes the handlers as an option but creates the upstream pools
 * and the router itself, so main.ts (or a test) calls `bind(bff)` once it returns, before the first request.
 */
export class ServiceBinding {
  private bound: { clients: PublicApiClients; bff: Pick<Bff, 'router'> } | undefined;

  /** Binds the clients and the router of a built BFF; called once. */
  bind(bff: Pick<Bff, 'upstreams' | 'grpc' | 'router'>): void {
    if (this.bound) throw new Error('ServiceBinding.bind: already bound');
    this.bound = { clients: createClients(bff), bff };
  }

  /** The backend clients; throws if used before bind (a wiring mistake, answered as a 500). */
  get clients(): PublicApiClients {
    return this.require().clients;
  }

  /** The routing map the router serves now (hot reloads included). */
  routes(): RoutesInForce {
    const map = this.require().bff.router.current();
    return { version: map.version, routes: map.routes.map((r) => r.definition) };
  }

  private require(): { clients: PublicApiClients; bff: Pick<Bff, 'router'> } {
    if (!this.bound) throw new Error('ServiceBinding: used before bind(bff)');
    return this.bound;
  }
}
