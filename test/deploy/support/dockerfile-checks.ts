/**
 * Checks each service's Dockerfile against the service: the libs it links, the paths it copies (present and not
 * dockerignored), its build and start scripts, port, user and healthcheck. Returns problems, one line each.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DeployedService } from './facts';

/** One instruction of a Dockerfile: keyword, flags (`--from=build`) and the rest. */
export interface Instruction {
  keyword: string;
  flags: Record<string, string>;
  args: string;
  stage: number;
}

/** Parses a Dockerfile into instructions (line continuations joined, comments dropped), numbering stages from 0. */
export function parseDockerfile(text: string): Instruction[] {
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  const out: Instruction[] = [];
  let stage = -1;
  for (const raw of lines) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(\w+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const keyword = m[1]!.toUpperCase();
    if (keyword === 'FROM') stage += 1;
    let args = m[2]!;
    const flags: Record<string, string> = {};
    for (let f = /^--([\w-]+)(?:=(\S+))?\s+/.exec(args); f; f = /^--([\w-]+)(?:=(\S+))?\s+/.exec(args)) {
      flags[f[1]!] = f[2] ?? 'true';
      args = args.slice(f[0].length);
    }
    out.push({ keyword, flags, args, stage });
  }
  return out;
}

/** A matcher for .dockerignore patterns (`**`, `*`, `?`; a match on a parent folder excludes everything below). */
export function dockerignore(text: string): (path: string) => boolean {
  const rules = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = (negate ? l.slice(1) : l).replace(/^\/+|\/+$/g, '');
      const source = pattern
        .split('/')
        .map((part) => (part === '**' ? '.*' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')))
        .join('/')
        .replace(/\.\*\//g, '(?:.*/)?');
      return { negate, regex: new RegExp(`^${source}$`) };
    });
  return (path) => {
    const parts = path.split('/');
    let excluded = false;
    for (const { negate, regex } of rules) {
      for (let i = 1; i <= parts.length; i += 1) {
        if (regex.test(parts.slice(0, i).join('/'))) excluded = !negate;
      }
    }
    return excluded;
  };
}

const jsonArgs = (args: string): unknown => {
  try {
    return JSON.parse(args);
  } catch {
    return undefined;
  }
};

/** Everything wrong with `service`'s Dockerfile under `root`. */
export function dockerfileProblems(root: string, service: DeployedService): string[] {
  const rel = `${service.dir}/Dockerfile`;
  const file = join(root, rel);
  if (!existsSync(file)) return [`${rel}: missing`];
  const problems: string[] = [];
  const say = (message: string) => problems.push(`${rel}: ${message}`);
  const steps = parseDockerfile(readFileSync(file, 'utf8'));
  const ignored = dockerignore(existsSync(join(root, '.dockerignore')) ? readFileSync(join(root, '.dockerignore'), 'utf8') : '');
  const last = Math.max(...steps.map((s) => s.stage));
  if (last < 1) say('is not multi-stage');
  const workspaces = [...service.libs, service.dir];

  const copied = new Set<string>();
  for (const step of steps.filter((s) => (s.keyword === 'COPY' || s.keyword === 'ADD') && !s.flags.from)) {
    const parts = (jsonArgs(step.args) as string[] | undefined) ?? step.args.split(/\s+/);
    for (const source of parts.slice(0, -1)) {
      copied.add(source);
      if (!existsSync(join(root, source))) say(`COPY ${source}: no such path in the repository`);
      else if (ignored(source)) say(`COPY ${source}: excluded by .dockerignore, so absent from the build context`);
    }
  }
  const manifests = [...copied].filter((p) => /^(libs|services)\/.*\/package\.json$/.test(p)).map((p) => p.replace(/\/package\.json$/, ''));
  const sources = [...copied].filter((p) => p.endsWith('/src')).map((p) => p.replace(/\/src$/, ''));
  const expected = [...workspaces].sort().join(', ');
  if ([...new Set(manifests)].sort().join(', ') !== expected) say(`copies the manifests of ${[...new Set(manifests)].sort().join(', ')}; the service links ${expected}`);
  if ([...new Set(sources)].sort().join(', ') !== expected) say(`copies the sources of ${[...new Set(sources)].sort().join(', ')}; expected ${expected}`);
  for (const root of ['package.json', 'package-lock.json']) if (!copied.has(root)) say(`does not copy ${root}`);
  if (service.routingMap && !copied.has(service.routingMap)) say(`does not copy the routing map ${service.routingMap}`);
  if (service.assets && !copied.has(service.assets)) say(`does not copy the static files ${service.assets}`);
  if (service.protos !== copied.has('proto')) say(service.protos ? 'does not copy proto/, which the service loads' : 'copies proto/, which the service never loads');

  const runs = steps.filter((s) => s.keyword === 'RUN').map((s) => s.args);
  if (!service.hasBuild) say('the service has no build script');
  if (!runs.some((r) => r.includes(`npm run build --workspace ${service.dir}`))) say(`never runs the service's build script (npm run build --workspace ${service.dir})`);
  const prodInstall = steps.find((s) => s.keyword === 'RUN' && /npm ci\b.*--omit=dev/.test(s.args));
  if (!prodInstall?.args.includes(`--workspace ${service.dir}`)) say(`installs no production-only dependencies of ${service.dir} (npm ci --omit=dev --workspace …)`);

  const runtime = steps.filter((s) => s.stage === last);
  const fromBuild = runtime.filter((s) => s.keyword === 'COPY' && s.flags.from).map((s) => s.args);
  for (const dir of workspaces) if (!fromBuild.some((a) => a.startsWith(`/app/${dir}/dist `))) say(`the runtime stage lacks ${dir}/dist`);
  if (!fromBuild.some((a) => a.startsWith('/app/node_modules '))) say('the runtime stage lacks node_modules');
  if (prodInstall && steps.find((s) => s.keyword === 'COPY' && s.args.startsWith('/app/node_modules '))?.flags.from === 'build') say('runtime node_modules come from the full (dev) install');
  const user = runtime.filter((s) => s.keyword === 'USER').at(-1)?.args;
  if (!user || /^(root|0)(:|$)/.test(user)) say(`runs as ${user ?? 'root'}; expected a non-root USER`);
  const workdir = runtime.filter((s) => s.keyword === 'WORKDIR').at(-1)?.args;
  if (workdir !== `/app/${service.dir}`) say(`runs in ${workdir}; expected /app/${service.dir} (where the start script's paths point)`);
  const cmd = runtime.find((s) => s.keyword === 'CMD');
  const argv = cmd && jsonArgs(cmd.args);
  if (!Array.isArray(argv)) say('CMD is not in exec form, so node would not be PID 1 and would not receive SIGTERM');
  else if (JSON.stringify(argv) !== JSON.stringify(service.start)) say(`CMD ${JSON.stringify(argv)} differs from the start script ${JSON.stringify(service.start)}`);
  // Compose and Kubernetes set OTEL_EXPORTER_OTLP_ENDPOINT for every service; only the preload starts tracing.
  if (Array.isArray(argv) && !argv.some((arg, i) => arg === '--import' && argv[i + 1] === '@portico/edge/instrument')) {
    say('CMD does not preload @portico/edge/instrument (node --import), so the service never traces');
  }
  const health = runtime.find((s) => s.keyword === 'HEALTHCHECK');
  if (!health || !/\/(readyz|livez)/.test(health.args)) say('has no HEALTHCHECK probing /readyz or /livez');
  const env = runtime.filter((s) => s.keyword === 'ENV').map((s) => s.args).join(' ');
  if (!new RegExp(`\\bPORT=${service.defaultPort}\\b`).test(env)) say(`does not set PORT=${service.defaultPort}`);
  if (!/\bNODE_ENV=production\b/.test(env)) say('does not set NODE_ENV=production');
  const exposed = runtime.filter((s) => s.keyword === 'EXPOSE').flatMap((s) => s.args.split(/\s+/));
  for (const port of [service.defaultPort, service.grpcPort].filter((p) => p !== undefined)) {
    if (!exposed.includes(String(port))) say(`does not EXPOSE ${port}`);
  }
  return problems;
}
