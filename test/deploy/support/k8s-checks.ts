/**
 * Renders the kustomizations with `kubectl kustomize` (offline) and checks the objects: the Kubernetes schemas
 * (kubernetes-models), and agreement with each service — image, ports, probe paths, variables, routing-map ConfigMap,
 * restricted security context, drain timing, one-BFF-alone overlays. Returns problems, one line each.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { allowedEnv, drainBudgetMs, edgeValueProblems, HOOKS_MARGIN_MS, type DeployedService, type PlanModule } from './facts';

const run = promisify(execFile);

/** A rendered Kubernetes object, as loosely typed as YAML gives it. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  [key: string]: unknown;
}

/** `kubectl kustomize <dir>` as objects; fails with a message saying what to install when kubectl is missing. */
export async function render(root: string, rel: string): Promise<K8sObject[]> {
  let stdout: string;
  try {
    ({ stdout } = await run('kubectl', ['kustomize', join(root, rel)], { maxBuffer: 16 * 1024 * 1024, timeout: 30_000 }));
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new Error('kubectl not found: the manifests are rendered with `kubectl kustomize` (kubectl ≥ 1.27, offline)');
    throw new Error(`kubectl kustomize ${rel} failed: ${e.stderr ?? e.message}`);
  }
  return parseAllDocuments(stdout)
    .map((d) => d.toJS() as K8sObject)
    .filter(Boolean);
}

type Validating = new (data: unknown) => { validate(): void };

/** Validates each object against the Kubernetes OpenAPI schema of its apiVersion and kind (kubernetes-models). */
export async function schemaProblems(where: string, objects: readonly K8sObject[]): Promise<string[]> {
  const problems: string[] = [];
  for (const o of objects) {
    const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
    const path = group ? `kubernetes-models/${group}/${version}/${o.kind}` : `kubernetes-models/${version}/${o.kind}`;
    let Model: Validating;
    try {
      Model = ((await import(path)) as { default?: Validating } & Record<string, Validating>)[o.kind] ?? ((await import(path)) as { default: Validating }).default;
    } catch {
      problems.push(`${where}: ${o.apiVersion} ${o.kind} ${o.metadata.name}: no such Kubernetes API`);
      continue;
    }
    // kustomize folds long base64 values over lines; the API server's decoder ignores the newlines, so does this check.
    const data = o.kind === 'Secret' && o.data ? { data: Object.fromEntries(Object.entries(o.data).map(([k, v]) => [k, v.replace(/\s/g, '')])) } : {};
    try {
      new Model({ ...o, ...data }).validate();
    } catch (err) {
      problems.push(`${where}: ${o.kind} ${o.metadata.name}: ${(err as Error).message}`);
    }
  }
  return problems;
}

interface Container {
  name: string;
  image: string;
  ports?: Array<{ name: string; containerPort: number }>;
  env?: Array<{ name: string; value?: string }>;
  envFrom?: Array<{ secretRef?: { name: string } }>;
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  lifecycle?: { preStop?: { exec?: { command: string[] }; sleep?: { seconds: number } } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; capabilities?: { drop?: string[] }; runAsNonRoot?: boolean };
  volumeMounts?: Array<{ name: string; mountPath: string; subPath?: string }>;
}

interface PodSpec {
  containers: Container[];
  securityContext?: { runAsNonRoot?: boolean; seccompProfile?: { type: string } };
  terminationGracePeriodSeconds?: number;
  volumes?: Array<{ name: string; configMap?: { name: string } }>;
}

const podOf = (d: K8sObject): PodSpec => (d.spec as { template: { spec: PodSpec } }).template.spec;

