/**
 * The fleet plan: which services exist (any services/* or services/backends/* package with `portico.defaultPort`),
 * which port each gets and the environment that wires them together. Shared by `make dev` and the e2e harness;
 * starting and stopping processes is fleet-process.mjs's job.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOCAL_HOST, LOCAL_JWT_AUDIENCES, LOCAL_JWT_ISSUER, LOCAL_JWT_SECRET } from './local-dev.mjs';

/** The repository root (the folder holding scripts/). */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Variables a developer may set in the shell that reach every service unchanged. */
export const PASSTHROUGH_VARS = Object.freeze([
  'REDIS_URL',
  'REDIS_KEY_PREFIX',
  'LOG_LEVEL',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_PROTOCOL',
  'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
  'TRACE_CONTEXT',
  'ORDER_STEP_TIME',
  'KITCHEN_PREP_TIME',
  'DELIVERY_PICKUP_TIME',
  'DELIVERY_TRAVEL_TIME',
  'COURIER_LOCATION_EVERY',
]);

// What a Node child needs from the operating system; everything else is set on purpose, so a stray
// JWT_SECRET or PORT in the developer's shell never leaks into a service.
const OS_VARS = ['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'SYSTEMROOT'];

function readPackages(parent, kind) {
  if (!existsSync(parent)) return [];
  const found = [];
  for (const entry of readdirSync(parent, { withFileTypes: true })) {
    const dir = join(parent, entry.name);
    const manifest = join(dir, 'package.json');
    if (!entry.isDirectory() || !existsSync(manifest)) continue;
    const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
    const defaultPort = pkg.portico?.defaultPort;
    if (defaultPort === undefined) continue;
    if (!Number.isInteger(defaultPort) || defaultPort < 1 || defaultPort > 65535) {
      throw new Error(`${relative(process.cwd(), manifest)}: portico.defaultPort must be a port number, got ${JSON.stringify(defaultPort)}`);
    }
    found.push({ name: entry.name, kind, dir, defaultPort, grpcPort: pkg.portico?.grpcPort, packageName: pkg.name ?? entry.name, entry: join(dir, 'dist', 'main.js') });
  }
  return found.sort((a, b) => a.defaultPort - b.defaultPort || a.name.localeCompare(b.name));
}

/** Every service of the fleet under `root`: backends first (they must be ready before a BFF calls them), then BFFs. */
export function discoverServices(root = REPO_ROOT) {
  const services = [...readPackages(join(root, 'services', 'backends'), 'backend'), ...readPackages(join(root, 'services'), 'bff')];
  const byPort = new Map();
  for (const s of services) {
    if (byPort.has(s.defaultPort)) throw new Error(`${s.name} and ${byPort.get(s.defaultPort)} both declare portico.defaultPort ${s.defaultPort}`);
    byPort.set(s.defaultPort, s.name);
  }
  return services;
}

/** The services named in `only` (all of them when it is empty), in fleet order; an unknown name is an error listing the known ones. */
export function selectServices(all, only) {
  if (!only || only.length === 0) return all;
  const known = new Set(all.map((s) => s.name));
  const unknown = only.filter((name) => !known.has(name));
  if (unknown.length) throw new Error(`unknown service ${unknown.join(', ')}; the fleet has ${[...known].join(', ')}`);
  return all.filter((s) => only.includes(s.name));
}

/** Parses PORTICO_PORT_OFFSET: a whole number ≥ 0 (empty means 0). */
export function parsePortOffset(value) {
  if (value === undefined || value === '') return 0;
  if (!/^\d+$/.test(value)) throw new Error(`PORTICO_PORT_OFFSET: expected a whole number ≥ 0, got "${value}"`);
  return Number(value);
}

/** Each service's default port plus `offset`, by name; fails when a port would leave the TCP range. */
export function defaultPorts(services, offset = 0) {
  const ports = new Map();
  for (const s of services) {
    const port = s.defaultPort + offset;
    if (port > 65535) throw new Error(`PORTICO_PORT_OFFSET ${offset} puts ${s.name} on port ${port}, past 65535`);
    ports.set(s.name, port);
  }
  return ports;
}

/** The variable a service's callers read its address from: `order` → `ORDER_SERVICE_URL`. */
export function serviceUrlVar(name) {
  return `${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_SERVICE_URL`;
}

/**
 * The local API key file the public API reads and `npm run apikey` appends to: `<repo>/.local/api-keys.json` (ignored
 * by git), created as an empty list when missing so a fresh checkout's public API starts (and stays ready) with no keys.
 */
export function localApiKeysFile() {
  const file = join(REPO_ROOT, '.local', 'api-keys.json');
  if (existsSync(file)) return file;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(file, '[]\n', { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if (err.code !== 'EEXIST') throw err;
  }
  return file;
}

/**
 * The embedded local settings for one service: PORT, HOST, NODE_ENV, the other backends' *_SERVICE_URL, and for a
 * JWT-verifying BFF the local HS256 settings (for the public API the local API key file). `all` must be every discovered service, so the wiring is the same
 * whichever subset runs; `ports` maps each name to its port.
 */
export function serviceEnv(service, all, ports, { host = LOCAL_HOST, nodeEnv = 'development' } = {}) {
  // OTEL_SERVICE_NAME names each service's spans when OTEL_EXPORTER_OTLP_ENDPOINT is passed through.
  const env = { PORT: String(ports.get(service.name)), HOST: host, NODE_ENV: nodeEnv, OTEL_SERVICE_NAME: service.name };
  // A gRPC backend's second port keeps its distance from the HTTP one, so it moves with the same offset (9104 = 9004 + 100).
  if (service.grpcPort) env.GRPC_PORT = String(ports.get(service.name) + service.grpcPort - service.defaultPort);
  for (const other of all) {
    if (other.kind !== 'backend' || other.name === service.name) continue;
    env[serviceUrlVar(other.name)] = `http://${host}:${ports.get(other.name)}`;
    if (other.grpcPort) env[`${other.name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_GRPC_ADDRESS`] = `${host}:${ports.get(other.name) + other.grpcPort - other.defaultPort}`;
  }
  const audience = LOCAL_JWT_AUDIENCES[service.name];
  if (service.kind === 'bff' && audience) {
    Object.assign(env, { JWT_ISSUER: LOCAL_JWT_ISSUER, JWT_SECRET: LOCAL_JWT_SECRET, JWT_AUDIENCE: audience });
  }
  if (service.kind === 'bff' && service.name === 'public-api') env.API_KEYS_FILE = localApiKeysFile();
  if (service.name === 'web-app' && ports.has('web-bff')) env.WEB_BFF_URL = `http://${host}:${ports.get('web-bff')}`;
  if (service.name === 'web-bff' && ports.has('web-app')) env.CORS_ALLOWED_ORIGINS = [host, 'localhost'].map((h) => `http://${h}:${ports.get('web-app')}`).join(',');
  return env;
}

/** The part of `parent` (usually process.env) a child inherits: the OS basics, plus PASSTHROUGH_VARS when `passthrough`. */
export function inheritedEnv(parent, { passthrough = true } = {}) {
  const env = {};
  for (const key of [...OS_VARS, ...(passthrough ? PASSTHROUGH_VARS : [])]) {
    if (parent[key] !== undefined && parent[key] !== '') env[key] = parent[key];
  }
  return env;
}

/** The services whose dist/main.js is missing, as one message telling the reader to build; undefined when all are built. */
export function missingBuilds(services) {
  const missing = services.filter((s) => !existsSync(s.entry));
  if (missing.length === 0) return undefined;
  return `not built: ${missing.map((s) => relative(REPO_ROOT, s.entry)).join(', ')}; run \`npx tsc -b\` first`;
}
