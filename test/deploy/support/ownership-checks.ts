/**
 * Checks CODEOWNERS and the CI workflows against the fleet: each BFF owned by its team and libs/ by the platform team;
 * one pipeline per BFF that runs only for that BFF or the libs, tests it, builds its image and deploys it alone.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { DeployedService } from './facts';

/** The team GitHub asks to review `path` (last matching CODEOWNERS line wins). */
export function ownerOf(codeowners: string, path: string): string | undefined {
  let owner: string | undefined;
  for (const line of codeowners.split(/\r?\n/)) {
    const [pattern, ...owners] = line.replace(/#.*$/, '').trim().split(/\s+/);
    if (!pattern || owners.length === 0) continue;
    const anchored = pattern.startsWith('/');
    const body = pattern
      .replace(/^\//, '')
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .split('**')
      .map((part) => part.replace(/\*/g, '[^/]*'))
      .join('.*');
    const regex = new RegExp(`${anchored ? '^' : '(^|/)'}${body}${pattern.endsWith('/') ? '' : '(/|$)'}`);
    if (pattern === '*' || regex.test(path)) owner = owners.join(' ');
  }
  return owner;
}

interface Workflow {
  on: { push?: { paths?: string[] }; pull_request?: { paths?: string[] } };
  jobs: Record<string, { steps?: Array<{ run?: string; with?: Record<string, unknown> }> }>;
}

/** Everything wrong with CODEOWNERS and .github/workflows for the BFFs of `plan`. */
export function ownershipProblems(root: string, plan: readonly DeployedService[]): string[] {
  const problems: string[] = [];
  const codeowners = readFileSync(join(root, 'CODEOWNERS'), 'utf8');
  const platform = ownerOf(codeowners, 'libs/edge/src/index.ts');
  if (!platform || platform !== ownerOf(codeowners, 'libs/gateway/package.json')) problems.push('CODEOWNERS: libs/ is not owned by one platform team');
  const bffs = plan.filter((s) => s.role === 'bff');
  const teams = new Set<string>();
  for (const s of bffs) {
    const team = ownerOf(codeowners, `${s.dir}/src/main.ts`);
    if (!team || team === platform) problems.push(`CODEOWNERS: ${s.dir}/ has no team of its own`);
    else teams.add(team);
    if (ownerOf(codeowners, `k8s/base/${s.name}/deployment.yaml`) !== team) problems.push(`CODEOWNERS: k8s/base/${s.name}/ is not ${s.name}'s team's`);
  }
  if (teams.size !== bffs.length) problems.push('CODEOWNERS: two BFFs share a team');

  const dir = join(root, '.github', 'workflows');
  const files = existsSync(dir) ? readdirSync(dir) : [];
  for (const f of files) {
    const name = f.replace(/\.ya?ml$/, '');
    if (name !== 'libs' && !bffs.some((s) => s.name === name)) problems.push(`.github/workflows/${f}: for ${name}, which is no BFF`);
  }
  const libs = files.includes('libs.yml') ? (parse(readFileSync(join(dir, 'libs.yml'), 'utf8')) as Workflow) : undefined;
  if (!libs?.on.push?.paths?.includes('libs/**')) problems.push('.github/workflows/libs.yml: missing, or not run when libs/ change');
  for (const s of bffs) {
    const file = join(dir, `${s.name}.yml`);
    const say = (m: string) => problems.push(`.github/workflows/${s.name}.yml: ${m}`);
    if (!existsSync(file)) {
      say('missing');
      continue;
    }
    const wf = parse(readFileSync(file, 'utf8')) as Workflow;
    for (const trigger of ['push', 'pull_request'] as const) {
      const paths = wf.on[trigger]?.paths ?? [];
      if (!paths.includes(`${s.dir}/**`) || !paths.includes('libs/**')) say(`${trigger} does not run for ${s.dir}/** and libs/**`);
      const others = bffs.filter((o) => o !== s && paths.some((p) => p.startsWith(o.dir)));
      if (others.length) say(`${trigger} also runs for ${others.map((o) => o.name).join(', ')}`);
    }
    const runs = Object.values(wf.jobs).flatMap((j) => j.steps ?? []);
    const commands = runs.map((r) => r.run ?? '').join('\n');
    for (const [what, pattern] of [
      ['install', /npm ci\b/],
      ['lint', new RegExp(`eslint ${s.dir}`)],
      ['test', new RegExp(`mocha '${s.dir}/test/`)],
      ['deploy alone', new RegExp(`kubectl apply -k k8s/overlays/prod/${s.name}\\b`)],
    ] as const) {
      if (!pattern.test(commands)) say(`does not ${what}`);
    }
    if (!runs.some((r) => r.with?.file === `${s.dir}/Dockerfile` && r.with.context === '.')) say(`does not build ${s.dir}/Dockerfile`);
    if (!existsSync(join(root, 'k8s', 'overlays', 'prod', s.name, 'kustomization.yaml'))) say(`deploys k8s/overlays/prod/${s.name}, which does not exist`);
  }
  return problems;
}
