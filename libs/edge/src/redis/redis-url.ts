/**
 * Parses REDIS_URL into a connection target: a single server (redis://, rediss://), a Sentinel-managed primary
 * (redis+sentinel://) or a Cluster (redis+cluster://). Opening the connection is redis-client.ts's job.
 */

/** One host and port. */
export interface RedisHost {
  host: string;
  port: number;
}

/** Credentials and TLS shared by every kind of target. */
interface TargetAuth {
  username?: string;
  password?: string;
  /** True for rediss:// (TLS to the data nodes). */
  tls: boolean;
}

/** Where REDIS_URL points: one server, a Sentinel deployment or a Cluster. */
export type RedisTarget =
  | ({ kind: 'standalone'; host: string; port: number; db: number } & TargetAuth)
  | ({ kind: 'sentinel'; sentinels: RedisHost[]; masterName: string; db: number } & TargetAuth)
  | ({ kind: 'cluster'; nodes: RedisHost[] } & TargetAuth);

// scheme://[userinfo@]hosts[/path] — WHATWG URL cannot hold "h1:p1,h2:p2", so the split is done by hand.
const URL_SHAPE = /^(rediss?|redis\+sentinel|redis\+cluster):\/\/(?:([^@/]*)@)?([^/?#]*)(\/[^?#]*)?$/;
const DEFAULT_PORT = { standalone: 6379, sentinel: 26379, cluster: 6379 } as const;

/** Parses a REDIS_URL; throws a one-line Error naming what is wrong (never echoing the password). */
export function parseRedisUrl(url: string): RedisTarget {
  const m = URL_SHAPE.exec(url.trim());
  if (!m) throw new Error(`REDIS_URL: expected redis://, rediss://, redis+sentinel:// or redis+cluster://, got "${describeRedisTarget(url)}"`);
  const [, scheme = '', userinfo, hostList = '', path = ''] = m;
  const auth = parseUserinfo(userinfo);
  const tls = scheme === 'rediss';
  const kind = scheme === 'redis+sentinel' ? 'sentinel' : scheme === 'redis+cluster' ? 'cluster' : 'standalone';
  const hosts = parseHosts(hostList, DEFAULT_PORT[kind]);
  const segments = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (kind === 'cluster') {
    // Redis Cluster has only database 0 (https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/).
    if (segments.length > 0) throw new Error('REDIS_URL: a redis+cluster:// URL takes no database path (Cluster has only db 0)');
    return { kind, nodes: hosts, tls, ...auth };
  }
  if (kind === 'sentinel') {
    const [masterName, db, ...rest] = segments;
    if (!masterName || rest.length > 0) throw new Error('REDIS_URL: expected redis+sentinel://host:port[,host:port…]/<masterName>[/db]');
    return { kind, sentinels: hosts, masterName, db: parseDb(db), tls, ...auth };
  }
  if (hosts.length !== 1) throw new Error('REDIS_URL: a redis:// URL names one host; use redis+sentinel:// or redis+cluster:// for several');
  if (segments.length > 1) throw new Error('REDIS_URL: expected redis://host:port[/db]');
  const [only] = hosts as [RedisHost];
  return { kind, host: only.host, port: only.port, db: parseDb(segments[0]), tls, ...auth };
}

/** The URL as it may appear in logs: the password replaced by `***`, everything else kept. */
export function describeRedisTarget(url: string): string {
  return url.replace(/^([a-z+]+:\/\/)([^@/]*)@/i, (_all, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    if (colon < 0) return `${scheme}***@`; // redis://secret@host: a bare userinfo is the password (redis-cli convention)
    const user = userinfo.slice(0, colon);
    return `${scheme}${user}:***@`;
  });
}

function parseUserinfo(userinfo: string | undefined): { username?: string; password?: string } {
  if (!userinfo) return {};
  const colon = userinfo.indexOf(':');
  // redis://secret@host and redis://:secret@host both mean "AUTH secret" (default user).
  if (colon < 0) return { password: decodeURIComponent(userinfo) };
  const username = decodeURIComponent(userinfo.slice(0, colon));
  const password = decodeURIComponent(userinfo.slice(colon + 1));
  return { ...(username ? { username } : {}), ...(password ? { password } : {}) };
}

function parseHosts(list: string, defaultPort: number): RedisHost[] {
  const hosts = list.split(',').map((entry) => entry.trim());
  if (hosts.some((entry) => entry === '')) throw new Error('REDIS_URL: expected host[:port] entries separated by commas');
  return hosts.map((entry) => {
    // [::1]:6379 for IPv6, host:port otherwise.
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(entry);
    if (!m) throw new Error(`REDIS_URL: "${entry}" is not host[:port]`);
    const host = (m[1] ?? '').replace(/^\[|\]$/g, '');
    const port = m[2] === undefined ? defaultPort : Number(m[2]);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`REDIS_URL: "${entry}" has an invalid port`);
    return { host, port };
  });
}

function parseDb(text: string | undefined): number {
  if (text === undefined || text === '') return 0;
  if (!/^\d+$/.test(text)) throw new Error(`REDIS_URL: database must be a number, got "${text}"`);
  return Number(text);
}
