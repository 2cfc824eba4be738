/**
 * Which headers never cross the proxy: hop-by-hop headers both ways (RFC 9110 §7.6.1), client-sent identity and
 * internal headers on the way in, upstream internals on the way out. Adding the gateway's own headers is forwarded-headers.ts's job.
 */

// RFC 9110 §7.6.1 plus the legacy names RFC 7230 §6.1 and proxies still send.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-connection', 'http2-settings']);

// Identity and routing hints only the gateway may set (docs/edge-defaults.md "Paths and headers"); forwarded-headers.ts rebuilds the legitimate ones.
const CLIENT_IDENTITY = new Set([
  'x-user-id',
  'x-user',
  'x-scopes',
  'x-roles',
  'x-client-id',
  'x-original-url',
  'x-rewrite-url',
  'x-original-uri',
  'x-real-ip',
  'x-client-ip',
  'true-client-ip',
  'forwarded',
  'x-request-id',
  'host',
]);
const CLIENT_IDENTITY_PREFIXES = ['x-principal-', 'x-forwarded-', 'x-portico-', 'x-internal-', 'proxy-'];

// Upstream internals a client has no business seeing (software versions, internal routing).
const UPSTREAM_INTERNAL = new Set(['server', 'x-powered-by', 'x-aspnet-version', 'x-aspnetmvc-version', 'x-runtime', 'x-backend-server', 'via']);
const UPSTREAM_INTERNAL_PREFIXES = ['x-internal-', 'x-portico-', 'x-principal-', 'proxy-'];

/** A header value as Node's http module and undici present them. */
type HeaderValue = string | string[] | number | undefined;

/** The header names a `Connection` header lists (RFC 9110 §7.6.1), lower-cased. */
export function connectionTokens(value: HeaderValue): Set<string> {
  const tokens = new Set<string>();
  if (value === undefined) return tokens;
  for (const part of Array.isArray(value) ? value : [String(value)]) {
    for (const token of part.split(',')) {
      const name = token.trim().toLowerCase();
      if (name) tokens.add(name);
    }
  }
  return tokens;
}

const NO_TOKENS: ReadonlySet<string> = new Set();

// Nearly every message says `Connection: keep-alive` (or `close`), which names no other header: no Set for those.
function listedBy(value: HeaderValue): ReadonlySet<string> {
  if (value === undefined) return NO_TOKENS;
  if (typeof value === 'string') {
    const plain = value.trim().toLowerCase();
    if (plain === 'keep-alive' || plain === 'close') return NO_TOKENS;
  }
  return connectionTokens(value);
}

// Both prefix lists start with "x-" or "proxy-": one character test spares the list walk for every other name.
function hasPrefix(name: string, prefixes: readonly string[]): boolean {
  const first = name.charCodeAt(0);
  if (first !== 0x78 /* x */ && first !== 0x70 /* p */) return false;
  for (const prefix of prefixes) if (name.startsWith(prefix)) return true;
  return false;
}

/** True for a hop-by-hop header name (lower-case), including the names listed in that message's Connection header. */
export function isHopByHop(name: string, listed: ReadonlySet<string>): boolean {
  return HOP_BY_HOP.has(name) || name.startsWith('proxy-') || listed.has(name);
}

/** True for a client-sent header the gateway strips because only it may assert what the header says. */
export function isClientIdentityHeader(name: string): boolean {
  return CLIENT_IDENTITY.has(name) || hasPrefix(name, CLIENT_IDENTITY_PREFIXES);
}

/** True for a header a route's `headers.add`/`headers.remove` may not touch: the proxy owns it. */
export function isReservedHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return isHopByHop(lower, new Set()) || isClientIdentityHeader(lower) || lower === 'content-length' || lower === 'authorization' || lower === 'traceparent';
}

/** Copies request headers for the upstream: hop-by-hop, identity, Authorization (unless forwarded) and removed names dropped. */
export function upstreamRequestHeaders(
  incoming: Readonly<Record<string, HeaderValue>>,
  options: { forwardAuthorization: boolean; remove: readonly string[] },
): Record<string, string | string[]> {
  const listed = listedBy(incoming.connection);
  const remove = options.remove;
  const out: Record<string, string | string[]> = {};
  // Node's IncomingMessage.headers has lower-case names.
  for (const name in incoming) {
    const value = incoming[name];
    if (value === undefined || isHopByHop(name, listed) || isClientIdentityHeader(name)) continue;
    if (remove.length > 0 && remove.some((removed) => removed.toLowerCase() === name)) continue;
    // Credentials stay at the edge unless the route opts in; the verified principal travels in X-Principal-* instead.
    if (!options.forwardAuthorization && (name === 'authorization' || name === 'x-api-key')) continue;
    out[name] = typeof value === 'number' ? String(value) : value;
  }
  return out;
}

/** Copies upstream response headers for the client: hop-by-hop (with Connection-listed names) and internals dropped. */
export function clientResponseHeaders(incoming: Readonly<Record<string, HeaderValue>>): Record<string, string | string[]> {
  let connection = incoming.connection;
  if (connection === undefined) {
    for (const name in incoming) if (name.length === 10 && name.toLowerCase() === 'connection') connection = incoming[name];
  }
  const listed = listedBy(connection);
  const out: Record<string, string | string[]> = {};
  for (const rawName in incoming) {
    const value = incoming[rawName];
    if (value === undefined) continue;
    const name = rawName.toLowerCase();
    if (isHopByHop(name, listed) || UPSTREAM_INTERNAL.has(name) || hasPrefix(name, UPSTREAM_INTERNAL_PREFIXES)) continue;
    out[name] = typeof value === 'number' ? String(value) : value;
  }
  return out;
}
