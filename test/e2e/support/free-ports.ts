/** Free loopback ports for out-of-process services: a set of distinct ports at once, or an offset that frees a whole fleet's range. */
import { createServer, type Server } from 'node:net';

function listen(port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

function closeAll(servers: Server[]): Promise<void> {
  return Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())))).then(() => undefined);
}

/**
 * `count` distinct ports on 127.0.0.1 that were free a moment ago, none of them in `avoid` (the fleet's default ports,
 * so tests never collide with a dev fleet). All are held open together, so no two are the same, then released.
 * `companions[i]`, when set, is an offset from the i-th port that must be free as well (a gRPC backend listens on its
 * HTTP port plus a fixed distance): both are held, and a port whose companion is taken is passed over.
 */
export async function freePorts(count: number, avoid: ReadonlySet<number> = new Set(), companions: ReadonlyArray<number | undefined> = []): Promise<number[]> {
  const held: Server[] = [];
  const ports: number[] = [];
  const taken = new Set<number>();
  try {
    for (let attempts = 0; ports.length < count; attempts += 1) {
      if (attempts > count + 20) throw new Error(`could not find ${count} free ports on 127.0.0.1`);
      const server = await listen(0);
      if (!server) continue;
      held.push(server);
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      if (port <= 0 || avoid.has(port) || taken.has(port)) continue;
      const offset = companions[ports.length];
      if (offset !== undefined) {
        const companion = port + offset;
        const companionServer = companion > 0 && companion < 65_536 && !avoid.has(companion) && !taken.has(companion) ? await listen(companion) : undefined;
        if (!companionServer) continue;
        held.push(companionServer);
        taken.add(companion);
      }
      taken.add(port);
      ports.push(port);
    }
    return ports;
  } finally {
    await closeAll(held);
  }
}

/** An offset (e.g. for PORTICO_PORT_OFFSET) such that every `defaults[i] + offset` is free on 127.0.0.1 right now. */
export async function freePortOffset(defaults: readonly number[], tries = 30): Promise<number> {
  const highest = Math.max(...defaults);
  for (let i = 0; i < tries; i += 1) {
    const offset = 10_000 + Math.floor(Math.random() * (60_000 - highest - 10_000));
    const held = await Promise.all(defaults.map((port) => listen(port + offset)));
    await closeAll(held.filter((s): s is Server => s !== undefined));
    if (held.every(Boolean)) return offset;
  }
  throw new Error(`no port offset left ${defaults.join(', ')} all free after ${tries} tries`);
}
