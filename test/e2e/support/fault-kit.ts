/**
 * Small shared pieces of the fault-injection tests (test/e2e/resilience/): local-development tokens, API key files,
 * bounded polling, probes that never throw, and checks that an answer is problem+json. Load itself is load.ts's job.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { request } from 'undici';
import { generateApiKey, type ApiKeyRecord } from '@portico/edge';
import type { Sample } from './load';

export { BACKENDS, until } from './http';

/** The seeded consumers orders may be placed for. */
export const CONSUMERS = ['c-1001', 'c-1002', 'c-1003'] as const;

/** A body POST /orders accepts. */
export const NEW_ORDER = {
  restaurantId: 'r-1',
  lineItems: [{ menuItemId: 'm-101', quantity: 1 }],
  deliveryAddress: { street: '10 Main St', city: 'Oakland', zip: '94610' },
};

/** Signs HS256 tokens the way local BFFs verify them (scripts/local-dev.mjs): `sign('web', 'c-1001')`. */
export async function localSigner(): Promise<(audience: string, subject: string, scope?: string) => string> {
  const local = await import('../../../scripts/local-dev.mjs');
  return (audience, subject, scope = 'orders:read orders:write') =>
    jwt.sign({ scope }, local.LOCAL_JWT_SECRET, { algorithm: 'HS256', issuer: local.LOCAL_JWT_ISSUER, audience, subject, expiresIn: 900 });
}

/** `count` API keys of `plan` owned by `owner`, written to a fresh API_KEYS_FILE; returns the keys, records and the file. */
export function writeApiKeys(count: number, owner: string, plan: string): { keys: string[]; records: ApiKeyRecord[]; file: string } {
  const issued = Array.from({ length: count }, () => generateApiKey({ owner, plan, scopes: ['orders:read', 'orders:write'] }));
  const file = join(mkdtempSync(join(tmpdir(), 'portico-resilience-')), 'api-keys.json');
  writeFileSync(file, JSON.stringify(issued.map((i) => i.record)));
  return { keys: issued.map((i) => i.key), records: issued.map((i) => i.record), file };
}

/** A one-off request on a fresh connection: its status and body, or the error code; never throws. */
export async function probe(
  url: string,
  options: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {},
): Promise<{ status?: number; error?: string; body: string; headers: Record<string, string | string[] | undefined> }> {
  try {
    const res = await request(url, {
      method: options.method ?? 'GET',
      headers: { connection: 'close', ...options.headers },
      body: options.body,
      headersTimeout: options.timeoutMs ?? 5000,
      bodyTimeout: options.timeoutMs ?? 5000,
    });
    return { status: res.statusCode, body: await res.body.text(), headers: res.headers };
  } catch (err) {
    const e = err as { code?: string; cause?: { code?: string } };
    return { error: e.code ?? e.cause?.code ?? 'ERROR', body: '', headers: {} };
  }
}

/** The status of GET <base>/readyz, or the error code. */
export async function readyz(base: string): Promise<number | string> {
  const res = await probe(`${base}/readyz`, { timeoutMs: 2000 });
  return res.status ?? res.error ?? 'ERROR';
}

/** True when a kept sample is an RFC 9457 problem whose type is `urn:portico:problem:<type>`. */
export function isProblem(sample: Pick<Sample, 'body' | 'headers'>, type?: string): boolean {
  if (!String(sample.headers?.['content-type']).startsWith('application/problem+json')) return false;
  if (type === undefined) return true;
  try {
    return (JSON.parse(sample.body ?? '') as { type?: string }).type === `urn:portico:problem:${type}`;
  } catch {
    return false;
  }
}

/** Counts samples by a key function: `{ 'circuit-open': 12, complete: 300 }`. */
export function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1;
  return out;
}

/** Pauses for `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
