/**
 * A token issuer for suites that load authenticated routes: an RS256 key pair made at start-up, its JWKS served on
 * loopback (what JWKS_URL points at), and signing of access tokens with that key. Verifying is the system under test's job.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';

/** A running issuer. */
export interface BenchIssuer {
  /** JWT_ISSUER. */
  issuer: string;
  /** JWT_AUDIENCE. */
  audience: string;
  /** JWKS_URL: the public key as a one-key JWKS (kid `bench-1`, alg RS256, use sig). */
  jwksUrl: string;
  /** Signs an RS256 access token for `subject` with `scope`, valid for `lifetimeS` seconds from now (default 1 h). */
  sign(subject: string, scope: string, lifetimeS?: number): string;
  close(): void;
}

const KID = 'bench-1';

/** Makes a 2048-bit RSA key pair and serves its JWKS on 127.0.0.1. */
export async function startIssuer(issuer = 'https://id.portico.test/', audience = 'portico-api'): Promise<BenchIssuer> {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwks = Buffer.from(JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: KID, alg: 'RS256', use: 'sig' }] }));
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/jwk-set+json', 'content-length': String(jwks.length) });
    res.end(jwks);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    issuer,
    audience,
    jwksUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`,
    sign(subject, scope, lifetimeS = 3600) {
      const now = Math.floor(Date.now() / 1000);
      const claims = { iss: issuer, aud: audience, sub: subject, scope, iat: now, exp: now + lifetimeS, jti: randomUUID() };
      return jwt.sign(claims, privateKey, { algorithm: 'RS256', keyid: KID });
    },
    close: () => server.close(),
  };
}
