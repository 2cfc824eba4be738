/**
 * The deployment plan: what packaging and deploying each service needs, read from the service's own files —
 * package.json (`portico.defaultPort`, `portico.grpcPort`, scripts, @portico dependencies), src/ and routes.yaml —
 * never from a hand-kept list. scripts/new-bff.mjs writes from it; test/deploy checks the committed files against it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { discoverServices, REPO_ROOT, serviceUrlVar } from './fleet-plan.mjs';

/** Where compose and Kubernetes send traces (the collector's OTLP/HTTP port). */
export const OTLP_ENDPOINT = 'http://otel-collector:4318';
/** The Redis every replica shares, inside compose and the cluster. */
export const REDIS_URL = 'redis://redis:6379';
/** The port the load balancer listens on in compose (and in the nginx config). */
export const LB_PORT = 8080;

/** The variable a service's callers read its gRPC address from: `kitchen` → `KITCHEN_GRPC_ADDRESS`. */
export function grpcAddressVar(name) {
  return `${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_GRPC_ADDRESS`;
}

/** The image repository of a service, as compose builds it and the k8s bases name it: `portico/<name>`. */
export function imageName(name) {
  return `portico/${name}`;
}

/** The public path prefix and host label a new BFF gets by default: `tv-bff` → `tv`. */
export function defaultClientPrefix(name) {
  return name.replace(/-bff$/, '');
}

/** The owning team a new service gets by default in CODEOWNERS. */
export function defaultTeam(name) {
  return `@portico/${name}-team`;
}

function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** Every workspace package of `root` by package name: `{ dir (relative), pkg }`. */
export function workspacePackages(root = REPO_ROOT) {
  const found = new Map();
  for (const parent of ['libs', 'services', join('services', 'backends')]) {
    const abs = join(root, parent);
    if (!existsSync(abs)) continue;
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      const manifest = join(abs, entry.name, 'package.json');
      if (!entry.isDirectory() || !existsSync(manifest)) continue;
      const pkg = readJson(manifest);
      found.set(pkg.name, { dir: join(parent, entry.name), pkg });
    }
  }
  return found;
}

/** The workspace libs a package links, transitively, in build order (a lib before the libs that use it). */
export function linkedLibs(packageName, root = REPO_ROOT) {
  const packages = workspacePackages(root);
  const order = [];
  const visit = (name, trail) => {
    const entry = packages.get(name);
    if (!entry) throw new Error(`${trail.join(' → ')} links ${name}, which is no workspace package`);
    for (const dep of Object.keys({ ...entry.pkg.dependencies })) {
      if (!dep.startsWith('@portico/') || order.includes(packages.get(dep)?.dir)) continue;
      visit(dep, [...trail, dep]);
    }
    if (name !== packageName && !order.includes(entry.dir)) order.push(entry.dir);
  };
  visit(packageName, [packageName]);
  return order;
}

/** The argv of an npm script that runs `node …` (exec form for a container's CMD); throws for anything else. */
export function scriptArgv(pkg, script) {
  const text = pkg.scripts?.[script];
  if (!text) throw new Error(`${pkg.name}: no "${script}" script in package.json`);
  const argv = text.trim().split(/\s+/);
  if (argv[0] !== 'node' || /[|&;<>$`'"]/.test(text)) throw new Error(`${pkg.name}: "${script}" must be a plain \`node …\` command, got "${text}"`);
  return argv;
}

/** The `${VAR}` names a routing map refers to. */
export function routingMapVariables(file) {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8').replace(/^\s*#.*$/gm, '');
  return [...new Set([...text.matchAll(/\$\{([A-Z][A-Z0-9_]*)\}/g)].map((m) => m[1]))].sort();
}

function sourceFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath ?? e.path, e.name));
}

/**
 * The environment variables a service's own code declares beyond the edge ones: upper-case names written as object
 * keys or string literals in src/ (loadConfig `extra` and `defaults`, createBff `upstreams`), plus its routing map's.
 */
