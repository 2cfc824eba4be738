/**
 * The text of each per-service deployment file — Dockerfile, nginx route, Kubernetes base and overlays, CI pipeline —
 * written from a service's deployment plan (deploy-plan.mjs). new-bff.mjs writes them for a new BFF; the committed
 * files of the existing services came from the same functions and may be edited by hand (test/deploy checks them).
 */

/** Seconds the pod keeps serving after it is marked for deletion, before SIGTERM: the Ingress drops it meanwhile. */
export const PRE_STOP_SECONDS = 10;
/** DRAIN_DELAY and SHUTDOWN_TIMEOUT as the cluster sets them (docs/edge-defaults.md: in-flight requests get ≤ 20 s). */
export const K8S_DRAIN_DELAY = '2s';
export const K8S_SHUTDOWN_TIMEOUT = '20s';
/** preStop + DRAIN_DELAY + SHUTDOWN_TIMEOUT + 5 s of shutdown hooks, rounded up: the kubelet's SIGKILL never comes first. */
export const TERMINATION_GRACE_SECONDS = 45;

import { listenEnv } from './deploy-plan.mjs';

const NODE_IMAGE = 'node:20.20-bookworm-slim';

/** The container healthcheck: GET /readyz on the service's own port, with nothing but node in the image. */
export const HEALTHCHECK_ARGV = Object.freeze([
  'node',
  '-e',
  "fetch('http://127.0.0.1:'+process.env.PORT+'/readyz',{signal:AbortSignal.timeout(2500)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))",
]);

const json = (value) => JSON.stringify(value);

/** The multi-stage Dockerfile of one service: build it and its linked libs, production dependencies only, non-root. */
export function dockerfile(s) {
  const manifests = [...s.libs, s.dir].map((d) => `COPY ${d}/package.json ${d}/`).join('\n');
  const sources = [...s.libs, s.dir].map((d) => `COPY ${d}/tsconfig.json ${d}/\nCOPY ${d}/src ${d}/src`).join('\n');
  const outputs = [...s.libs, s.dir].map((d) => `COPY --from=build /app/${d}/package.json ${d}/\nCOPY --from=build /app/${d}/dist ${d}/dist`).join('\n');
  const protos = s.protos ? `\n# The .proto files its gRPC side loads (GRPC_PROTO_PATH defaults to /app/proto).\nCOPY proto proto\n` : '';
  const assets = s.assets ? `\n# The static files it serves.\nCOPY ${s.assets} ${s.assets}\n` : '';
  const routing = s.routingMap ? `\n# The routing map createBff reads next to dist/ (Kubernetes mounts its ConfigMap over it).\nCOPY ${s.routingMap} ${s.dir}/\n` : '';
  const ports = [s.defaultPort, ...(s.grpcPort ? [s.grpcPort] : [])].join(' ');
  return `# syntax=docker/dockerfile:1
# ${s.name}: ${s.description}.
# Build from the repository root (the npm workspace):  docker build -f ${s.dir}/Dockerfile -t ${s.image} .
# Only this service and the libs it links (${s.libs.join(', ')}) are copied; test/deploy checks this file against
# ${s.dir}/package.json (libs, build and start scripts, port).
ARG NODE_IMAGE=${NODE_IMAGE}

# 1. Build: the workspace manifests, a full install (TypeScript is a dev dependency), then the sources, compiled by
#    the service's own build script (tsc -b follows the project references to the libs).
FROM \${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.base.json ./
${manifests}
RUN npm ci --no-audit --no-fund --ignore-scripts
${sources}
RUN npm run build --workspace ${s.dir}

# 2. Production dependencies of this workspace only (no dev dependencies, no other service's).
FROM \${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
${manifests}
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts --workspace ${s.dir}

# 3. Runtime: compiled output and production node_modules, owned by root and run by the unprivileged node user,
#    so the process cannot rewrite its own code (Kubernetes also mounts the root filesystem read-only).
FROM \${NODE_IMAGE}
ENV NODE_ENV=production ${Object.entries(listenEnv(s)).map(([k, v]) => `${k}=${v}`).join(' ')}
WORKDIR /app
COPY --from=deps /app/node_modules node_modules
${outputs}
${protos}${assets}${routing}WORKDIR /app/${s.dir}
USER node
EXPOSE ${ports}
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 CMD ${json(HEALTHCHECK_ARGV)}
# Exec form: node is PID 1 and receives SIGTERM itself; the edge lifecycle drains and exits (no shell, no npm in between).
STOPSIGNAL SIGTERM
CMD ${json(s.start)}
`;
}

