/**
 * Test harness for the public API: the real routes.yaml and handlers on startBff, one mock upstream per REST backend,
 * one mock gRPC backend each for kitchen and delivery, and API keys written to a temporary API_KEYS_FILE. Scripting
 * the mocks is each test's job.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { generateApiKey, type ApiKeyRecord } from '@portico/edge';
import { startBff, startMockGrpc, startMockUpstream, type MockGrpc, type MockUpstream, type StartedBff } from '@portico/testing';
import { GRPC_SERVICES, GRPC_UPSTREAMS, PROTO_PATH, ServiceBinding, UPSTREAMS } from '../../src/clients';
import { publicApiHandlers } from '../../src/handlers';

/** The service's own routing map. */
export const ROUTES_FILE = join(__dirname, '..', '..', 'routes.yaml');

/** What a test key is issued for. */
export interface KeySpec {
  owner: string;
  scopes?: string[];
  plan?: string;
}

/** A running public API with its mock backends and keys. */
export interface PublicApiUnderTest {
  url: string;
  api: StartedBff;
  backends: Record<keyof typeof UPSTREAMS, MockUpstream>;
  /** Kitchen (KitchenService) and delivery (DeliveryService) over gRPC; every method answers UNIMPLEMENTED until scripted. */
  grpc: Record<keyof typeof GRPC_UPSTREAMS, MockGrpc>;
  /** The plaintext keys by the name the test gave them. */
  keys: Record<string, string>;
  records: Record<string, ApiKeyRecord>;
  close(): Promise<void>;
}

/** Starts the public API over its mock backends with the given keys (default scopes orders:read orders:write, plan free). */
export async function startPublicApi(keySpecs: Record<string, KeySpec>, env: Record<string, string> = {}): Promise<PublicApiUnderTest> {
  const dir = mkdtempSync(join(tmpdir(), 'portico-public-api-'));
  const keys: Record<string, string> = {};
  const records: Record<string, ApiKeyRecord> = {};
  for (const [name, spec] of Object.entries(keySpecs)) {
    const issued = generateApiKey({ owner: spec.owner, scopes: spec.scopes ?? ['orders:read', 'orders:write'], plan: spec.plan ?? 'free' });
    keys[name] = issued.key;
    records[name] = issued.record;
  }
  const keysFile = join(dir, 'api-keys.json');
  writeFileSync(keysFile, JSON.stringify(Object.values(records)));
  const names = Object.keys(UPSTREAMS) as Array<keyof typeof UPSTREAMS>;
  const mocks = await Promise.all(names.map(() => startMockUpstream()));
  const backends = Object.fromEntries(names.map((name, i) => [name, mocks[i]!])) as PublicApiUnderTest['backends'];
  const grpc = { kitchen: await startMockGrpc(PROTO_PATH, { [GRPC_SERVICES.kitchen]: {} }), delivery: await startMockGrpc(PROTO_PATH, { [GRPC_SERVICES.delivery]: {} }) };
  const stopAll = () => Promise.all([...mocks, ...Object.values(grpc)].map((m) => m.stop()));
  const urls = Object.fromEntries(names.map((name) => [UPSTREAMS[name], backends[name].url]));
  const addresses = { [GRPC_UPSTREAMS.kitchen]: grpc.kitchen.address, [GRPC_UPSTREAMS.delivery]: grpc.delivery.address };
  const binding = new ServiceBinding();
  let api: StartedBff;
  try {
    api = await startBff({
      routes: readFileSync(ROUTES_FILE, 'utf8'),
      serviceName: 'public-api',
      env: { ...urls, ...addresses, API_KEYS_FILE: keysFile, ...env },
      handlers: publicApiHandlers(binding),
      upstreams: UPSTREAMS,
      grpcUpstreams: GRPC_UPSTREAMS,
      protoPath: PROTO_PATH,
    });
  } catch (err) {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  binding.bind(api.bff);
  return {
    url: api.url,
    api,
    backends,
    grpc,
    keys,
    records,
    async close() {
      await api.close();
      await stopAll();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A backend order owned by `consumerId`, as the order service answers it. */
export function backendOrder(orderId: string, consumerId: string, state = 'APPROVED'): Record<string, unknown> {
  const at = '2025-01-01T12:00:00.000Z';
  return {
    orderId,
    consumerId,
    restaurantId: 'r-1',
    lineItems: [{ menuItemId: 'm-101', name: 'Chicken Vindaloo', quantity: 2, price: 1250 }],
    deliveryAddress: { street: '10 Main St', city: 'Oakland', zip: '94610' },
    total: 2500,
    currency: 'USD',
    state,
    createdAt: at,
    updatedAt: at,
    history: [{ state: 'APPROVED', at }],
  };
}

/** How a test request authenticates and what it sends. */
export interface SendOptions {
  /** Sent as X-API-Key, unless `bearer` says Authorization: Bearer. */
  key?: string;
  bearer?: boolean;
  body?: unknown;
  /** A raw body (sent as is, with `content-type` from headers or application/json). */
  raw?: string;
  headers?: Record<string, string>;
}

/** One answer: status, headers and the parsed JSON body (undefined when empty). */
export interface Answer {
  method: string;
  path: string;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** Sends one request with undici and reads the whole answer. */
export async function send(base: string, method: string, path: string, options: SendOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key !== undefined) {
    if (options.bearer) headers.authorization = `Bearer ${options.key}`;
    else headers['x-api-key'] = options.key;
  }
  let payload: string | undefined = options.raw;
  if (options.body !== undefined) payload = JSON.stringify(options.body);
  if (payload !== undefined) headers['content-type'] ??= 'application/json';
  const res = await request(`${base}${path}`, { method: method as 'GET', headers, body: payload });
  const text = await res.body.text();
  return { method, path, status: res.statusCode, headers: res.headers, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}