export function serviceVariables(serviceDir) {
  const names = new Set(routingMapVariables(join(serviceDir, 'routes.yaml')));
  // Object keys (`KITCHEN_PREP_TIME: durationSchema`) and quoted upstream variables (`order: 'ORDER_SERVICE_URL'`);
  // other quoted capitals are error codes and states, not variables.
  const pattern = /(?:['"]([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*_(?:URL|ADDRESS))['"]|\b([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\s*:(?!:))/g;
  for (const file of sourceFiles(join(serviceDir, 'src'))) {
    const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    for (const m of text.matchAll(pattern)) names.add(m[1] ?? m[2]);
  }
  return [...names].sort();
}

function usesProtos(serviceDir) {
  return sourceFiles(join(serviceDir, 'src')).some((file) => /\bprotoPath\b/.test(readFileSync(file, 'utf8')));
}

/** One service as deployment sees it. */
function describe(service, root) {
  const pkg = readJson(join(service.dir, 'package.json'));
  const dir = relative(root, service.dir).split('\\').join('/');
  const grpcPort = pkg.portico?.grpcPort;
  if (grpcPort !== undefined && (!Number.isInteger(grpcPort) || grpcPort < 1 || grpcPort > 65535)) {
    throw new Error(`${dir}/package.json: portico.grpcPort must be a port number, got ${JSON.stringify(grpcPort)}`);
  }
  const variables = serviceVariables(service.dir);
  const libs = linkedLibs(pkg.name, root);
  return {
    name: service.name,
    kind: service.kind,
    // A BFF links the gateway; any other client-facing package (a static web app) is an app.
    role: service.kind === 'backend' ? 'backend' : libs.includes('libs/gateway') ? 'bff' : 'app',
    dir,
    packageName: pkg.name,
    description: pkg.description ?? service.name,
    defaultPort: service.defaultPort,
    grpcPort,
    image: imageName(service.name),
    libs,
    start: scriptArgv(pkg, 'start'),
    hasBuild: typeof pkg.scripts?.build === 'string',
    routingMap: existsSync(join(service.dir, 'routes.yaml')) ? `${dir}/routes.yaml` : undefined,
    variables,
    // Files a static app serves at run time.
    assets: existsSync(join(service.dir, 'public')) ? `${dir}/public` : undefined,
    // The repository's proto/ folder, which gRPC servers and clients load at run time (GRPC_PROTO_PATH defaults to it).
    protos: grpcPort !== undefined || variables.includes('GRPC_PROTO_PATH') || usesProtos(service.dir),
  };
}

/** Every service of the fleet under `root` with what deploying it needs, backends first (fleet order). */
export function deploymentPlan(root = REPO_ROOT) {
  return discoverServices(root).map((s) => describe(s, root));
}

/** The ports a service listens on, as the variables it reads them from: PORT, and GRPC_PORT for a gRPC server. */
export function listenEnv(service) {
  const env = { PORT: String(service.defaultPort) };
  if (service.grpcPort !== undefined && service.variables.includes('GRPC_PORT')) env.GRPC_PORT = String(service.grpcPort);
  return env;
}

/**
 * The wiring a service gets in compose and Kubernetes: each other backend's URL (and gRPC address) that its code
 * reads, with the backends' in-network names. Variables the service never declares are left out.
 */
export function upstreamWiring(service, plan) {
  const env = {};
  const reads = new Set(service.variables);
  for (const other of plan) {
    if (other.kind !== 'backend' || other.name === service.name) continue;
    if (reads.has(serviceUrlVar(other.name))) env[serviceUrlVar(other.name)] = `http://${other.name}:${other.defaultPort}`;
    if (other.grpcPort && reads.has(grpcAddressVar(other.name))) env[grpcAddressVar(other.name)] = `${other.name}:${other.grpcPort}`;
  }
  return env;
}

export { REPO_ROOT, serviceUrlVar };