/** The nginx server-level location that routes `/<prefix>/` to a BFF, prefix stripped (included by nginx.conf). */
export function nginxPrefixConf(s, prefix) {
  const upstream = s.name.replace(/-/g, '_');
  return `# ${s.name}: the /${prefix}/ prefix of the shared server. Stripped before forwarding; nothing else changes.
location = /${prefix}/metrics { return 404; }
location /${prefix}/ {
  # A path whose raw form does not start with /${prefix}/ (dot segments, %2F) got here only through normalisation.
  if ($${upstream}_uri = "") { return 400; }
  proxy_pass http://${upstream}$${upstream}_uri;
}
`;
}

/** The nginx http-level part of a BFF: its upstream, the prefix-stripping map and the server for its own host name. */
export function nginxHttpConf(s, prefix) {
  const upstream = s.name.replace(/-/g, '_');
  return `# ${s.name}: upstream, prefix map and host server (${prefix}.localhost in compose). Routing only: auth, limits and
# caching are the BFF's.
upstream ${upstream} {
  # Passive health: after 2 failed connections a replica is skipped for 10 s (open-source nginx has no active checks;
  # compose starts nginx only once the BFF is healthy, Kubernetes routes on readiness).
  server ${s.name}:${s.defaultPort} max_fails=2 fail_timeout=10s;
  keepalive 32;
  # Shorter than the BFF's 65 s keep-alive, so nginx never reuses a socket the BFF is closing.
  keepalive_timeout 60s;
}

# The RAW request URI minus /${prefix}: percent-encoding reaches the BFF as the client sent it, for its own path checks.
map $request_uri $${upstream}_uri {
  default "";
  "~^/${prefix}(?<rest>/.*)$" $rest;
}

server {
  listen ${'8080'};
  server_name ${prefix}.localhost ${prefix}.portico.localhost;
  include errors.conf;
  location = /metrics { return 404; }
  location / {
    proxy_pass http://${upstream};
  }
}
`;
}

