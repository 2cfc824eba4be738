/**
 * The backends the public API's handlers call, as ServiceClients over the pools createBff built, and the binding that
 * hands them (and the routing map in force) to handlers created before createBff ran. Timeouts and retries are the clients' own.
 */
import { ServiceClient, type Bff, type RouteDefinition, type Upstreams } from '@portico/gateway';

/** Upstream names → the variable holding each backend's URL, as createBff's `upstreams` option takes them. */
export const UPSTREAMS = Object.freeze({
  order: 'ORDER_SERVICE_URL',
  kitchen: 'KITCHEN_SERVICE_URL',
  delivery: 'DELIVERY_SERVICE_URL',
  accounting: 'ACCOUNTING_SERVICE_URL',
  restaurant: 'RESTAURANT_SERVICE_URL',
});

/** One JSON client per backend. */
export type PublicApiClients = { readonly [name in keyof typeof UPSTREAMS]: ServiceClient };

/** Builds the clients once, over the upstream pools (breakers, bulkheads, keep-alive) createBff created. */
export function createClients(upstreams: Pick<Upstreams, 'get'>): PublicApiClients {
  return Object.freeze({
    order: new ServiceClient(upstreams.get('order')),
    kitchen: new ServiceClient(upstreams.get('kitchen')),
    delivery: new ServiceClient(upstreams.get('delivery')),
    accounting: new ServiceClient(upstreams.get('accounting')),
    restaurant: new ServiceClient(upstreams.get('restaurant')),
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
  bind(bff: Pick<Bff, 'upstreams' | 'router'>): void {
    if (this.bound) throw new Error('ServiceBinding.bind: already bound');
    this.bound = { clients: createClients(bff.upstreams), bff };
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
