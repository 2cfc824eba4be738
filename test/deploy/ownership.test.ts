import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { planModule, REPO_ROOT, type DeployedService } from './support/facts';
import { ownerOf, ownershipProblems } from './support/ownership-checks';

describe('ownership (CODEOWNERS) and pipelines (.github/workflows)', () => {
  let plan: DeployedService[];

  before(async () => {
    plan = (await planModule()).deploymentPlan(REPO_ROOT);
  });

  it('gives each BFF its team and a pipeline that runs only for it or the libs, tests, builds and deploys it alone', () => {
    expect(ownershipProblems(REPO_ROOT, plan)).to.deep.equal([]);
  });

  it('leaves libs/ to the platform team', () => {
    const codeowners = readFileSync(join(REPO_ROOT, 'CODEOWNERS'), 'utf8');
    expect(ownerOf(codeowners, 'libs/edge/src/auth/jwt.ts')).to.equal('@portico/platform-team');
  });

  it('resolves CODEOWNERS as GitHub does: the last matching line wins', () => {
    const text = '* @org/all\n/libs/ @org/platform\n/services/tv-bff/ @org/tv\n';
    expect(ownerOf(text, 'services/tv-bff/src/main.ts')).to.equal('@org/tv');
    expect(ownerOf(text, 'libs/x.ts')).to.equal('@org/platform');
    expect(ownerOf(text, 'README.md')).to.equal('@org/all');
  });
});
