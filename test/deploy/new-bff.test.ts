import { expect } from 'chai';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startMockUpstream, freePort, type MockUpstream } from '@portico/testing';
import { composeProblems } from './support/compose-checks';
import { dockerfileProblems } from './support/dockerfile-checks';
import { localJwt, nginxPrefixOf, planModule, REPO_ROOT, type DeployedService, type PlanModule } from './support/facts';
import { bffProblems, render, schemaProblems, workloadProblems } from './support/k8s-checks';
import { ownershipProblems } from './support/ownership-checks';
import { nginxProblems } from './support/nginx-lb';
import { copyRepo, type RepoCopy } from './support/repo-copy';

const run = promisify(execFile);
const NAME = 'tv-bff';

describe('make new-bff NAME=tv-bff PORT=… (in a copy of the repository)', function () {
  this.timeout(60_000);
  let copy: RepoCopy;
  let mod: PlanModule;
  let plan: DeployedService[];
  let tv: DeployedService;
  let port: number;

  before(async function () {
    this.timeout(120_000);
    mod = await planModule();
    const taken = new Set(mod.deploymentPlan(REPO_ROOT).flatMap((s) => [s.defaultPort, s.grpcPort]));
    port = 8084;
    while (taken.has(port)) port += 1;
    copy = copyRepo(REPO_ROOT);
    await run('make', ['--no-print-directory', 'new-bff', `NAME=${NAME}`, `PORT=${port}`], { cwd: copy.dir, timeout: 60_000 });
    plan = mod.deploymentPlan(copy.dir);
    tv = plan.find((s) => s.name === NAME)!;
  });

  after(() => copy?.remove());

  it('adds a BFF the fleet discovers, on its port, in the lockfile and the build', () => {
    expect(tv).to.include({ kind: 'bff', defaultPort: port, dir: `services/${NAME}` });
    expect(JSON.parse(readFileSync(join(copy.dir, 'package-lock.json'), 'utf8')).packages).to.have.property(`services/${NAME}`);
    expect(JSON.parse(readFileSync(join(copy.dir, 'tsconfig.json'), 'utf8')).references).to.deep.include({ path: `services/${NAME}` });
  });

  it('builds, and passes its own tests', async () => {
    await run('npx', ['tsc', '-b', `services/${NAME}`], { cwd: copy.dir, timeout: 60_000 });
    const { stdout } = await run('npx', ['mocha', `services/${NAME}/test/**/*.test.ts`], { cwd: copy.dir, timeout: 60_000 });
    expect(stdout).to.match(/\d+ passing/).and.not.match(/failing/);
  });

  it('starts with its start script, serves its composition route and stops on SIGTERM', async () => {
    const restaurant: MockUpstream = await startMockUpstream();
    restaurant.on('GET', '/restaurants/r-1', { json: { restaurantId: 'r-1', name: 'Ajanta', cuisine: 'Indian', menu: [] } });
    restaurant.on('GET', '/restaurants', { json: { restaurants: [] } });
    const listen = await freePort();
    const [node, ...args] = tv.start;
    const child = spawn(node!, args, {
      cwd: join(copy.dir, tv.dir),
      env: { PATH: process.env.PATH, PORT: String(listen), HOST: '127.0.0.1', NODE_ENV: 'test', LOG_LEVEL: 'warn', RESTAURANT_SERVICE_URL: restaurant.url },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      let ready = 0;
      for (let i = 0; i < 100 && ready !== 200; i += 1) {
        ready = await fetch(`http://127.0.0.1:${listen}/readyz`).then((r) => r.status, () => 0);
        if (ready !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(ready).to.equal(200);
      const overview = await fetch(`http://127.0.0.1:${listen}/restaurants/r-1/overview`);
      expect(overview.status).to.equal(200);
      expect(await overview.json()).to.include({ name: 'Ajanta', menuSize: 0 });
      child.kill('SIGTERM');
      expect(await exited).to.equal(0);
    } finally {
      child.kill('SIGKILL');
      await restaurant.stop();
    }
  });

  it('comes with a Dockerfile, compose service, route, manifests, owners and pipeline that pass every deployment check', async () => {
    const problems = [
      ...dockerfileProblems(copy.dir, tv),
      ...composeProblems(copy.dir, plan, mod, await localJwt()),
      ...nginxProblems(copy.dir, plan),
      ...ownershipProblems(copy.dir, plan),
    ];
    expect(problems).to.deep.equal([]);
    expect(nginxPrefixOf(copy.dir, NAME)).to.equal('tv');
    expect(readFileSync(join(copy.dir, 'deploy/prometheus/prometheus.yml'), 'utf8')).to.include(`${NAME}:${port}`);
    expect(readFileSync(join(copy.dir, 'CODEOWNERS'), 'utf8')).to.include(`/services/${NAME}/ @portico/${NAME}-team`);
  });

  it('applies alone with its own kustomize overlay in dev and prod, and joins the whole-environment overlays', async () => {
    const problems: string[] = [];
    for (const env of ['dev', 'prod']) {
      const dir = `k8s/overlays/${env}/${NAME}`;
      const objects = await render(copy.dir, dir);
      problems.push(...(await schemaProblems(dir, objects)));
      problems.push(...workloadProblems(dir, objects, tv, plan, mod, copy.dir));
      problems.push(...bffProblems(dir, objects, tv, copy.dir, 'tv', undefined));
      const whole = await render(copy.dir, `k8s/overlays/${env}`);
      expect(whole.some((o) => o.kind === 'Deployment' && o.metadata.name === NAME), env).to.equal(true);
    }
    expect(problems).to.deep.equal([]);
  });

  it('refuses a name or port that is already taken, changing nothing', async () => {
    const before = readFileSync(join(copy.dir, 'docker-compose.yml'), 'utf8');
    const clash = await run('node', ['scripts/new-bff.mjs', '--name', 'other-bff', '--port', String(port)], { cwd: copy.dir }).then(
      () => undefined,
      (err: { stderr: string }) => err.stderr,
    );
    expect(clash).to.match(new RegExp(`port ${port} is already ${NAME}'s`));
    expect(existsSync(join(copy.dir, 'services/other-bff'))).to.equal(false);
    expect(readFileSync(join(copy.dir, 'docker-compose.yml'), 'utf8')).to.equal(before);
  });
});
