/**
 * A TCP relay on a free loopback port that adds latency to everything an upstream sends back: an upstream that
 * "becomes slow" without changing its code. Works for HTTP/1.1 and gRPC (HTTP/2) alike; bytes keep their order.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

/** A running relay; see startDelayProxy. */
export interface DelayProxy {
  /** `127.0.0.1:<port>`, for a `*_GRPC_ADDRESS`. */
  readonly address: string;
  /** `http://127.0.0.1:<port>`, for a `*_SERVICE_URL`. */
  readonly url: string;
  /** Delay added to every chunk the upstream sends from now on, ms (0: a plain relay). */
  setDelay(ms: number): void;
  /** Connections accepted since start. */
  readonly connections: number;
  /** Stops listening and destroys every relayed connection. */
  close(): Promise<void>;
}

// A target given as a function may not be known yet when the first client connects (a service dialling at start-up):
// wait for it, bounded.
async function resolveTarget(target: string | (() => string | undefined)): Promise<string> {
  for (let waited = 0; waited < 15_000; waited += 20) {
    const where = typeof target === 'function' ? target() : target;
    if (where) return where;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('the relay target never became known');
}

/**
 * Relays 127.0.0.1:<free port> to `target` (`host:port`, or a function giving it, undefined until known: resolved per
 * connection, so the relay may start before the upstream's port is known), adding `delayMs` to the upstream's answers.
 */
export async function startDelayProxy(target: string | (() => string | undefined), delayMs = 0): Promise<DelayProxy> {
  let delay = delayMs;
  let accepted = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    accepted++;
    sockets.add(client);
    client.pause();
    client.on('error', () => client.destroy());
    void resolveTarget(target).then(
      (where) => relay(client, where),
      () => client.destroy(),
    );
  });
  const relay = (client: Socket, where: string): void => {
    const upstream = connect(Number(where.slice(where.lastIndexOf(':') + 1)), where.slice(0, where.lastIndexOf(':')));
    sockets.add(client).add(upstream);
    // Each chunk leaves no earlier than the one before it, so a delay change never reorders bytes.
    let releaseAt = 0;
    upstream.on('data', (chunk) => {
      releaseAt = Math.max(Date.now() + delay, releaseAt);
      const wait = releaseAt - Date.now();
      if (wait <= 0) client.write(chunk);
      else setTimeout(() => client.writable && client.write(chunk), wait);
    });
    upstream.on('end', () => setTimeout(() => client.end(), Math.max(0, releaseAt - Date.now())));
    client.pipe(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', () => setTimeout(drop, Math.max(0, releaseAt - Date.now())));
    client.resume();
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    address: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    setDelay: (ms) => void (delay = ms),
    get connections() {
      return accepted;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
