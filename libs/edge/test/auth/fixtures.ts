/** Shared test fixtures for auth: key pairs, token signing, a loopback JWKS server and a recording logger. */
import { createHmac, generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EdgeLogger } from '../../src/state';

export const ISSUER = 'https://id.portico.test/';
export const AUDIENCE = 'portico-api';

/** An asymmetric key pair plus its public JWK with a kid. */
export interface TestKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  jwk: Record<string, unknown>;
}

export function rsaKey(kid: string, bits = 2048, extra: Record<string, unknown> = { alg: 'RS256', use: 'sig' }): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return { kid, privateKey, publicKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, ...extra } };
}

export function ecKey(kid: string, curve = 'P-256', extra: Record<string, unknown> = { alg: 'ES256', use: 'sig' }): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
  return { kid, privateKey, publicKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, ...extra } };
}

/** Epoch seconds for an epoch-ms clock value. */
export const sec = (ms: number): number => Math.floor(ms / 1000);

/** A payload valid at `nowMs` for 15 minutes, with overrides (undefined deletes a claim). */
export function claims(nowMs: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const base: Record<string, unknown> = { iss: ISSUER, aud: AUDIENCE, sub: 'consumer-1', iat: sec(nowMs), exp: sec(nowMs) + 900, scope: 'orders:read orders:write' };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete base[k];
    else base[k] = v;
  }
  return base;
}

const b64 = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** Signs a JWS by hand (RS256, ES256 or HS256) exactly as given: no claims added, any payload (even a non-object). */
export function sign(payload: unknown, key: KeyObject, alg: 'RS256' | 'ES256' | 'HS256', kid?: string): string {
  const input = `${b64({ alg, typ: 'JWT', ...(kid ? { kid } : {}) })}.${b64(JSON.stringify(payload))}`;
  const signature =
    alg === 'HS256'
      ? createHmac('sha256', key).update(input).digest()
      : cryptoSign('sha256', Buffer.from(input), alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key);
  return `${input}.${signature.toString('base64url')}`;
}

/** Builds an HS256 token by hand with any secret bytes (e.g. an RSA public key PEM: the key-confusion attack). */
export function hmacToken(header: Record<string, unknown>, payload: unknown, secret: string | Buffer): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** An unsigned `alg: none` token. */
export function noneToken(payload: unknown, kid?: string): string {
  return `${b64({ alg: 'none', typ: 'JWT', ...(kid ? { kid } : {}) })}.${b64(payload)}.`;
}

/** A logger that records warnings (and drops the rest). */
export function recordingLogger(): EdgeLogger & { warnings: Array<{ obj: object; msg?: string }> } {
  const warnings: Array<{ obj: object; msg?: string }> = [];
  const logger = {
    warnings,
    debug: () => undefined,
    info: () => undefined,
    warn: (obj: object, msg?: string) => void warnings.push({ obj, msg }),
    error: (obj: object, msg?: string) => void warnings.push({ obj, msg }),
    child: () => logger,
  };
  return logger;
}

/** A loopback JWKS endpoint whose document, status, delay and availability tests control. */
export class JwksServer {
  requests = 0;
  keys: Array<Record<string, unknown>> = [];
  status = 200;
  delayMs = 0;
  body: string | undefined;
  private server: Server | undefined;
  private port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/.well-known/jwks.json`;
  }

  async start(port = 0): Promise<void> {
    this.server = createServer((_req, res: ServerResponse) => {
      this.requests++;
      const send = () => {
        res.writeHead(this.status, { 'content-type': 'application/json' });
        res.end(this.body ?? JSON.stringify({ keys: this.keys }));
      };
      if (this.delayMs > 0) setTimeout(send, this.delayMs);
      else send();
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Stops listening and drops open keep-alive sockets, as an unreachable issuer would. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Restarts on the same port (after stop()). */
  async restart(): Promise<void> {
    await this.start(this.port);
  }
}
