#!/usr/bin/env node
/**
 * `make deploy-sync`: copies each BFF's routes.yaml into k8s/base/<bff>/routes.yaml, the source of its routing-map
 * ConfigMap (kustomize reads files only inside the kustomization). test/deploy fails while a copy differs.
 */
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deploymentPlan, REPO_ROOT } from './deploy-plan.mjs';

let copied = 0;
for (const s of deploymentPlan(REPO_ROOT)) {
  const base = join(REPO_ROOT, 'k8s', 'base', s.name);
  if (s.role !== 'bff' || !s.routingMap || !existsSync(base)) continue;
  const target = join(base, 'routes.yaml');
  const source = join(REPO_ROOT, s.routingMap);
  if (existsSync(target) && readFileSync(target, 'utf8') === readFileSync(source, 'utf8')) continue;
  copyFileSync(source, target);
  process.stdout.write(`deploy-sync: ${s.routingMap} → k8s/base/${s.name}/routes.yaml\n`);
  copied += 1;
}
process.stdout.write(`deploy-sync: ${copied === 0 ? 'every routing map is up to date' : `${copied} routing map(s) copied`}\n`);
