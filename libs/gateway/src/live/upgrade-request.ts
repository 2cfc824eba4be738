/**
 * The raw side of a WebSocket upgrade: which order a request names, where its credential is, and refusing it as an
 * HTTP problem+json answer written straight to the socket before any upgrade (RFC 6455 §4.2.2: any status but 101 refuses).
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { EdgeError, problemBody, REQUEST_ID_PATTERN } from '@portico/edge';
import { decodeSegment, normalisePath } from '../routing-map/normalise-path';

/** The live path, as the routing map would write it. */
export const LIVE_PATH = '/orders/:orderId/live';
/** The ticket path. */
export const LIVE_TICKET_PATH = '/orders/:orderId/live-ticket';

const LIVE = /^\/orders\/([^/]+)\/(live|live-ticket)$/;

/** The order and endpoint a path names (`/orders/o-1/live` → { orderId: 'o-1', kind: 'live' }), after normalisation. */
export function matchLivePath(rawPath: string): { orderId: string; kind: 'live' | 'live-ticket' } | undefined {
  let path: string;
  try {
    path = normalisePath(rawPath);
  } catch {
    return undefined;
  }
  const match = LIVE.exec(path);
  if (!match) return undefined;
  return { orderId: decodeSegment(match[1] as string), kind: match[2] as 'live' | 'live-ticket' };
}

/** What an upgrade request carries. */
export interface UpgradeCredentials {
  /** `Sec-WebSocket-Protocol: bearer, <token>` (browsers) or `Authorization: Bearer <token>` (native clients). */
  token?: string;
  /** `?ticket=` from POST /orders/:orderId/live-ticket. */
  ticket?: string;
}

/** Reads the credential of an upgrade; the token is never taken from the query string, where logs would keep it. */
export function upgradeCredentials(req: IncomingMessage, query: URLSearchParams): UpgradeCredentials {
  const protocols = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  const at = protocols.indexOf('bearer');
  const fromProtocol = at >= 0 ? protocols[at + 1] : undefined;
  const authorization = /^Bearer +(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
  return { token: fromProtocol || authorization, ticket: query.get('ticket') ?? undefined };
}

/** The request id to answer with: a valid incoming X-Request-Id, else a new one. */
export function upgradeRequestId(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && REQUEST_ID_PATTERN.test(incoming) ? incoming : randomUUID();
}

/** Answers the upgrade request with the error as problem+json and closes the socket. */
export function refuseUpgrade(socket: Duplex, err: EdgeError, requestId: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify(problemBody(err, requestId));
  const headers: Record<string, string> = {
    'Content-Type': 'application/problem+json',
    'Content-Length': String(Buffer.byteLength(body)),
    'X-Request-Id': requestId,
    Connection: 'close',
    ...err.headers,
  };
  const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  socket.end(`HTTP/1.1 ${err.status} ${STATUS_CODES[err.status] ?? ''}\r\n${head}\r\n${body}`);
  // A client that never reads the answer must not keep the socket open.
  setTimeout(() => socket.destroy(), 1000).unref();
}

/** True when the request's Origin may open a live connection: no Origin (a native client), or one on the allow-list. */
export function originAllowed(req: IncomingMessage, allowed: readonly string[]): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  return allowed.includes('*') || allowed.includes(origin);
}