/** The files of a BFF's Kubernetes base, by name under k8s/base/<name>/. */
export function k8sBffBase(s, { prefix, wiring, jwtAudience, hpa = { min: 2, max: 10 } }) {
  const env = [
    ['NODE_ENV', 'production'],
    ...Object.entries(listenEnv(s)),
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'http://otel-collector:4318'],
    ['TRUSTED_PROXY_HOPS', '1'],
    ['EXPECTED_REPLICAS', String(hpa.min)],
    ['DRAIN_DELAY', K8S_DRAIN_DELAY],
    ['SHUTDOWN_TIMEOUT', K8S_SHUTDOWN_TIMEOUT],
    ...(jwtAudience ? [['JWT_AUDIENCE', jwtAudience]] : []),
    ...Object.entries(wiring),
  ];
  const envYaml = env.map(([k, v]) => `            - name: ${k}\n              value: ${json(v)}`).join('\n');
  const labels = (indent) => [`app.kubernetes.io/name: ${s.name}`, 'app.kubernetes.io/component: bff'].join(`\n${indent}`);
  // JWT/JWKS settings (JWT_ISSUER, JWKS_URL, or JWT_SECRET in dev) come from the BFF's own Secret when it verifies tokens.
  const authRef = jwtAudience
    ? `            # JWT_ISSUER and JWKS_URL (prod) or the local HS256 settings (dev overlay).\n            - secretRef:\n                name: ${s.name}-auth\n`
    : '';
  const ports = [`            - name: http\n              containerPort: ${s.defaultPort}`];
  return {
    'kustomization.yaml': `# ${s.name} on its own: kubectl apply -k k8s/overlays/<dev|prod>/${s.name}
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
labels:
  - pairs:
      app.kubernetes.io/part-of: portico
resources:
  - deployment.yaml
  - service.yaml
  - hpa.yaml
  - pdb.yaml
  - ingress.yaml
# The routing map, a copy of ${s.routingMap} (make deploy-sync); a change gets a new hashed name, so a rollout.
configMapGenerator:
  - name: ${s.name}-routing
    files:
      - routes.yaml
`,
    'deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${s.name}
  labels:
    ${labels('    ')}
spec:
  selector:
    matchLabels:
      app.kubernetes.io/name: ${s.name}
  strategy:
    rollingUpdate: { maxSurge: 1, maxUnavailable: 0 }
  template:
    metadata:
      labels:
        ${labels('        ')}
      annotations:
        prometheus.io/scrape: "true"
        prometheus.io/port: "${s.defaultPort}"
        prometheus.io/path: /metrics
    spec:
      # preStop (${PRE_STOP_SECONDS} s) + DRAIN_DELAY + SHUTDOWN_TIMEOUT + shutdown hooks fit inside the grace period.
      terminationGracePeriodSeconds: ${TERMINATION_GRACE_SECONDS}
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        runAsUser: 1000
        runAsGroup: 1000
        seccompProfile: { type: RuntimeDefault }
      containers:
        - name: ${s.name}
          image: ${s.image}
          ports:
${ports.join('\n')}
          env:
${envYaml}
          envFrom:
            # REDIS_URL (rate limits, caches, events, API keys): the fleet's Secret; rediss:// with a password in prod.
            - secretRef:
                name: portico-redis
${authRef}          livenessProbe:
            httpGet: { path: /livez, port: http }
            periodSeconds: 10
            failureThreshold: 3
          readinessProbe:
            httpGet: { path: /readyz, port: http }
            periodSeconds: 5
            failureThreshold: 2
          startupProbe:
            httpGet: { path: /livez, port: http }
            periodSeconds: 2
            failureThreshold: 30
          lifecycle:
            # Keep serving while the endpoint removal reaches the Ingress; SIGTERM comes after this.
            preStop:
              exec:
                command: ["sleep", "${PRE_STOP_SECONDS}"]
          resources:
            requests: { cpu: 100m, memory: 128Mi }
            limits: { cpu: "1", memory: 256Mi }
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: [ALL]
          volumeMounts:
            - name: routing
              mountPath: /app/${s.routingMap}
              subPath: routes.yaml
              readOnly: true
            - name: tmp
              mountPath: /tmp
      volumes:
        - name: routing
          configMap:
            name: ${s.name}-routing
        - name: tmp
          emptyDir: { sizeLimit: 64Mi }
`,
    'service.yaml': `apiVersion: v1
kind: Service
metadata:
  name: ${s.name}
  labels:
    ${labels('    ')}
spec:
  selector:
    app.kubernetes.io/name: ${s.name}
  ports:
    - name: http
      port: ${s.defaultPort}
      targetPort: http
`,
    'hpa.yaml': `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: ${s.name}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: ${s.name}
  # EXPECTED_REPLICAS in the Deployment follows minReplicas (per-process rate limits while Redis is down).
  minReplicas: ${hpa.min}
  maxReplicas: ${hpa.max}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target: { type: Utilization, averageUtilization: 70 }
`,
    'pdb.yaml': `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: ${s.name}
spec:
  maxUnavailable: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: ${s.name}
`,
    'ingress.yaml': `# The thin load balancer in the cluster (ingress-nginx): /${prefix}/… (prefix stripped) and ${prefix}.portico.example.
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${s.name}-prefix
  annotations:
    nginx.ingress.kubernetes.io/use-regex: "true"
    nginx.ingress.kubernetes.io/rewrite-target: /$2
    nginx.ingress.kubernetes.io/proxy-body-size: 1m
    nginx.ingress.kubernetes.io/proxy-connect-timeout: "2"
    nginx.ingress.kubernetes.io/proxy-read-timeout: "75"
    nginx.ingress.kubernetes.io/proxy-send-timeout: "30"
spec:
  ingressClassName: nginx
  rules:
    - http:
        paths:
          - path: /${prefix}(/|$)(.*)
            pathType: ImplementationSpecific
            backend:
              service:
                name: ${s.name}
                port: { name: http }
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${s.name}-host
  annotations:
    nginx.ingress.kubernetes.io/proxy-body-size: 1m
    nginx.ingress.kubernetes.io/proxy-connect-timeout: "2"
    nginx.ingress.kubernetes.io/proxy-read-timeout: "75"
    nginx.ingress.kubernetes.io/proxy-send-timeout: "30"
spec:
  ingressClassName: nginx
  rules:
    - host: ${prefix}.portico.example
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: ${s.name}
                port: { name: http }
`,
  };
}

/** The dev overlay of one BFF: the portico-dev namespace, one replica, development mode and local JWT settings if any. */
export function k8sBffDevOverlay(s, { prefix, auth }) {
  const secret = auth
    ? `# Local HS256 settings (scripts/local-dev.mjs: public on purpose, refused when NODE_ENV=production).
secretGenerator:
  - name: ${s.name}-auth
    literals:
${Object.entries(auth)
  .map(([k, v]) => `      - ${k}=${v}`)
  .join('\n')}
`
    : '';
  return `# ${s.name} in the dev cluster: kubectl apply -k k8s/overlays/dev/${s.name}
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: portico-dev
resources:
  - ../../../base/${s.name}
images:
  - name: ${s.image}
    newTag: dev
${secret}patches:
  - patch: |
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: ${s.name}
      spec:
        template:
          spec:
            containers:
              - name: ${s.name}
                env:
                  - { name: NODE_ENV, value: development }
                  - { name: EXPECTED_REPLICAS, value: "1" }
  - patch: |
      apiVersion: autoscaling/v2
      kind: HorizontalPodAutoscaler
      metadata:
        name: ${s.name}
      spec:
        minReplicas: 1
        maxReplicas: 2
  - target: { kind: Ingress, name: ${s.name}-host }
    patch: |
      - op: replace
        path: /spec/rules/0/host
        value: ${prefix}.portico.localhost
`;
}

/** The prod overlay of one BFF: the portico namespace and the registry image CI pins (kustomize edit set image). */
export function k8sBffProdOverlay(s) {
  return `# ${s.name} in production: kubectl apply -k k8s/overlays/prod/${s.name}
# Needs, created outside the repository: Secret ${s.name}-auth (JWT_ISSUER, JWKS_URL when it verifies tokens) and
# Secret portico-redis (REDIS_URL); see README "Deploying".
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: portico
resources:
  - ../../../base/${s.name}
images:
  - name: ${s.image}
    newName: ghcr.io/portico/${s.name}
    newTag: latest
`;
}

/** The CI pipeline of one BFF: runs when the BFF or the libs change; test, image, then deploy that BFF alone. */
export function bffWorkflow(s) {
  const paths = [`${s.dir}/**`, 'libs/**', `k8s/base/${s.name}/**`, `k8s/overlays/*/${s.name}/**`, `deploy/nginx/bffs/${s.name}.*`, 'package-lock.json', `.github/workflows/${s.name}.yml`]
    .map((p) => `      - ${json(p)}`)
    .join('\n');
  return `# ${s.name}: install, lint, test, build its image and deploy it alone. Runs only when ${s.name} or the libs change.
name: ${s.name}

on:
  push:
    branches: [main]
    paths:
${paths}
  pull_request:
    paths:
${paths}

concurrency:
  group: ${s.name}-\${{ github.ref }}
  cancel-in-progress: true

permissions:
  contents: read

jobs:
  test:
    runs-on: ubuntu-latest
    timeout-minutes: 20
    services:
      redis:
        image: redis:7-alpine
        ports: ["6379:6379"]
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: 20.20
          cache: npm
      - run: npm ci --no-audit --no-fund
      - run: npx tsc -b ${s.dir}
      - run: npx eslint ${s.dir}
      - run: npx tsc -p tsconfig.test.json --noEmit
      - run: npx mocha '${s.dir}/test/**/*.test.ts'

  image:
    needs: test
    runs-on: ubuntu-latest
    permissions:
      contents: read
      packages: write
    steps:
      - uses: actions/checkout@v4
      - uses: docker/setup-buildx-action@v3
      - uses: docker/login-action@v3
        if: github.event_name == 'push'
        with:
          registry: ghcr.io
          username: \${{ github.actor }}
          password: \${{ secrets.GITHUB_TOKEN }}
      - uses: docker/build-push-action@v6
        with:
          context: .
          file: ${s.dir}/Dockerfile
          push: \${{ github.event_name == 'push' }}
          tags: ghcr.io/portico/${s.name}:\${{ github.sha }}

  deploy:
    needs: image
    if: github.event_name == 'push' && github.ref == 'refs/heads/main'
    runs-on: ubuntu-latest
    environment: production
    steps:
      - uses: actions/checkout@v4
      - uses: azure/setup-kubectl@v4
      - uses: imranismail/setup-kustomize@v2
      - uses: azure/k8s-set-context@v4
        with:
          kubeconfig: \${{ secrets.KUBECONFIG }}
      - name: Pin the image just built
        working-directory: k8s/overlays/prod/${s.name}
        run: kustomize edit set image ${s.image}=ghcr.io/portico/${s.name}:\${{ github.sha }}
      - name: Deploy ${s.name} alone
        run: kubectl apply -k k8s/overlays/prod/${s.name}
      - run: kubectl -n portico rollout status deployment/${s.name} --timeout=5m
`;
}

/** The CODEOWNERS lines of one BFF. */
export function codeownersBlock(s, team) {
  return [
    `# ${s.name}`,
    `/${s.dir}/ ${team}`,
    `/k8s/base/${s.name}/ ${team}`,
    `/k8s/overlays/dev/${s.name}/ ${team}`,
    `/k8s/overlays/prod/${s.name}/ ${team}`,
    `/deploy/nginx/bffs/${s.name}.*.conf ${team}`,
    `/.github/workflows/${s.name}.yml ${team}`,
  ].join('\n');
}

