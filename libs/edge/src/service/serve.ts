/**
 * Serves a Koa app with the edge server settings (header limits, timeouts, problem+json for malformed requests)
 * and the graceful-shutdown lifecycle. The app itself comes from createEdgeApp or the gateway.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Koa from 'koa';
import { applyServerTimeouts, handleClientError, serverOptions } from '../guards';
import { createLifecycle, type Lifecycle } from '../lifecycle';
import type { EdgeState } from '../state';
import type { EdgeRuntime } from './edge-runtime';

/** A listening service. */
export interface Serving {
  server: Server;
  lifecycle: Lifecycle;
  /** `http://host:port` as bound (port 0 resolved). */
  url: string;
  /** Runs the full shutdown sequence without exiting the process (tests, embedding). */
  close(): Promise<void>;
}

/** Options for serve. */
export interface ServeOptions {
  /** Ends the process after shutdown; default process.exit. `close()` never calls it. */
  exit?: (code: number) => void;
  /** Overrides the configured port (0 picks a free one). */
  port?: number;
  /** Overrides the configured host. */
  host?: string;
  /**
   * Tried before the app for every request; returns true when it took the request and will answer it itself (the
   * gateway's direct routes), false to leave it to the app.
   */
  front?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

/** Listens on the configured host and port and wires shutdown hooks into the lifecycle. */
export async function serve(app: Koa<EdgeState>, runtime: EdgeRuntime<unknown>, options: ServeOptions = {}): Promise<Serving> {
  const callback = app.callback();
  const front = options.front;
  const handler = front ? (req: IncomingMessage, res: ServerResponse) => void (front(req, res) || callback(req, res)) : callback;
  const server = applyServerTimeouts(createServer(serverOptions(), handler));
  handleClientError(server, runtime.logger);
  let exitCode: ((code: number) => void) | undefined = options.exit;
  const lifecycle = createLifecycle({
    server,
    readiness: runtime.readiness,
    logger: runtime.logger,
    drainDelayMs: runtime.edge.lifecycle.drainDelayMs,
    shutdownTimeoutMs: runtime.edge.lifecycle.shutdownTimeoutMs,
    exit: (code) => (exitCode ?? ((c: number) => process.exit(c)))(code),
  });
  for (const hook of runtime.hooks) lifecycle.onShutdown(hook.name, hook.fn);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? runtime.edge.service.port, options.host ?? runtime.edge.service.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address === '0.0.0.0' ? '127.0.0.1' : address;
  const url = `http://${host}:${port}`;
  runtime.logger.info({ url, env: runtime.edge.service.env }, 'listening');
  return {
    server,
    lifecycle,
    url,
    close: async () => {
      exitCode = () => undefined;
      await lifecycle.shutdown('close');
    },
  };
}
