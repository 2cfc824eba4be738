/**
 * Micro-benchmark: CPU cost of verifying one JWT with a KeyObject parsed once vs a string key parsed per call, and of
 * Portico's JwtVerifier on a verified-token cache hit. Run: `npx tsx bench/jwt-verify.ts` (bounded: ~20 s). Writes
 * docs/benchmarks/jwt-verify.{md,json} unless run with --print-only.
 */
import { createSecretKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { JwtVerifier, type KeySource } from '../libs/edge/src/auth/jwt';
import type { JwtAlgorithm } from '../libs/edge/src/config';
import { fmt, machineInfo, markdownTable, writeSection } from './lib/report';

const ISSUER = 'https://id.portico.test/';
const AUDIENCE = 'portico-api';
const SECRET = 'portico-local-development-secret-0123456789';
const ROUNDS = 3;
const MAX_MS_PER_CASE = 1500;

function cpuMicrosPerOp(iterations: number, fn: (i: number) => unknown): { usPerOp: number; ops: number } {
  const started = process.cpuUsage();
  const wall = Date.now();
  let done = 0;
  for (; done < iterations && Date.now() - wall < MAX_MS_PER_CASE; done++) fn(done);
  const used = process.cpuUsage(started);
  return { usPerOp: (used.user + used.system) / done, ops: done };
}

async function asyncMicrosPerOp(iterations: number, fn: (i: number) => Promise<unknown>): Promise<{ usPerOp: number; ops: number }> {
  const started = process.cpuUsage();
  const wall = Date.now();
  let done = 0;
  for (; done < iterations && Date.now() - wall < MAX_MS_PER_CASE; done++) await fn(done);
  const used = process.cpuUsage(started);
  return { usPerOp: (used.user + used.system) / done, ops: done };
}

function tokens(count: number, key: KeyObject, alg: jwt.Algorithm): string[] {
  const now = Math.floor(Date.now() / 1000);
  return [...Array(count)].map(() => jwt.sign({ iss: ISSUER, aud: AUDIENCE, sub: 'consumer-1', iat: now, exp: now + 900, jti: randomUUID(), scope: 'orders:read' }, key, { algorithm: alg, keyid: 'k1' }));
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

async function main(): Promise<void> {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const secret = createSecretKey(Buffer.from(SECRET));
  const rsaPem = rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string;
  const ecPem = ec.publicKey.export({ type: 'spki', format: 'pem' }) as string;
  const N = 3000;
  const rs = tokens(N, rsa.privateKey, 'RS256');
  const es = tokens(N, ec.privateKey, 'ES256');
  const hs = tokens(N, secret, 'HS256');
  const opts = (alg: jwt.Algorithm): jwt.VerifyOptions => ({ algorithms: [alg], issuer: ISSUER, audience: AUDIENCE });
  const verifier = (alg: JwtAlgorithm, key: KeyObject) => {
    const keys: KeySource = { keyFor: async () => key };
    return new JwtVerifier({ issuer: ISSUER, audience: [AUDIENCE], algorithms: [alg], clockSkewMs: 60_000, maxLifetimeMs: 86_400_000, keys });
  };

  const cases: Array<[string, () => Promise<{ usPerOp: number; ops: number }>]> = [
    ['HS256 jsonwebtoken, KeyObject', async () => cpuMicrosPerOp(N, (i) => jwt.verify(hs[i % N] as string, secret, opts('HS256')))],
    ['HS256 jsonwebtoken, string secret', async () => cpuMicrosPerOp(N, (i) => jwt.verify(hs[i % N] as string, SECRET, opts('HS256')))],
    ['RS256 jsonwebtoken, KeyObject', async () => cpuMicrosPerOp(N, (i) => jwt.verify(rs[i % N] as string, rsa.publicKey, opts('RS256')))],
    ['RS256 jsonwebtoken, PEM string', async () => cpuMicrosPerOp(N, (i) => jwt.verify(rs[i % N] as string, rsaPem, opts('RS256')))],
    ['ES256 jsonwebtoken, KeyObject', async () => cpuMicrosPerOp(N, (i) => jwt.verify(es[i % N] as string, ec.publicKey, opts('ES256')))],
    ['ES256 jsonwebtoken, PEM string', async () => cpuMicrosPerOp(N, (i) => jwt.verify(es[i % N] as string, ecPem, opts('ES256')))],
    ['HS256 JwtVerifier, miss (full checks)', async () => { const v = verifier('HS256', secret); return asyncMicrosPerOp(N, (i) => v.verify(hs[i % N] as string)); }],
    ['RS256 JwtVerifier, miss (full checks)', async () => { const v = verifier('RS256', rsa.publicKey); return asyncMicrosPerOp(N, (i) => v.verify(rs[i % N] as string)); }],
    ['RS256 JwtVerifier, LRU hit', async () => { const v = verifier('RS256', rsa.publicKey); await v.verify(rs[0] as string); return asyncMicrosPerOp(200_000, () => v.verify(rs[0] as string)); }],
  ];

  // Warm-up: every case once, results discarded.
  for (const [, run] of cases) await run();
  const results = new Map<string, number[]>();
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the order each round so drift on a shared machine does not favour one case.
    const order = cases.map((_, i) => cases[(i + round) % cases.length] as (typeof cases)[number]);
    for (const [name, run] of order) {
      const { usPerOp } = await run();
      results.set(name, [...(results.get(name) ?? []), usPerOp]);
    }
  }
  console.log(`node ${process.version}, ${ROUNDS} rounds, CPU µs per verification (median; ops/s on one core ≈ 1e6/µs)`);
  const rows = cases.map(([name]) => {
    const us = median(results.get(name) as number[]);
    console.log(`${name.padEnd(40)} ${us.toFixed(2).padStart(8)} µs   ~${Math.round(1e6 / us).toLocaleString('en-US').padStart(9)} /s`);
    return { name, usPerOp: us, rounds: results.get(name) as number[] };
  });
  if (process.argv.includes('--print-only')) return;
  const machine = machineInfo();
  const markdown = [
    '## JWT verification cost',
    '',
    `Run ${machine.date}; \`npx tsx bench/jwt-verify.ts\`, one process, unpinned; ${ROUNDS} rounds with the order rotated after a warm-up, ` +
      `each case for up to ${N.toLocaleString('en-US')} verifications or ${MAX_MS_PER_CASE} ms; CPU µs (process.cpuUsage) per verification, median of the rounds. ` +
      'Tokens are distinct (own `jti`) unless the case says LRU hit; RSA keys are 2048-bit, EC keys P-256.',
    '',
    markdownTable(
      ['case', 'CPU µs per verification', 'verifications/s on one core'],
      rows.map((r) => [r.name, fmt(r.usPerOp, 2), fmt(1e6 / r.usPerOp)]),
    ),
    '',
    'A key passed as a string is parsed again on every call; Portico parses keys once into KeyObjects (jwt.ts, jwks-cache.ts).',
    '',
  ].join('\n');
  writeSection('jwt-verify', { markdown, json: { machine, rounds: ROUNDS, maxMsPerCase: MAX_MS_PER_CASE, results: rows } });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