/** A backend's Deployment and Service (one replica: the sample backends keep their state in memory). */
export function k8sBackend(s, { wiring }) {
  const env = [
    ['NODE_ENV', 'production'],
    ...Object.entries(listenEnv(s)),
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'http://otel-collector:4318'],
    ['DRAIN_DELAY', K8S_DRAIN_DELAY],
    ['SHUTDOWN_TIMEOUT', K8S_SHUTDOWN_TIMEOUT],
    ...Object.entries(wiring),
  ];
  const ports = [['http', s.defaultPort], ...(s.grpcPort ? [['grpc', s.grpcPort]] : [])];
  return `# ${s.name}: ${s.description}.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${s.name}
  labels:
    app.kubernetes.io/name: ${s.name}
    app.kubernetes.io/component: backend
spec:
  replicas: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: ${s.name}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: ${s.name}
        app.kubernetes.io/component: backend
      annotations:
        prometheus.io/scrape: "true"
        prometheus.io/port: "${s.defaultPort}"
        prometheus.io/path: /metrics
    spec:
      terminationGracePeriodSeconds: ${TERMINATION_GRACE_SECONDS}
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        runAsUser: 1000
        runAsGroup: 1000
        seccompProfile: { type: RuntimeDefault }
      containers:
        - name: ${s.name}
          image: ${s.image}
          ports:
${ports.map(([n, p]) => `            - name: ${n}\n              containerPort: ${p}`).join('\n')}
          env:
${env.map(([k, v]) => `            - name: ${k}\n              value: ${json(v)}`).join('\n')}
          envFrom:
            - secretRef:
                name: portico-redis
          livenessProbe:
            httpGet: { path: /livez, port: http }
            periodSeconds: 10
          readinessProbe:
            httpGet: { path: /readyz, port: http }
            periodSeconds: 5
            failureThreshold: 2
          lifecycle:
            preStop:
              exec:
                command: ["sleep", "${PRE_STOP_SECONDS}"]
          resources:
            requests: { cpu: 50m, memory: 96Mi }
            limits: { cpu: "1", memory: 256Mi }
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: [ALL]
          volumeMounts:
            - name: tmp
              mountPath: /tmp
      volumes:
        - name: tmp
          emptyDir: { sizeLimit: 64Mi }
---
apiVersion: v1
kind: Service
metadata:
  name: ${s.name}
  labels:
    app.kubernetes.io/name: ${s.name}
    app.kubernetes.io/component: backend
spec:
  selector:
    app.kubernetes.io/name: ${s.name}
  ports:
${ports.map(([n, p]) => `    - name: ${n}\n      port: ${p}\n      targetPort: ${n}`).join('\n')}
`;
}

