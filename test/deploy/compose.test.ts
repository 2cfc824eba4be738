import { expect } from 'chai';
import { composeProblems, type ComposeFile } from './support/compose-checks';
import { localJwt, planModule, readYaml, REPO_ROOT, type DeployedService, type PlanModule } from './support/facts';

describe('docker-compose.yml (local development)', () => {
  let mod: PlanModule;
  let plan: DeployedService[];

  before(async () => {
    mod = await planModule();
    plan = mod.deploymentPlan(REPO_ROOT);
  });

  it('runs every service with the image, ports, variables and dependencies its own code declares', async () => {
    expect(composeProblems(REPO_ROOT, plan, mod, await localJwt())).to.deep.equal([]);
  });

  it('has Redis, the collector, Jaeger, Prometheus and the load balancer beside the services', () => {
    const compose = readYaml<ComposeFile>(REPO_ROOT, 'docker-compose.yml');
    expect(Object.keys(compose.services)).to.include.members(['redis', 'otel-collector', 'jaeger', 'prometheus', 'lb', ...plan.map((s) => s.name)]);
  });

  it('publishes nothing but the load balancer, the UIs, Redis and the collector health port, on loopback', () => {
    const compose = readYaml<ComposeFile>(REPO_ROOT, 'docker-compose.yml');
    const published = Object.entries(compose.services).flatMap(([name, svc]) => (svc.ports ?? []).map((p) => [name, p] as const));
    for (const [name, port] of published) expect(port, name).to.match(/^127\.0\.0\.1:/);
    expect(published.map(([name]) => name).filter((n) => plan.some((s) => s.name === n))).to.deep.equal([]);
  });

  it('reports a service variable the service does not read', async () => {
    const order = plan.find((s) => s.name === 'order')!;
    const blind = { ...order, variables: order.variables.filter((v) => v !== 'ORDER_STEP_TIME') };
    const problems = composeProblems(REPO_ROOT, [blind], mod, await localJwt());
    expect(problems).to.include('order: sets ORDER_STEP_TIME, which order never reads');
  });
});