/** Pod Security "restricted" and the rest of the container hygiene every Deployment must show. */
export function restrictedProblems(where: string, objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  for (const d of objects.filter((o) => o.kind === 'Deployment')) {
    const pod = podOf(d);
    const say = (m: string) => problems.push(`${where}: Deployment ${d.metadata.name}: ${m}`);
    if (pod.securityContext?.runAsNonRoot !== true) say('pod may run as root');
    if (pod.securityContext?.seccompProfile?.type !== 'RuntimeDefault') say('no RuntimeDefault seccomp profile');
    for (const c of pod.containers) {
      const sc = c.securityContext ?? {};
      if (sc.allowPrivilegeEscalation !== false) say(`${c.name}: privilege escalation allowed`);
      if (sc.readOnlyRootFilesystem !== true) say(`${c.name}: root filesystem writable`);
      if (!sc.capabilities?.drop?.includes('ALL')) say(`${c.name}: capabilities not dropped`);
      if (!c.resources?.requests || !c.resources.limits?.memory) say(`${c.name}: no resource requests and memory limit`);
      if (!c.livenessProbe || !c.readinessProbe) say(`${c.name}: missing liveness or readiness probe`);
    }
  }
  return problems;
}

function preStopSeconds(c: Container): number | undefined {
  const pre = c.lifecycle?.preStop;
  if (pre?.sleep) return pre.sleep.seconds;
  const cmd = pre?.exec?.command;
  return cmd?.[0] === 'sleep' ? Number(cmd[1]) : undefined;
}

/** Checks the Deployment (and Service) of one service in a rendered set against the service itself. */
export function workloadProblems(where: string, objects: readonly K8sObject[], s: DeployedService, plan: readonly DeployedService[], mod: PlanModule, root: string): string[] {
  const problems: string[] = [];
  const say = (m: string) => problems.push(`${where}: ${s.name}: ${m}`);
  const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === s.name);
  if (!deployment) return [`${where}: no Deployment ${s.name}`];
  const pod = podOf(deployment);
  const c = pod.containers.find((x) => x.name === s.name) ?? pod.containers[0]!;
  const repo = c.image.replace(/:[^/:]+$/, '');
  if (repo !== s.image && !repo.endsWith(`/${s.name}`)) say(`image ${c.image} is not ${s.image}`);
  const http = c.ports?.find((p) => p.name === 'http');
  if (http?.containerPort !== s.defaultPort) say(`http port ${http?.containerPort} is not portico.defaultPort ${s.defaultPort}`);
  if (s.grpcPort && c.ports?.find((p) => p.name === 'grpc')?.containerPort !== s.grpcPort) say(`no grpc port ${s.grpcPort}`);
  if (c.livenessProbe?.httpGet?.path !== '/livez') say('liveness probe is not GET /livez');
  if (c.readinessProbe?.httpGet?.path !== '/readyz') say('readiness probe is not GET /readyz');
  const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value ?? '']));
  const allowed = allowedEnv(s);
  for (const key of Object.keys(env)) if (!allowed.has(key)) say(`sets ${key}, which ${s.name} never reads`);
  problems.push(...edgeValueProblems(`${where}: ${s.name}`, env));
  for (const [k, v] of Object.entries(mod.listenEnv(s))) if (env[k] !== v) say(`${k} is ${env[k]}; expected ${v}`);
  for (const [k, v] of Object.entries(mod.upstreamWiring(s, plan))) if (env[k] !== v) say(`${k} is ${env[k]}; expected ${v}`);
  for (const key of s.routingMap ? mod.routingMapVariables(join(root, s.routingMap)) : []) if (!env[key]) say(`routes.yaml needs ${key}, which is not set`);
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT !== mod.OTLP_ENDPOINT) say('traces do not go to the collector');
  if (!c.envFrom?.some((e) => e.secretRef?.name === 'portico-redis')) say('REDIS_URL does not come from Secret portico-redis');
  const preStop = preStopSeconds(c);
  if (preStop === undefined || preStop < 1) say('no preStop pause for the load balancer to drain');
  const grace = (pod.terminationGracePeriodSeconds ?? 30) * 1000;
  if (grace < (preStop ?? 0) * 1000 + drainBudgetMs(env) + HOOKS_MARGIN_MS) say(`terminationGracePeriodSeconds ${grace / 1000} < preStop + DRAIN_DELAY + SHUTDOWN_TIMEOUT + hooks`);
  const service = objects.find((o) => o.kind === 'Service' && o.metadata.name === s.name);
  const ports = (service?.spec?.ports ?? []) as Array<{ name: string; port: number; targetPort: string | number }>;
  if (ports.find((p) => p.name === 'http')?.port !== s.defaultPort) say(`Service does not serve ${s.defaultPort}`);
  const selector = (service?.spec?.selector ?? {}) as Record<string, string>;
  const labels = (deployment.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
  if (!Object.entries(selector).length || Object.entries(selector).some(([k, v]) => labels[k] !== v)) say('Service selector does not select the pods');
  return problems;
}

