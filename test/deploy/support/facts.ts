/**
 * What the deployment checks compare files against, all read from the services themselves: the deployment plan
 * (scripts/deploy-plan.mjs), the edge environment schema (edgeEnvShape) and the local-development constants.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { edgeEnvShape, parseDuration } from '@portico/edge';
import type { DeployedService } from '../../../scripts/deploy-plan.mjs' with { 'resolution-mode': 'import' };

export type { DeployedService };

/** The deployment plan module, loaded once. */
export type PlanModule = typeof import('../../../scripts/deploy-plan.mjs', { with: { 'resolution-mode': 'import' } });

/** The repository root holding test/. */
export const REPO_ROOT = join(__dirname, '..', '..', '..');

/** Loads scripts/deploy-plan.mjs. */
export async function planModule(): Promise<PlanModule> {
  return import('../../../scripts/deploy-plan.mjs');
}

/** The local-development JWT settings `make dev` gives each JWT-verifying BFF. */
export async function localJwt(): Promise<{ issuer: string; secret: string; audiences: Readonly<Record<string, string>> }> {
  const local = await import('../../../scripts/local-dev.mjs');
  return { issuer: local.LOCAL_JWT_ISSUER, secret: local.LOCAL_JWT_SECRET, audiences: local.LOCAL_JWT_AUDIENCES };
}

/** Every variable a service reads: the edge layer's plus its own (loadConfig extras, upstream variables, routing map). */
export function allowedEnv(service: DeployedService): Set<string> {
  return new Set([...Object.keys(edgeEnvShape), ...service.variables]);
}

const edgeValues = z.object(edgeEnvShape).partial();

/** Problems the edge schema finds in the edge variables of `env` (others are the service's own). */
export function edgeValueProblems(where: string, env: Record<string, string>): string[] {
  const edgeOnly = Object.fromEntries(Object.entries(env).filter(([k]) => k in edgeEnvShape));
  const parsed = edgeValues.safeParse(edgeOnly);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${where}: ${i.path.join('.')}: ${i.message}`);
}

/** `${VAR:-default}` → default, `${VAR}` → '' (how Compose interpolates an unset variable). */
export function interpolateDefaults(value: string): string {
  return value.replace(/\$\{[A-Z0-9_]+(?::?-([^}]*))?\}/g, (_m, fallback: string | undefined) => fallback ?? '');
}

/** DRAIN_DELAY + SHUTDOWN_TIMEOUT in ms as `env` sets them, edge defaults otherwise. */
export function drainBudgetMs(env: Record<string, string | undefined>): number {
  const parsed = z.object({ DRAIN_DELAY: edgeEnvShape.DRAIN_DELAY, SHUTDOWN_TIMEOUT: edgeEnvShape.SHUTDOWN_TIMEOUT }).parse({
    DRAIN_DELAY: env.DRAIN_DELAY,
    SHUTDOWN_TIMEOUT: env.SHUTDOWN_TIMEOUT,
  });
  return parsed.DRAIN_DELAY + parsed.SHUTDOWN_TIMEOUT;
}

/** Compose's durations ("30s", "1m30s") in ms. */
export function composeDurationMs(text: string): number {
  let total = 0;
  for (const part of text.match(/\d+(?:\.\d+)?(?:ms|s|m|h)/g) ?? []) total += parseDuration(part) ?? 0;
  return total;
}

/** Slack beyond the drain budget for the shutdown hooks (Redis, telemetry flush): each is bounded at 5 s. */
export const HOOKS_MARGIN_MS = 5_000;

/** A YAML file of the repository, parsed (merge keys resolved, as Compose does). */
export function readYaml<T = unknown>(root: string, rel: string): T {
  return parse(readFileSync(join(root, rel), 'utf8'), { merge: true }) as T;
}

/** The client prefix each BFF is routed at, read from its load-balancer file (`location /mobile/ {`). */
export function nginxPrefixOf(root: string, bff: string): string | undefined {
  const file = join(root, 'deploy', 'nginx', 'bffs', `${bff}.prefix.conf`);
  if (!existsSync(file)) return undefined;
  return /^location \/([a-z0-9-]+)\/ \{/m.exec(readFileSync(file, 'utf8'))?.[1];
}
