/**
 * Mock FTGO backends on loopback for mobile-bff tests: a small in-memory order service plus scripted restaurant,
 * kitchen and accounting answers over HTTP, delivery over gRPC, and HS256 tokens for the `mobile` audience.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fakeOrderService, fakeRestaurantService, hs256Token, startBff, startMockGrpc, startMockUpstream, type MockGrpc, type MockUpstream, type StartedBff, type FakeOrder } from '@portico/testing';
import { Backends, DELIVERY_SERVICE, GRPC_UPSTREAMS, UPSTREAMS } from '../src/clients';
import { mobileHandlers } from '../src/handlers';
import { PROTO_PATH } from '../src/mobile-bff';

export const SECRET = 'mobile-bff-test-secret-0123456789abcdefghij';
export const ISSUER = 'portico-test';

/** A token for `sub` with both order scopes unless `scope` says otherwise. */
export function token(sub: string, scope = 'orders:read orders:write'): string {
  return hs256Token(SECRET, { iss: ISSUER, aud: 'mobile', sub, scope });
}

/** The environment a BFF under test needs to verify those tokens. */
export const JWT_ENV = { JWT_SECRET: SECRET, JWT_ISSUER: ISSUER, JWT_AUDIENCE: 'mobile' };

/** The six mock backends and the orders the fake order service holds. */
export interface FtgoMocks {
  order: MockUpstream;
  restaurant: MockUpstream;
  kitchen: MockUpstream;
  /** DeliveryService over gRPC: GetDelivery. */
  delivery: MockGrpc;
  /** The delivery service's REST API (its live event stream). */
  deliveryEvents: MockUpstream;
  accounting: MockUpstream;
  consumer: MockUpstream;
  orders: Map<string, FakeOrder>;
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** Starts the mocks; `orders` seeds the fake order service. */
export async function startFtgoMocks(): Promise<FtgoMocks> {
  const [order, restaurant, kitchen, deliveryEvents, accounting, consumer] = await Promise.all([
    startMockUpstream(),
    startMockUpstream(),
    startMockUpstream(),
    startMockUpstream(),
    startMockUpstream(),
    startMockUpstream(),
  ]);
  const orders = fakeOrderService(order);
  fakeRestaurantService(restaurant);
  kitchen.on('GET', '/tickets/*', (req) => ({ json: { ticketId: `t-${req.pathname.split('/')[2]}`, state: 'ACCEPTED', readyBy: '2030-01-01T12:00:00.000Z' } }));
  // 2030-01-01T12:30:00Z as the gRPC message carries it: epoch milliseconds, an int64 decimal string.
  const delivery = await startMockGrpc(PROTO_PATH, {
    [DELIVERY_SERVICE]: {
      GetDelivery: (req) => ({ deliveryId: `d-${String(req.orderId)}`, orderId: req.orderId, state: 'PENDING', courier: { courierId: 'k-1', name: 'Dana' }, etaUnixMs: '1893501000000', location: { lat: 37.8, lng: -122.27 } }),
    },
  });
  accounting.on('GET', '/bills/*', (req) => ({ json: { billId: `b-${req.pathname.split('/')[2]}`, amount: 2500, currency: 'USD', state: 'AUTHORIZED' } }));
  const http = { order, restaurant, kitchen, delivery: deliveryEvents, accounting, consumer };
  const env = { ...Object.fromEntries(Object.entries(UPSTREAMS).map(([name, variable]) => [variable, http[name as keyof typeof http].url])), [GRPC_UPSTREAMS.delivery]: delivery.address };
  const all = { ...http, delivery, deliveryEvents };
  return { ...all, orders, env, stop: async () => void (await Promise.all(Object.values(all).map((m) => m.stop()))) };
}

/** The real routes.yaml of mobile-bff. */
export const ROUTES = readFileSync(join(__dirname, '..', 'routes.yaml'), 'utf8');

/** mobile-bff's routing map and handlers on startBff, wired to the mocks. */
export async function startMobileBff(mocks: FtgoMocks, env: Record<string, string> = {}): Promise<StartedBff> {
  const backends = new Backends();
  const started = await startBff({
    routes: ROUTES,
    env: { ...JWT_ENV, ...mocks.env, ...env },
    handlers: mobileHandlers(backends),
    upstreams: UPSTREAMS,
    grpcUpstreams: GRPC_UPSTREAMS,
    protoPath: PROTO_PATH,
    serviceName: 'mobile-bff',
  });
  backends.bind(started.bff);
  return started;
}

/** A valid POST /orders body. */
export const NEW_ORDER = { restaurantId: 'r-1', lineItems: [{ menuItemId: 'm-101', quantity: 2 }], deliveryAddress: { street: '10 Main St', city: 'Oakland', zip: '94610' } };

/** JSON request against the BFF under test. */
export async function call(url: string, init: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}
