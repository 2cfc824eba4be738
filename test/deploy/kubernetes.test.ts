import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { allowedEnv, localJwt, nginxPrefixOf, planModule, REPO_ROOT, type DeployedService, type PlanModule } from './support/facts';
import { bffProblems, overlayDirs, render, restrictedProblems, schemaProblems, workloadProblems, type K8sObject } from './support/k8s-checks';

describe('Kubernetes manifests (kustomize base and dev/prod overlays, rendered offline)', function () {
  this.timeout(60_000);
  let mod: PlanModule;
  let plan: DeployedService[];
  let bffs: DeployedService[];
  const rendered = new Map<string, K8sObject[]>();
  const objects = (dir: string): K8sObject[] => rendered.get(dir) ?? [];

  before(async () => {
    mod = await planModule();
    plan = mod.deploymentPlan(REPO_ROOT);
    bffs = plan.filter((s) => s.role === 'bff');
    const dirs = overlayDirs(plan);
    // Two at a time: kubectl is CPU-bound and the machine has two cores.
    for (let i = 0; i < dirs.length; i += 2) {
      const pair = dirs.slice(i, i + 2);
      const outs = await Promise.all(pair.map((d) => render(REPO_ROOT, d)));
      pair.forEach((d, j) => rendered.set(d, outs[j]!));
    }
  });

  it('renders every overlay into objects that validate against the Kubernetes schemas', async () => {
    const problems: string[] = [];
    for (const [dir, objs] of rendered) {
      expect(objs, dir).to.not.be.empty;
      problems.push(...(await schemaProblems(dir, objs)));
    }
    expect(problems).to.deep.equal([]);
  });

  it('reports an object that breaks its schema, an unknown API and a container that may run as root', async () => {
    const broken: K8sObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'broken' },
      spec: { selector: { matchLabels: { a: 'b' } }, template: { spec: { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 'http' }] }] } } },
    };
    const unknown: K8sObject = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } };
    const problems = await schemaProblems('test', [broken, unknown]);
    expect(problems.join('\n')).to.match(/containerPort must be integer/).and.to.match(/Widget w: no such Kubernetes API/);
    expect(restrictedProblems('test', [broken]).join('\n')).to.match(/pod may run as root/).and.to.match(/root filesystem writable/);
  });

  it('runs every workload restricted: non-root, read-only root filesystem, no capabilities, probes and resources', () => {
    expect([...rendered].flatMap(([dir, objs]) => restrictedProblems(dir, objs))).to.deep.equal([]);
  });

  it('applies each BFF on its own: its overlay holds only that BFF’s objects, in the environment’s namespace', () => {
    for (const s of bffs) {
      for (const [env, ns] of [['dev', 'portico-dev'], ['prod', 'portico']] as const) {
        const objs = objects(`k8s/overlays/${env}/${s.name}`);
        expect(objs.map((o) => o.kind)).to.include.members(['Deployment', 'Service', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'ConfigMap', 'Ingress']);
        for (const o of objs) {
          expect(o.metadata.name, `${env}/${s.name}: ${o.kind}`).to.match(new RegExp(`^${s.name}(-|$)`));
          expect(o.metadata.namespace, `${env}/${s.name}: ${o.kind}`).to.equal(ns);
        }
      }
    }
  });

  it('gives each BFF the image, ports, probes, variables, routing map, secrets and drain timing its code expects', async () => {
    const jwt = await localJwt();
    const problems: string[] = [];
    for (const s of bffs) {
      for (const env of ['dev', 'prod']) {
        const dir = `k8s/overlays/${env}/${s.name}`;
        problems.push(...workloadProblems(dir, objects(dir), s, plan, mod, REPO_ROOT));
        problems.push(...bffProblems(dir, objects(dir), s, REPO_ROOT, nginxPrefixOf(REPO_ROOT, s.name), jwt.audiences[s.name]));
      }
    }
    expect(problems).to.deep.equal([]);
  });

  it('gives each backend its image, ports (gRPC included), probes and wiring', () => {
    const problems: string[] = [];
    for (const dir of ['k8s/overlays/dev/fleet', 'k8s/overlays/prod/fleet']) {
      for (const s of plan.filter((p) => p.kind === 'backend')) problems.push(...workloadProblems(dir, objects(dir), s, plan, mod, REPO_ROOT));
    }
    expect(problems).to.deep.equal([]);
  });

  it('lists the fleet and exactly the BFFs that exist in each whole-environment overlay', () => {
    for (const env of ['dev', 'prod']) {
      const kustomization = parse(readFileSync(join(REPO_ROOT, 'k8s', 'overlays', env, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
      expect([...kustomization.resources].sort(), env).to.deep.equal(['fleet', ...bffs.map((s) => s.name)].sort());
    }
  });

  it('develops with local JWT settings whose names the BFF reads, in development mode', () => {
    for (const s of bffs) {
      const objs = objects(`k8s/overlays/dev/${s.name}`);
      const container = (objs.find((o) => o.kind === 'Deployment')!.spec as { template: { spec: { containers: Array<{ env: Array<{ name: string; value: string }> }> } } }).template.spec.containers[0]!;
      expect(container.env.find((e) => e.name === 'NODE_ENV')?.value, s.name).to.equal('development');
      for (const secret of objs.filter((o) => o.kind === 'Secret')) {
        for (const key of Object.keys(secret.data ?? {})) expect(allowedEnv(s).has(key), `${secret.metadata.name}: ${key}`).to.equal(true);
      }
    }
  });

  it('runs Redis and the collector in dev; prod keeps the collector and takes Redis from Secret portico-redis', () => {
    const dev = objects('k8s/overlays/dev/fleet');
    const prod = objects('k8s/overlays/prod/fleet');
    expect(dev.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name)).to.include.members(['redis', 'otel-collector']);
    expect(dev.find((o) => o.kind === 'Secret' && o.metadata.name === 'portico-redis')?.data).to.have.property('REDIS_URL');
    expect(prod.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name)).to.include('otel-collector').and.not.include('redis');
    expect(readFileSync(join(REPO_ROOT, 'k8s/overlays/prod/fleet/kustomization.yaml'), 'utf8')).to.match(/Secret portico-redis/);
  });

  it('lets only the BFFs (and the order backend, which coordinates) reach the backends, and only the fleet reach Redis', () => {
    const policies = objects('k8s/overlays/prod/fleet').filter((o) => o.kind === 'NetworkPolicy');
    type Peer = { podSelector?: { matchLabels?: Record<string, string>; matchExpressions?: Array<{ key: string; values: string[] }> }; namespaceSelector?: unknown };
    const ingressOf = (name: string) => ((policies.find((p) => p.metadata.name === name)?.spec?.ingress ?? []) as Array<{ from: Peer[] }>).flatMap((r) => r.from);
    expect(policies.find((p) => p.metadata.name === 'default-deny-ingress')?.spec).to.deep.include({ podSelector: {}, policyTypes: ['Ingress'] });
    const callers = plan.filter((s) => s.kind === 'backend' && Object.keys(mod.upstreamWiring(s, plan)).length > 0).map((s) => s.name);
    const backendPeers = ingressOf('backends-from-bffs').filter((p) => p.podSelector);
    expect(backendPeers.map((p) => p.podSelector!.matchLabels ?? null)).to.deep.include({ 'app.kubernetes.io/component': 'bff' });
    const named = backendPeers.flatMap((p) => p.podSelector!.matchExpressions ?? []).find((e) => e.key === 'app.kubernetes.io/name');
    expect(named?.values).to.deep.equal(callers);
    const redisPeers = ingressOf('redis-from-fleet');
    expect(redisPeers.every((p) => p.podSelector && !p.namespaceSelector)).to.equal(true);
    expect(redisPeers.flatMap((p) => p.podSelector!.matchExpressions ?? []).find((e) => e.key === 'app.kubernetes.io/component')?.values).to.deep.equal(['bff', 'backend']);
  });
});
