import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerfileProblems, dockerignore, parseDockerfile } from './support/dockerfile-checks';
import { planModule, REPO_ROOT, type DeployedService } from './support/facts';

describe('Dockerfiles (one per service, checked against its package.json)', () => {
  let plan: DeployedService[];

  before(async () => {
    plan = (await planModule()).deploymentPlan(REPO_ROOT);
  });

  it('finds every service of the fleet', () => {
    expect(plan.filter((s) => s.kind === 'backend').map((s) => s.name)).to.include.members(['consumer', 'restaurant', 'order', 'kitchen', 'delivery', 'accounting']);
    expect(plan.filter((s) => s.role === 'bff')).to.not.be.empty;
  });

  it('builds only the service and the libs it links, with its own build and start scripts, as a non-root user', () => {
    expect(plan.flatMap((s) => dockerfileProblems(REPO_ROOT, s))).to.deep.equal([]);
  });

  it('keeps host build output, node_modules, tests and git out of the build context', () => {
    const ignored = dockerignore(readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8'));
    for (const path of ['node_modules', 'libs/edge/node_modules/x', 'libs/edge/dist/index.js', 'services/web-bff/test/a.test.ts', '.git/HEAD', 'k8s/base']) {
      expect(ignored(path), path).to.equal(true);
    }
    for (const path of ['package.json', 'libs/edge/src/index.ts', 'services/backends/order/src/main.ts', 'proto', 'tsconfig.base.json']) {
      expect(ignored(path), path).to.equal(false);
    }
  });

  it('installs every production dependency where the images take it from: the lockfile nests none under a workspace', () => {
    // The runtime stages copy /app/node_modules only; a dependency npm had to nest under libs/*/node_modules (a
    // version clashing with a hoisted one) would be missing from the image, or resolve to the other version there.
    const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    const nested = Object.entries(lock.packages)
      .filter(([path, entry]) => /^(libs|services)\/.+\/node_modules\//.test(path) && !entry.dev)
      .map(([path]) => path);
    expect(nested).to.deep.equal([]);
  });

  it('reports a Dockerfile that drifted from its service', () => {
    const order = plan.find((s) => s.name === 'order')!;
    const drifted = { ...order, start: ['node', 'dist/other.js'], libs: [...order.libs, 'libs/gateway'] };
    const problems = dockerfileProblems(REPO_ROOT, drifted);
    expect(problems.join('\n')).to.match(/differs from the start script/).and.to.match(/the service links/);
  });

  it('reports a service image that would not trace: its CMD lacks the @portico/edge/instrument preload', () => {
    const web = plan.find((s) => s.name === 'web-bff')!;
    const root = mkdtempSync(join(tmpdir(), 'portico-dockerfile-'));
    try {
      // Only the Dockerfile differs; every COPY source still resolves against the real repository through links.
      for (const entry of readdirSync(REPO_ROOT)) if (entry !== 'services') symlinkSync(join(REPO_ROOT, entry), join(root, entry));
      mkdirSync(join(root, web.dir), { recursive: true });
      for (const entry of readdirSync(join(REPO_ROOT, web.dir))) {
        if (entry !== 'Dockerfile') symlinkSync(join(REPO_ROOT, web.dir, entry), join(root, web.dir, entry));
      }
      const original = readFileSync(join(REPO_ROOT, web.dir, 'Dockerfile'), 'utf8');
      writeFileSync(join(root, web.dir, 'Dockerfile'), original.replace(/^CMD .*$/m, 'CMD ["node","dist/main.js"]'));
      const problems = dockerfileProblems(root, { ...web, start: ['node', 'dist/main.js'] });
      expect(problems).to.have.length(1);
      expect(problems[0]).to.match(/does not preload @portico\/edge\/instrument/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('parses stages, flags and continuation lines', () => {
    const steps = parseDockerfile('FROM a AS build\nRUN x \\\n  y\nFROM b\nCOPY --from=build /app/x x\n');
    expect(steps.map((s) => [s.keyword, s.stage, s.args, s.flags.from])).to.deep.equal([
      ['FROM', 0, 'a AS build', undefined],
      ['RUN', 0, 'x    y', undefined],
      ['FROM', 1, 'b', undefined],
      ['COPY', 1, '/app/x x', 'build'],
    ]);
  });
});
