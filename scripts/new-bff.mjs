#!/usr/bin/env node
/**
 * `make new-bff NAME=tv-bff PORT=8084`: a new BFF in one command — package, routing map, a composition handler
 * example, tests, Dockerfile, compose service, load-balancer route, Kubernetes base and overlays, CODEOWNERS entry and
 * CI pipeline — that builds, starts and passes its own tests with no hand edits. What each file says is
 * deploy-templates.mjs's and scripts/templates/bff/'s business; this script only places them.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDocument } from 'yaml';
import { defaultClientPrefix, defaultTeam, deploymentPlan, REPO_ROOT, upstreamWiring } from './deploy-plan.mjs';
import * as templates from './deploy-templates.mjs';

const USAGE = `usage: node scripts/new-bff.mjs --name <name> --port <port> [--prefix <path prefix>] [--team <@org/team>] [--no-install]
  --name      kebab-case service name, e.g. tv-bff (services/<name>/)
  --port      portico.defaultPort, e.g. 8084
  --prefix    the client's path prefix and host label (default: the name without -bff: /tv/, tv.localhost)
  --team      CODEOWNERS owner (default @portico/<name>-team)
  --no-install  leave package-lock.json alone (run \`npm install\` yourself before \`npm ci\` works)`;
const TEMPLATES = join(REPO_ROOT, 'scripts', 'templates', 'bff');
const COMPOSE_SERVICES_MARK = '  # new-bff: services above this line';
const COMPOSE_LB_MARK = '      # new-bff: load-balancer dependencies above this line';
const PROMETHEUS_MARK = '      # new-bff: scrape targets above this line';

function fail(message) {
  process.stderr.write(`new-bff: ${message}\n`);
  process.exit(1);
}

function options(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      name: { type: 'string' },
      port: { type: 'string' },
      prefix: { type: 'string' },
      team: { type: 'string' },
      root: { type: 'string' },
      'no-install': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const name = values.name ?? '';
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(name)) fail(`--name must be kebab-case like tv-bff, got "${name}"\n${USAGE}`);
  if (!/^\d+$/.test(values.port ?? '') || Number(values.port) < 1024 || Number(values.port) > 65535) fail(`--port must be a port number from 1024 to 65535, got "${values.port ?? ''}"`);
  const prefix = values.prefix ?? defaultClientPrefix(name);
  if (!/^[a-z][a-z0-9-]*$/.test(prefix)) fail(`--prefix must be one lower-case path segment like tv, got "${prefix}"`);
  const team = values.team ?? defaultTeam(name);
  if (!/^@[\w.-]+(\/[\w.-]+)?$/.test(team)) fail(`--team must be a GitHub owner like @org/team, got "${team}"`);
  return { name, port: Number(values.port), prefix, team, root: values.root ?? REPO_ROOT, install: !values['no-install'] };
}

/** Refuses a name, port or prefix the fleet already uses, before any file is written. */
function checkFree(root, { name, port, prefix }) {
  const plan = deploymentPlan(root);
  if (existsSync(join(root, 'services', name))) fail(`services/${name} already exists`);
  const taken = plan.find((s) => s.defaultPort === port || s.grpcPort === port);
  if (taken) fail(`port ${port} is already ${taken.name}'s`);
  const bffs = join(root, 'deploy', 'nginx', 'bffs');
  for (const file of existsSync(bffs) ? readdirSync(bffs).filter((f) => f.endsWith('.prefix.conf')) : []) {
    if (readFileSync(join(bffs, file), 'utf8').includes(`location /${prefix}/ `)) fail(`prefix /${prefix}/ is already routed by deploy/nginx/bffs/${file}`);
  }
  for (const [file, mark] of [['docker-compose.yml', COMPOSE_SERVICES_MARK], ['docker-compose.yml', COMPOSE_LB_MARK], ['deploy/prometheus/prometheus.yml', PROMETHEUS_MARK]]) {
    if (!readFileSync(join(root, file), 'utf8').includes(`${mark}\n`)) fail(`${file} lost its marker line "${mark.trim()}"; add it back where new services go`);
  }
}

function pascal(name) {
  return name.replace(/(^|-)([a-z0-9])/g, (_, _dash, c) => c.toUpperCase());
}

function writeNew(root, rel, text) {
  const file = join(root, rel);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text, { flag: 'wx' });
  return rel;
}

