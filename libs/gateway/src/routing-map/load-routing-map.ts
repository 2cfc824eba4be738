/**
 * Reads routes.yaml into a validated, deep-frozen RoutingMap whose version is a hash of the file. Every problem is a
 * ConfigError line naming the file, the route and the field. Turning routes into middleware is router/compile-routes.ts's job.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError, deepFreeze } from '@portico/edge';
import type { z } from 'zod';
import { routeSchema, UPSTREAM_TEMPLATE, type RouteSpec } from './route-schema';
import { parsePattern, patternShape, type PatternSegment } from './path-pattern';

/** Where a route's requests go: the origin from the environment and the upstream path pattern. */
export interface UpstreamTarget {
  /** The environment variable that named the host (`ORDER_SERVICE_URL`). */
  variable: string;
  /** `http://host:port`; never shown to clients. */
  origin: string;
  /** The path of the variable's URL (`/api`), prepended to every upstream path; '' for none. */
  basePath: string;
  /** Upstream path pattern: the template's path, else the route path with `rewrite` applied. */
  segments: readonly PatternSegment[];
}

/** A validated route with its parsed pattern and, for upstream routes, its resolved target. */
export type RouteDefinition = RouteSpec & { pattern: readonly PatternSegment[]; target?: UpstreamTarget };

/** A validated routing map: the routes in file order and the version of the file they came from. */
export interface RoutingMap {
  /** The file the map was read from. */
  readonly file: string;
  /** Short sha256 of the file content; shown by /readyz and as a metric. */
  readonly version: string;
  readonly routes: readonly RouteDefinition[];
}

/** Variables a routing map may substitute: the values loadConfig read at start-up. */
export type RoutingEnv = Readonly<Record<string, string | undefined>>;

/** Reads and validates a routing-map file; throws ConfigError listing every problem. */
export function loadRoutingMap(file: string, env: RoutingEnv): RoutingMap {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([`${basename(file)}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`]);
  }
  return parseRoutingMap(text, file, env);
}

/** Validates routing-map YAML text; `file` names it in messages. Throws ConfigError listing every problem. */
export function parseRoutingMap(text: string, file: string, env: RoutingEnv): RoutingMap {
  const name = basename(file);
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) throw new ConfigError(doc.errors.map((e) => `${name}: invalid YAML: ${e.message.split('\n')[0]}`));
  const root = doc.toJS() as unknown;
  const problems: string[] = [];
  if (typeof root !== 'object' || root === null || Array.isArray(root)) throw new ConfigError([`${name}: expected a mapping with a "routes" list`]);
  for (const key of Object.keys(root)) if (key !== 'routes') problems.push(`${name} › ${key}: unknown key (expected only "routes")`);
  const list = (root as { routes?: unknown }).routes;
  if (!Array.isArray(list) || list.length === 0) throw new ConfigError([...problems, `${name} › routes: expected a non-empty list of routes`]);

  const routes: RouteDefinition[] = [];
  list.forEach((raw: unknown, index) => {
    const label = routeLabel(raw, index);
    const parsed = routeSchema.safeParse(raw);
    if (!parsed.success) {
      problems.push(...issueLines(parsed.error.issues, `${name} › ${label}`));
      return;
    }
    const route = resolveTarget(parsed.data, env, (field, message) => problems.push(`${name} › ${label} › ${field}: ${message}`));
    if (route) routes.push(route);
  });
  problems.push(...crossRouteProblems(routes, name));
  if (problems.length > 0) throw new ConfigError(problems);
  const version = createHash('sha256').update(text).digest('hex').slice(0, 12);
  return deepFreeze({ file, version, routes });
}

function routeLabel(raw: unknown, index: number): string {
  const id = (raw as { id?: unknown } | null)?.id;
  return typeof id === 'string' && id.length > 0 ? id : `routes[${index}]`;
}

/** zod issues → `file › route › field: message`; an unknown key becomes one line per key. */
function issueLines(issues: readonly z.core.$ZodIssue[], prefix: string): string[] {
  return issues.flatMap((issue) => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => `${prefix} › ${path ? `${path}.` : ''}${key}: unknown key`);
    }
    // A record key's own problem is nested one level down; its message says more than "Invalid key in record".
    const nested = issue.code === 'invalid_key' || issue.code === 'invalid_element' ? issue.issues[0]?.message : undefined;
    return [`${prefix} › ${path || '(route)'}: ${nested ?? issue.message}`];
  });
}

function resolveTarget(spec: RouteSpec, env: RoutingEnv, problem: (field: string, message: string) => void): RouteDefinition | undefined {
  const pattern = parsePattern(spec.path) as PatternSegment[];
  if (!spec.upstream) return { ...spec, pattern };
  const [, variable = '', rest = ''] = UPSTREAM_TEMPLATE.exec(spec.upstream) ?? [];
  const value = env[variable];
  if (value === undefined || value === '') {
    problem('upstream', `environment variable ${variable} is not set`);
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    problem('upstream', `${variable} must be an http(s) URL like "http://order-service:8080", got "${value}"`);
    return undefined;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash || url.username || url.password) {
    problem('upstream', `${variable} must be an http(s) URL without query, fragment or credentials`);
    return undefined;
  }
  let segments: PatternSegment[];
  if (rest) segments = parsePattern(rest) as PatternSegment[];
  else {
    const strip = spec.rewrite?.stripPrefix ? (parsePattern(spec.rewrite.stripPrefix) as PatternSegment[]).length : 0;
    const add = spec.rewrite?.addPrefix ? (parsePattern(spec.rewrite.addPrefix) as PatternSegment[]) : [];
    segments = [...add, ...pattern.slice(strip)];
  }
  const basePath = url.pathname.replace(/\/+$/, '');
  return { ...spec, pattern, target: { variable, origin: url.origin, basePath, segments } };
}

/** Duplicate ids, the same method and path twice, and patterns that differ only in parameter names. */
function crossRouteProblems(routes: readonly RouteDefinition[], name: string): string[] {
  const problems: string[] = [];
  const ids = new Map<string, RouteDefinition>();
  const shapes = new Map<string, RouteDefinition>();
  for (const route of routes) {
    if (ids.has(route.id)) problems.push(`${name} › ${route.id} › id: duplicate route id`);
    ids.set(route.id, route);
    for (const method of route.method) {
      const key = `${method} ${patternShape(route.pattern)}`;
      const other = shapes.get(key);
      if (other && other !== route) {
        const message =
          other.path === route.path
            ? `${method} ${route.path} is already routed by ${other.id}`
            : `${method} ${route.path} conflicts with ${other.id} (${method} ${other.path}): the same path with different parameter names`;
        problems.push(`${name} › ${route.id} › path: ${message}`);
      } else shapes.set(key, route);
    }
  }
  return problems;
}