/** A BFF's own objects: routing map ConfigMap, auth Secret reference, HPA, PDB and Ingress. */
export function bffProblems(where: string, objects: readonly K8sObject[], s: DeployedService, root: string, prefix: string | undefined, audience: string | undefined): string[] {
  const problems: string[] = [];
  const say = (m: string) => problems.push(`${where}: ${s.name}: ${m}`);
  const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === s.name);
  if (!deployment) return problems;
  const pod = podOf(deployment);
  const c = pod.containers[0]!;
  const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value ?? '']));
  const mount = c.volumeMounts?.find((m) => m.mountPath === `/app/${s.routingMap}`);
  const volume = pod.volumes?.find((v) => v.name === mount?.name);
  const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === volume?.configMap?.name);
  if (!mount || mount.subPath !== 'routes.yaml' || !configMap) say(`no routing-map ConfigMap mounted at /app/${s.routingMap}`);
  else if (configMap.data?.['routes.yaml'] !== readFileSync(join(root, s.routingMap!), 'utf8')) say(`ConfigMap ${configMap.metadata.name} differs from ${s.routingMap}: run make deploy-sync`);
  if (audience) {
    if (env.JWT_AUDIENCE !== audience) say(`JWT_AUDIENCE is ${env.JWT_AUDIENCE}; the BFF's tokens carry aud ${audience}`);
    if (!c.envFrom?.some((e) => e.secretRef?.name.startsWith(`${s.name}-auth`))) say(`JWT/JWKS settings do not come from Secret ${s.name}-auth`);
  }
  const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler' && (o.spec?.scaleTargetRef as { name?: string })?.name === s.name);
  if (!hpa) say('no HorizontalPodAutoscaler');
  else if (env.EXPECTED_REPLICAS !== String(hpa.spec?.minReplicas)) say(`EXPECTED_REPLICAS ${env.EXPECTED_REPLICAS} is not the HPA's minReplicas ${String(hpa.spec?.minReplicas)}`);
  const pdb = objects.find((o) => o.kind === 'PodDisruptionBudget');
  if ((pdb?.spec?.selector as { matchLabels?: Record<string, string> })?.matchLabels?.['app.kubernetes.io/name'] !== s.name) say('no PodDisruptionBudget for its pods');
  const ingresses = objects.filter((o) => o.kind === 'Ingress');
  const paths = ingresses.flatMap((i) => ((i.spec?.rules ?? []) as Array<{ http: { paths: Array<{ path: string; backend: { service: { name: string; port: { name?: string } } } }> } }>).flatMap((r) => r.http.paths));
  if (!paths.length || paths.some((p) => p.backend.service.name !== s.name || p.backend.service.port.name !== 'http')) say('Ingress does not route to its Service');
  if (prefix && !paths.some((p) => p.path === `/${prefix}(/|$)(.*)`)) say(`Ingress does not route the /${prefix}/ prefix the load balancer uses`);
  if (!ingresses.some((i) => ((i.spec?.rules ?? []) as Array<{ host?: string }>).some((r) => r.host?.startsWith(`${prefix}.`)))) say(`Ingress does not route the host ${prefix}.*`);
  return problems;
}

/** The kustomizations an operator applies: the whole env, the fleet, and each BFF alone. */
export function overlayDirs(plan: readonly DeployedService[]): string[] {
  const dirs: string[] = [];
  for (const env of ['dev', 'prod']) {
    dirs.push(`k8s/overlays/${env}`, `k8s/overlays/${env}/fleet`);
    for (const s of plan.filter((p) => p.role === 'bff')) dirs.push(`k8s/overlays/${env}/${s.name}`);
  }
  return dirs;
}