/** Copies scripts/templates/bff/ into services/<name>/, filling in the placeholders. */
function writeService(root, { name, port, prefix }) {
  const fill = (text) => text.replaceAll('__NAME__', name).replaceAll('__PASCAL__', pascal(name)).replaceAll('__PORT__', String(port)).replaceAll('__CLIENT__', prefix);
  const written = [];
  for (const entry of readdirSync(TEMPLATES, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.tmpl')) continue;
    const source = join(entry.parentPath ?? entry.path, entry.name);
    const rel = fill(relative(TEMPLATES, source).replace(/\.tmpl$/, ''));
    written.push(writeNew(root, join('services', name, rel), fill(readFileSync(source, 'utf8'))));
  }
  return written;
}

function edit(root, rel, change) {
  const file = join(root, rel);
  writeFileSync(file, change(readFileSync(file, 'utf8')));
  return rel;
}

const insertBefore = (mark, text) => (content) => content.replace(`${mark}\n`, `${text}${mark}\n`);

/** Adds `entry` to the `resources:` list of a kustomization, keeping its comments. */
function addResource(entry) {
  return (content) => {
    const doc = parseDocument(content);
    const resources = doc.get('resources');
    if (!resources.items.some((item) => item.value === entry)) resources.add(entry);
    return doc.toString({ lineWidth: 0 });
  };
}

function run() {
  const opts = options(process.argv.slice(2));
  const { root, name, prefix, team } = opts;
  checkFree(root, opts);
  const changed = writeService(root, opts);

  const plan = deploymentPlan(root);
  const s = plan.find((p) => p.name === name);
  const wiring = upstreamWiring(s, plan);
  const dependsOn = plan.filter((o) => o.kind === 'backend' && Object.values(wiring).some((url) => url.startsWith(`http://${o.name}:`))).map((o) => o.name);

  changed.push(writeNew(root, `${s.dir}/Dockerfile`, templates.dockerfile(s)));
  changed.push(writeNew(root, `deploy/nginx/bffs/${name}.http.conf`, templates.nginxHttpConf(s, prefix)));
  changed.push(writeNew(root, `deploy/nginx/bffs/${name}.prefix.conf`, templates.nginxPrefixConf(s, prefix)));
  for (const [file, text] of Object.entries(templates.k8sBffBase(s, { prefix, wiring }))) changed.push(writeNew(root, `k8s/base/${name}/${file}`, text));
  changed.push(writeNew(root, `k8s/base/${name}/routes.yaml`, readFileSync(join(root, s.routingMap), 'utf8')));
  changed.push(writeNew(root, `k8s/overlays/dev/${name}/kustomization.yaml`, templates.k8sBffDevOverlay(s, { prefix })));
  changed.push(writeNew(root, `k8s/overlays/prod/${name}/kustomization.yaml`, templates.k8sBffProdOverlay(s)));
  changed.push(writeNew(root, `.github/workflows/${name}.yml`, templates.bffWorkflow(s)));

  changed.push(edit(root, 'k8s/overlays/dev/kustomization.yaml', addResource(name)));
  changed.push(edit(root, 'k8s/overlays/prod/kustomization.yaml', addResource(name)));
  changed.push(
    edit(root, 'docker-compose.yml', (text) =>
      insertBefore(COMPOSE_LB_MARK, `      ${name}: { condition: service_healthy }\n`)(
        insertBefore(COMPOSE_SERVICES_MARK, `${templates.composeService(s, { wiring, env: { TRUSTED_PROXY_HOPS: '1' }, dependsOn })}\n`)(text),
      ),
    ),
  );
  changed.push(edit(root, 'deploy/prometheus/prometheus.yml', insertBefore(PROMETHEUS_MARK, `${templates.prometheusTarget(s)}\n`)));
  changed.push(edit(root, 'CODEOWNERS', (text) => `${text.trimEnd()}\n\n${templates.codeownersBlock(s, team)}\n`));
  changed.push(
    edit(root, 'tsconfig.json', (text) => {
      const config = JSON.parse(text);
      config.references.push({ path: s.dir });
      return `${JSON.stringify(config, null, 2)}\n`;
    }),
  );

  if (opts.install) {
    // Records the new workspace in package-lock.json (so `npm ci` accepts it) without touching node_modules.
    execFileSync('npm', ['install', '--package-lock-only', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: root, stdio: 'inherit' });
    changed.push('package-lock.json');
  }
  // The workspace link npm would make, so @portico/<name> resolves before the next `npm install`.
  const scope = join(root, 'node_modules', '@portico');
  if (existsSync(scope) && !existsSync(join(scope, name))) symlinkSync(relative(scope, join(root, s.dir)), join(scope, name));

  process.stdout.write(
    `new-bff: created ${name} on port ${s.defaultPort}, routed at /${prefix}/ and ${prefix}.localhost, owned by ${team}\n` +
      changed.map((f) => `  ${f}\n`).join('') +
      `next: make build && npx mocha '${s.dir}/test/**/*.test.ts' && make dev\n`,
  );
}

run();
