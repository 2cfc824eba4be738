/**
 * Derives the client address from the socket and X-Forwarded-For, trusting only the configured number of proxy hops
 * (docs/edge-defaults.md: "X-Forwarded-For is trusted only for the configured number of trusted proxy hops").
 */
import { isIP } from 'node:net';

/**
 * The addresses vouched for by this process and its trusted proxies, client first: the X-Forwarded-For entries the
 * trusted hops appended (walked right to left, stopping at a malformed one), then the socket peer. Entries further
 * left were written by the client and are dropped. The proxy forwards this chain; its first entry is the client address.
 */
export function trustedChain(socketAddress: string | undefined, forwardedFor: string | string[] | undefined, trustedHops: number): string[] {
  const peer = unmap(socketAddress ?? '') || 'unknown';
  if (trustedHops <= 0 || forwardedFor === undefined) return [peer];
  const entries = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',');
  const trusted: string[] = [];
  // Walk right to left: the peer of a trusted proxy is what that proxy appended.
  for (let hop = 0; hop < trustedHops && entries.length > 0; hop++) {
    const entry = unmap(stripPort(entries.pop()!.trim()));
    // A malformed entry means the chain is broken here; keep the last address a trusted party vouched for.
    if (!isIP(entry)) break;
    trusted.unshift(entry);
  }
  return [...trusted, peer];
}

/**
 * The client address: with `trustedHops` = 0 the socket peer; with N > 0 the Nth address counted from the right of
 * X-Forwarded-For (each trusted proxy appended the peer it saw). Entries further left are client-supplied and ignored.
 */
export function clientAddressFrom(socketAddress: string | undefined, forwardedFor: string | string[] | undefined, trustedHops: number): string {
  return trustedChain(socketAddress, forwardedFor, trustedHops)[0]!;
}

// "::ffff:10.0.0.1" is how a dual-stack socket reports an IPv4 peer; log and limit by the plain IPv4 form.
function unmap(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

// Some proxies append "1.2.3.4:5678" or "[2001:db8::1]:443".
function stripPort(entry: string): string {
  if (entry.startsWith('[')) {
    const end = entry.indexOf(']');
    return end > 0 ? entry.slice(1, end) : entry;
  }
  const colon = entry.indexOf(':');
  return colon > 0 && colon === entry.lastIndexOf(':') ? entry.slice(0, colon) : entry;
}
