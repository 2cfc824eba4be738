/**
 * Checks docker-compose.yml and its Prometheus and collector configs against the services: images, build files,
 * ports, every environment variable (names the service reads, values the edge schema accepts), healthchecks,
 * depends_on, drain time and scrape targets. Returns problems, one line each.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  allowedEnv,
  composeDurationMs,
  drainBudgetMs,
  edgeValueProblems,
  HOOKS_MARGIN_MS,
  interpolateDefaults,
  readYaml,
  type DeployedService,
  type PlanModule,
} from './facts';

interface ComposeService {
  image?: string;
  build?: { context?: string; dockerfile?: string };
  environment?: Record<string, string | number>;
  healthcheck?: { test?: string[]; disable?: boolean };
  depends_on?: Record<string, { condition?: string }>;
  ports?: string[];
  expose?: string[];
  volumes?: string[];
  read_only?: boolean;
  stop_grace_period?: string;
  'x-healthcheck-unavailable'?: string;
}

/** docker-compose.yml, parsed with merge keys resolved. */
export interface ComposeFile {
  services: Record<string, ComposeService>;
}

/** Everything wrong with docker-compose.yml (and the configs it mounts) for the services of `plan`. */
export function composeProblems(root: string, plan: readonly DeployedService[], mod: PlanModule, jwt: { issuer: string; secret: string; audiences: Readonly<Record<string, string>> }): string[] {
  const problems: string[] = [];
  const compose = readYaml<ComposeFile>(root, 'docker-compose.yml');
  const services = compose.services ?? {};

  for (const [name, svc] of Object.entries(services)) {
    const has = svc.healthcheck?.test && !svc.healthcheck.disable;
    if (!has && !svc['x-healthcheck-unavailable']) problems.push(`${name}: no healthcheck (or x-healthcheck-unavailable saying why)`);
    for (const [dep, how] of Object.entries(svc.depends_on ?? {})) {
      if (!services[dep]) problems.push(`${name}: depends on ${dep}, which is no service`);
      else if (how.condition === 'service_healthy' && !services[dep]!.healthcheck?.test) problems.push(`${name}: waits for ${dep} to be healthy, but ${dep} has no healthcheck`);
    }
  }

  for (const s of plan) {
    const svc = services[s.name];
    const say = (message: string) => problems.push(`${s.name}: ${message}`);
    if (!svc) {
      say('missing from docker-compose.yml');
      continue;
    }
    if (!svc.image?.startsWith(`${s.image}:`)) say(`image ${svc.image} is not ${s.image}:<tag>`);
    if (svc.build?.context !== '.' || svc.build.dockerfile !== `${s.dir}/Dockerfile`) say(`builds ${JSON.stringify(svc.build)}; expected context . and ${s.dir}/Dockerfile`);
    const env = Object.fromEntries(Object.entries(svc.environment ?? {}).map(([k, v]) => [k, interpolateDefaults(String(v))]));
    const allowed = allowedEnv(s);
    for (const key of Object.keys(env)) if (!allowed.has(key)) say(`sets ${key}, which ${s.name} never reads`);
    problems.push(...edgeValueProblems(`${s.name} (compose)`, env));
    for (const [key, value] of Object.entries(mod.listenEnv(s))) if (env[key] !== value) say(`${key} is ${env[key]}; the service's package.json says ${value}`);
    for (const [key, value] of Object.entries(mod.upstreamWiring(s, plan))) if (env[key] !== value) say(`${key} is ${env[key]}; expected ${value}`);
    const routing = s.routingMap ? mod.routingMapVariables(join(root, s.routingMap)) : [];
    for (const key of routing) if (!env[key]) say(`routes.yaml needs ${key}, which compose does not set`);
    if (env.REDIS_URL !== mod.REDIS_URL) say(`REDIS_URL is ${env.REDIS_URL}; expected ${mod.REDIS_URL}`);
    if (env.OTEL_EXPORTER_OTLP_ENDPOINT !== mod.OTLP_ENDPOINT) say(`OTEL_EXPORTER_OTLP_ENDPOINT is ${env.OTEL_EXPORTER_OTLP_ENDPOINT}; expected ${mod.OTLP_ENDPOINT}`);
    const audience = jwt.audiences[s.name];
    if (audience && (env.JWT_AUDIENCE !== audience || env.JWT_ISSUER !== jwt.issuer || env.JWT_SECRET !== jwt.secret)) say('lacks the local JWT settings of scripts/local-dev.mjs');
    if (s.role === 'bff' && env.TRUSTED_PROXY_HOPS !== '1') say('sits behind the load balancer but TRUSTED_PROXY_HOPS is not 1');
    const wants = Object.entries(svc.depends_on ?? {});
    for (const url of Object.values(mod.upstreamWiring(s, plan))) {
      const target = /^(?:http:\/\/)?([a-z0-9-]+):/.exec(url)?.[1];
      if (target && !wants.some(([d, how]) => d === target && how.condition === 'service_healthy')) say(`calls ${target} but does not wait for it to be healthy`);
    }
    if (!wants.some(([d, how]) => d === 'redis' && how.condition === 'service_healthy')) say('does not wait for Redis to be healthy');
    if (svc.read_only !== true) say('root filesystem is writable');
    const grace = composeDurationMs(svc.stop_grace_period ?? '10s');
    if (grace < drainBudgetMs(env) + HOOKS_MARGIN_MS) say(`stop_grace_period ${svc.stop_grace_period ?? '10s'} is shorter than DRAIN_DELAY + SHUTDOWN_TIMEOUT + hooks`);
    if (s.grpcPort && !svc.expose?.map(String).includes(String(s.grpcPort))) say(`does not expose its gRPC port ${s.grpcPort}`);
    if (s.role === 'bff' && services.lb?.depends_on?.[s.name]?.condition !== 'service_healthy') say('the load balancer does not wait for it');
  }

  const lb = services.lb;
  if (!lb?.volumes?.some((v) => v.startsWith('./deploy/nginx:'))) problems.push('lb: does not mount ./deploy/nginx');
  for (const v of Object.values(services).flatMap((svc) => svc.volumes ?? [])) {
    const source = v.split(':')[0]!;
    if (source.startsWith('./') && !existsSync(join(root, source))) problems.push(`volume ${v}: ${source} does not exist`);
  }
  if (!services.jaeger?.ports?.some((p) => /:16686$/.test(p))) problems.push('jaeger: UI port 16686 not published');

  const prometheus = readYaml<{ scrape_configs: Array<{ metrics_path?: string; static_configs: Array<{ targets: string[] }> }> }>(root, 'deploy/prometheus/prometheus.yml');
  const scraped = prometheus.scrape_configs.filter((j) => (j.metrics_path ?? '/metrics') === '/metrics').flatMap((j) => j.static_configs.flatMap((c) => c.targets));
  for (const s of plan) if (!scraped.includes(`${s.name}:${s.defaultPort}`)) problems.push(`prometheus: does not scrape ${s.name}:${s.defaultPort}/metrics`);
  for (const target of scraped) if (!services[target.split(':')[0]!]) problems.push(`prometheus: scrapes ${target}, which is no compose service`);

  const collector = readYaml<{ receivers: { otlp: { protocols: { http: { endpoint: string } } } }; exporters: Record<string, { endpoint?: string }>; service: { pipelines: { traces: { exporters: string[] } } } }>(
    root,
    'deploy/otel-collector/config.yaml',
  );
  if (!collector.receivers.otlp.protocols.http.endpoint.endsWith(`:${new URL(mod.OTLP_ENDPOINT).port}`)) problems.push('otel-collector: OTLP/HTTP is not where the services send it');
  const exported = collector.service.pipelines.traces.exporters.map((e) => collector.exporters[e]?.endpoint);
  if (!exported.some((e) => e?.startsWith('jaeger:'))) problems.push('otel-collector: traces are not exported to jaeger');
  return problems;
}
