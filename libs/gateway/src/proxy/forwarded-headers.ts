/**
 * The headers the gateway asserts to upstreams: X-Forwarded-For/-Proto/-Host and Forwarded (RFC 7239) derived with
 * the configured trusted proxy hops, X-Request-Id and the verified principal. Stripping client copies is hop-by-hop.ts's job.
 */
import { isIP } from 'node:net';
import { trustedChain, type Principal } from '@portico/edge';

/** What the gateway knows about the connection and the request as it arrived. */
export interface ArrivalInfo {
  /** The TCP peer (`socket.remoteAddress`). */
  remoteAddress: string;
  /** Client-sent X-Forwarded-For, if any. */
  forwardedFor?: string | string[];
  /** Client-sent X-Forwarded-Proto, if any. */
  forwardedProto?: string | string[];
  /** Client-sent X-Forwarded-Host, if any. */
  forwardedHost?: string | string[];
  /** The Host header as received. */
  host?: string;
  /** `https` when the socket is TLS. */
  protocol: 'http' | 'https';
  /** TRUSTED_PROXY_HOPS: how many proxies in front of us append to X-Forwarded-For. */
  trustedProxyHops: number;
}

const HOST = /^[A-Za-z0-9.\-[\]:]{1,255}$/;

function list(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value.join(',') : value)
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
}

/**
 * The X-Forwarded-For chain to send: the client address, the trusted proxies, then our peer. It walks right to left
 * over at most `trustedProxyHops` entries and stops at a malformed one, exactly as the edge's clientAddressFrom does,
 * so the first entry is the address limits and logs use. Entries further left were written by the client and are dropped.
 */
export function forwardedChain(info: Pick<ArrivalInfo, 'remoteAddress' | 'forwardedFor' | 'trustedProxyHops'>): string[] {
  return trustedChain(info.remoteAddress, info.forwardedFor, info.trustedProxyHops);
}

/** The client address after trusted hops are removed (the first entry of forwardedChain). */
export function clientAddressOf(info: Pick<ArrivalInfo, 'remoteAddress' | 'forwardedFor' | 'trustedProxyHops'>): string {
  return forwardedChain(info)[0] as string;
}

// RFC 7239 §6: IPv6 addresses are bracketed and the node quoted; a host or proto with odd characters is quoted too.
function forwardedNode(address: string): string {
  return isIP(address) === 6 ? `"[${address}]"` : address;
}

function quoted(value: string): string {
  return /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(value) ? value : `"${value.replace(/["\\]/g, '\\$&')}"`;
}

/** X-Forwarded-For, -Proto, -Host and Forwarded for the upstream; client-sent values count only from trusted hops. */
export function forwardingHeaders(info: ArrivalInfo): Record<string, string> {
  const chain = forwardedChain(info);
  const trustHeaders = info.trustedProxyHops > 0;
  const proto = (trustHeaders && list(info.forwardedProto).at(-1)?.toLowerCase()) || info.protocol;
  const safeProto = proto === 'https' || proto === 'http' ? proto : info.protocol;
  const hostCandidate = (trustHeaders && list(info.forwardedHost).at(-1)) || info.host;
  const host = hostCandidate && HOST.test(hostCandidate) ? hostCandidate : undefined;
  const headers: Record<string, string> = { 'x-forwarded-for': chain.join(', '), 'x-forwarded-proto': safeProto };
  if (host) headers['x-forwarded-host'] = host;
  const elements = chain.map((address, i) => {
    const parts = [`for=${forwardedNode(address)}`];
    if (i === 0) {
      if (host) parts.push(`host=${quoted(host)}`);
      parts.push(`proto=${safeProto}`);
    }
    return parts.join(';');
  });
  headers.forwarded = elements.join(', ');
  return headers;
}

const MEMO = Symbol('portico.forwardingHeaders');

interface ForwardingMemo extends ArrivalInfo {
  headers: Readonly<Record<string, string>>;
}

/**
 * forwardingHeaders for a request that arrived on `socket`, reusing the previous request's headers when everything they
 * derive from is the same (a keep-alive client sends the same Host and forwarding headers on each request; on the
 * proxied route the derivation was ~2% of the CPU per request). The result is shared by the socket's requests: copy it,
 * never change it.
 */
export function socketForwardingHeaders(socket: object, info: ArrivalInfo): Readonly<Record<string, string>> {
  const memo = (socket as { [MEMO]?: ForwardingMemo })[MEMO];
  if (
    memo !== undefined &&
    memo.host === info.host &&
    memo.forwardedFor === info.forwardedFor &&
    memo.forwardedProto === info.forwardedProto &&
    memo.forwardedHost === info.forwardedHost &&
    memo.remoteAddress === info.remoteAddress &&
    memo.protocol === info.protocol &&
    memo.trustedProxyHops === info.trustedProxyHops
  ) {
    return memo.headers;
  }
  const headers = Object.freeze(forwardingHeaders(info));
  (socket as { [MEMO]?: ForwardingMemo })[MEMO] = { ...info, headers };
  return headers;
}

// A verified claim may hold characters a header cannot carry; percent-encode those rather than fail the request.
function headerSafe(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : encodeURIComponent(value);
}

/** X-Principal-* headers carrying the verified principal; none for an anonymous request. */
export function principalHeaders(principal: Principal | undefined): Record<string, string> {
  if (!principal) return {};
  const headers: Record<string, string> = {
    'x-principal-subject': headerSafe(principal.subject),
    'x-principal-issuer': headerSafe(principal.issuer),
    'x-principal-kind': principal.kind,
    'x-principal-scopes': headerSafe(principal.scopes.join(' ')),
    'x-principal-roles': headerSafe(principal.roles.join(' ')),
  };
  if (principal.clientId !== undefined) headers['x-principal-client-id'] = headerSafe(principal.clientId);
  return headers;
}
