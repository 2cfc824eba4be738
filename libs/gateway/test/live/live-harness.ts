/** Test harness for the live module: a real BFF (createBff) on 127.0.0.1 with liveOrders mounted, HS256 tokens, ws clients. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import WebSocket from 'ws';
import { MemoryEventBus, type BusEvent, type EventBus } from '@portico/edge';
import { createBff, type Bff } from '../../src/create-bff';
import { liveOrders, type LiveOrders } from '../../src/live/live-orders';
import type { LiveLimits } from '../../src/live/live-settings';
import { busEventSource, type OrderEventSource } from '../../src/live/order-event-source';

export const SECRET = 'portico-live-test-secret-0123456789abcdef';
export const ISSUER = 'https://issuer.portico.test/';
export const AUTH_ENV = { JWT_SECRET: SECRET, JWT_ISSUER: ISSUER, JWT_AUDIENCE: 'portico', NODE_ENV: 'test' };

/** An HS256 token for `sub` (default the owner of every test order), valid for `seconds`. */
export function token(sub = 'c-1', seconds = 300, secret = SECRET): string {
  return jwt.sign({ iss: ISSUER, aud: 'portico', sub, scope: 'orders:read' }, secret, { algorithm: 'HS256', expiresIn: seconds });
}

/** A running BFF with the live module over an in-process bus whose subscriptions are counted. */
export interface LiveHarness {
  bff: Bff;
  live: LiveOrders;
  http: string;
  ws: string;
  bus: EventBus;
  /** Subscriptions made on the bus so far. */
  follows(): number;
  publish(orderId: string, event: Partial<BusEvent> & { type: string }): Promise<void>;
  close(): Promise<void>;
}

/** Options for startLiveBff. */
export interface HarnessOptions {
  limits?: Partial<LiveLimits>;
  allowedOrigins?: string[];
  source?: OrderEventSource;
  env?: Record<string, string>;
  /** Orders and their owners (default: o-1 and o-2 owned by c-1, o-9 by c-9). */
  owners?: Record<string, string>;
}

const ROUTES = 'routes:\n  - { id: get-order, method: GET, path: /orders/:orderId, upstream: "${ORDER_SERVICE_URL}/orders/:orderId" }\n';

export async function startLiveBff(options: HarnessOptions = {}): Promise<LiveHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'portico-live-'));
  writeFileSync(join(dir, 'routes.yaml'), ROUTES);
  const bff = await createBff({
    serviceName: 'live-test-bff',
    routesFile: join(dir, 'routes.yaml'),
    env: { ...AUTH_ENV, PORT: '0', LOG_LEVEL: 'silent', ORDER_SERVICE_URL: 'http://127.0.0.1:9', ...options.env },
    signals: false,
    watch: false,
  });
  const bus = new MemoryEventBus();
  let follows = 0;
  const counted: EventBus = {
    publish: (channel, event) => bus.publish(channel, event),
    subscribe: (channel, handler) => {
      follows++;
      return bus.subscribe(channel, handler);
    },
    close: () => bus.close(),
  };
  const owners = options.owners ?? { 'o-1': 'c-1', 'o-2': 'c-1', 'o-9': 'c-9' };
  const live = liveOrders({
    authenticator: bff.authenticator,
    source: options.source ?? busEventSource(counted),
    readiness: bff.readiness,
    logger: bff.logger,
    metrics: bff.metrics,
    ownerOf: async (orderId) => owners[orderId],
    allowedOrigins: options.allowedOrigins ?? ['https://app.portico.test'],
    drainDelayMs: bff.config.lifecycle.drainDelayMs,
    limits: { lingerMs: 5_000, ...options.limits },
  });
  bff.mount('live orders', live);
  const server = await bff.listen(0, '127.0.0.1');
  const port = (server.address() as AddressInfo).port;
  let seq = 0;
  return {
    bff,
    live,
    http: `http://127.0.0.1:${port}`,
    ws: `ws://127.0.0.1:${port}`,
    bus,
    follows: () => follows,
    publish: (orderId, event) => bus.publish(`orders.${orderId}`, { id: `${orderId}:${++seq}`, at: new Date().toISOString(), ...event } as BusEvent),
    close: async () => {
      await bff.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A ws client that records messages and how it closed. */
export interface TestClient {
  ws: WebSocket;
  messages: Array<Record<string, unknown>>;
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens a socket and waits for it to open (rejects with the refusal's status and problem body). */
export function connect(url: string, options: WebSocket.ClientOptions & { protocols?: string[] } = {}): Promise<TestClient> {
  return new Promise((resolve, reject) => {
    const { protocols, ...rest } = options;
    const ws = new WebSocket(url, protocols ?? [], rest);
    const messages: Array<Record<string, unknown>> = [];
    const closed = new Promise<{ code: number; reason: string }>((done) => ws.on('close', (code, reason) => done({ code, reason: reason.toString() })));
    ws.on('message', (data) => messages.push(JSON.parse(data.toString()) as Record<string, unknown>));
    ws.on('open', () => resolve({ ws, messages, closed }));
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => reject(Object.assign(new Error(`refused ${res.statusCode}`), { status: res.statusCode, headers: res.headers, body: JSON.parse(body || '{}') as Record<string, unknown> })));
    });
    ws.on('error', (err) => reject(err));
  });
}

/** Connects with `Sec-WebSocket-Protocol: bearer, <token>`. */
export function connectAs(h: { ws: string }, orderId: string, bearer = token(), extra: WebSocket.ClientOptions & { query?: string } = {}): Promise<TestClient> {
  const { query, ...rest } = extra;
  return connect(`${h.ws}/orders/${orderId}/live${query ? `?${query}` : ''}`, { protocols: ['bearer', bearer], ...rest });
}

/** Polls until `check` holds. */
export async function until(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
