/**
 * A real HTTP upstream on 127.0.0.1 with scripted answers, latency and failure injection, recording every request it
 * receives. It is a node:http server with Node's defaults (keep-alive 5 s), so pools meet what they meet in production.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** One request as the upstream received it. */
export interface RecordedRequest {
  method: string;
  /** Path and query exactly as sent (`/orders/1?fields=id`). */
  path: string;
  /** The path without its query. */
  pathname: string;
  headers: IncomingHttpHeaders;
  /** The whole request body (empty when none was sent). */
  body: Buffer;
}

/** A canned answer: `json` is serialised with `Content-Type: application/json`; `delayMs` waits before answering. */
export interface ScriptedResponse {
  status?: number;
  json?: unknown;
  body?: string | Buffer;
  headers?: Record<string, string | string[]>;
  delayMs?: number;
}

/** Answers by returning a ScriptedResponse, or by writing to `res` itself (streaming, trailers) and returning nothing. */
export type MockHandler = (req: RecordedRequest, res: ServerResponse) => ScriptedResponse | void | Promise<ScriptedResponse | void>;

/** What a route answers with. */
export type MockRoute = ScriptedResponse | MockHandler;

/**
 * How an injected failure looks to the client: `reset` sends a TCP RST, `close` closes the socket without an answer,
 * `hang` never answers, `status500` answers 500 with a JSON body, `malformed` writes bytes that are not HTTP.
 */
export type FailureMode = 'reset' | 'close' | 'hang' | 'status500' | 'malformed';

/** A running mock upstream; see startMockUpstream. */
export interface MockUpstream {
  /** `http://127.0.0.1:<port>` with no trailing slash. */
  readonly url: string;
  readonly port: number;
  /** Every request received, oldest first, failures included. */
  readonly requests: RecordedRequest[];
  /** TCP connections accepted since start: tells whether a client reused keep-alive sockets. */
  readonly connections: number;
  /** Scripts `METHOD path` (method `*` for any; a path ending in `*` matches by prefix); the latest script wins. */
  on(method: string, path: string, route: MockRoute): MockUpstream;
  /** Delays every answer (and every injected failure but `hang`) by `ms`. */
  setLatency(ms: number): void;
  /** The next `n` requests fail with `mode`; calls queue up in order. */
  failNext(n: number, mode: FailureMode): void;
  /** Requests recorded, optionally only those with this method and/or pathname. */
  count(method?: string, path?: string): number;
  /** Forgets recorded requests, queued failures and latency; scripted routes stay. */
  reset(): void;
  /** Stops listening and destroys every socket, hanging ones included. Idempotent. */
  stop(): Promise<void>;
  /** Listens again on the same port (stopping first if still running): an upstream that comes back. */
  restart(): Promise<void>;
}

interface Script {
  method: string;
  path: string;
  route: MockRoute;
}

const MALFORMED = 'THIS IS NOT HTTP\r\n\r\n';

function sendScripted(res: ServerResponse, scripted: ScriptedResponse): void {
  if (res.destroyed || res.writableEnded) return;
  res.statusCode = scripted.status ?? 200;
  for (const [name, value] of Object.entries(scripted.headers ?? {})) res.setHeader(name, value);
  let body: Buffer | undefined;
  if (scripted.json !== undefined) {
    body = Buffer.from(JSON.stringify(scripted.json));
    if (!res.hasHeader('content-type')) res.setHeader('content-type', 'application/json');
  } else if (scripted.body !== undefined) {
    body = Buffer.from(scripted.body);
  }
  res.end(body);
}

function matches(script: Script, method: string, pathname: string): boolean {
  if (script.method !== '*' && script.method !== method) return false;
  return script.path.endsWith('*') ? pathname.startsWith(script.path.slice(0, -1)) : script.path === pathname;
}

/**
 * Starts a mock upstream on 127.0.0.1 and a free port. `routes` keys are `"METHOD /path"`, e.g.
 * `{ 'GET /orders/1': { json: { id: '1' } } }`. Unscripted requests get 404 with a JSON body naming the request.
 */
export async function startMockUpstream(routes: Record<string, MockRoute> = {}): Promise<MockUpstream> {
  const scripts: Script[] = [];
  const requests: RecordedRequest[] = [];
  const failures: FailureMode[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let latencyMs = 0;
  let connections = 0;
  let port = 0;
  let listening = false;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  function fail(mode: FailureMode, req: IncomingMessage, res: ServerResponse): void {
    const socket = req.socket;
    switch (mode) {
      case 'reset':
        socket.resetAndDestroy();
        return;
      case 'close':
        socket.destroy();
        return;
      case 'hang':
        return; // stop() destroys the socket
      case 'status500':
        sendScripted(res, { status: 500, json: { error: 'injected failure' } });
        return;
      case 'malformed':
        socket.end(MALFORMED);
        return;
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = req.url ?? '/';
    const method = req.method ?? 'GET';
    const recorded: RecordedRequest = { method, path, pathname: path.split('?')[0] ?? '/', headers: req.headers, body: Buffer.concat(chunks) };
    requests.push(recorded);
    const failure = failures.shift();
    if (failure === 'hang') return;
    if (latencyMs > 0) await sleep(latencyMs);
    if (failure) return fail(failure, req, res);
    const script = [...scripts].reverse().find((s) => matches(s, method, recorded.pathname));
    if (!script) return sendScripted(res, { status: 404, json: { error: `no mock route for ${method} ${recorded.pathname}` } });
    if (typeof script.route !== 'function') {
      if (script.route.delayMs) await sleep(script.route.delayMs);
      return sendScripted(res, script.route);
    }
    const answer = await script.route(recorded, res);
    if (answer) {
      if (answer.delayMs) await sleep(answer.delayMs);
      sendScripted(res, answer);
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      if (!res.headersSent) sendScripted(res, { status: 500, json: { error: `mock handler threw: ${message}` } });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000; // Node's default, stated: pools must close idle sockets before this
  server.on('connection', (socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  const listen = (wanted: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(wanted, '127.0.0.1', () => {
        server.off('error', reject);
        const address = server.address();
        port = typeof address === 'object' && address ? address.port : wanted;
        listening = true;
        resolve();
      });
    });

  const upstream: MockUpstream = {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    requests,
    get connections() {
      return connections;
    },
    on(method, path, route) {
      scripts.push({ method: method.toUpperCase(), path, route });
      return upstream;
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    failNext(n, mode) {
      for (let i = 0; i < n; i += 1) failures.push(mode);
    },
    count(method, path) {
      return requests.filter((r) => (!method || r.method === method.toUpperCase()) && (!path || r.pathname === path || r.path === path)).length;
    },
    reset() {
      requests.length = 0;
      failures.length = 0;
      latencyMs = 0;
    },
    async stop() {
      if (!listening) return;
      listening = false;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    async restart() {
      await upstream.stop();
      await listen(port);
    },
  };

  for (const [key, route] of Object.entries(routes)) {
    const [method, path] = key.trim().split(/\s+/, 2);
    if (!method || !path) throw new Error(`mock route key must look like "GET /path", got "${key}"`);
    upstream.on(method, path, route);
  }
  await listen(0);
  return upstream;
}