/** A service's block under `services:` in docker-compose.yml (local development), indented for that map. */
export function composeService(s, { wiring, env = {}, dependsOn = [], ports = [] }) {
  const lines = [
    `  ${s.name}:`,
    `    <<: *portico-service`,
    `    image: ${s.image}:\${PORTICO_TAG:-dev}`,
    `    build: { context: ., dockerfile: ${s.dir}/Dockerfile }`,
  ];
  if (ports.length) lines.push(`    ports: [${ports.map((p) => json(p)).join(', ')}]`);
  if (s.grpcPort) lines.push(`    expose: ["${s.grpcPort}"]`);
  lines.push('    environment:', '      <<: *portico-env');
  for (const [k, v] of Object.entries({ ...listenEnv(s), ...env, ...wiring })) lines.push(`      ${k}: ${json(v)}`);
  lines.push('    depends_on:', '      <<: *portico-deps');
  for (const name of dependsOn) lines.push(`      ${name}: { condition: service_healthy }`);
  return `${lines.join('\n')}\n`;
}

/** The Prometheus scrape target line of a service (inside the portico job's static_configs). */
export function prometheusTarget(s) {
  return `      - { targets: ["${s.name}:${s.defaultPort}"], labels: { service: ${s.name}, kind: ${s.kind} } }`;
}
