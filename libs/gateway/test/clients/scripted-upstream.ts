/** A real HTTP upstream on 127.0.0.1 whose answers each test scripts: latency, status, body; it counts requests, sockets and early closes. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Handler = (req: IncomingMessage, res: ServerResponse, hit: number) => void | Promise<void>;

export interface ScriptedUpstream {
  url: string;
  /** Requests received so far. */
  hits: number;
  /** TCP connections accepted so far. */
  sockets: number;
  /** Requests whose connection closed before the answer was complete (the caller aborted). */
  earlyCloses: number;
  /** Request headers seen, in order. */
  seen: IncomingMessage['headers'][];
  /** Request paths seen, in order. */
  paths: string[];
  handler: Handler;
  /** Resolves at the next early close. */
  nextEarlyClose(): Promise<void>;
  reset(): void;
  close(): Promise<void>;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Answers `status` with a JSON body. */
export function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': status >= 400 && status < 500 ? 'application/problem+json' : 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Answers 200 with `first`, waits `pauseMs`, then ends with `rest`: a body that stalls mid-way (no declared length). */
export async function stallingAnswer(res: ServerResponse, contentType: string, first: string, pauseMs: number, rest: string): Promise<void> {
  res.writeHead(200, { 'content-type': contentType });
  res.write(first);
  await sleep(pauseMs);
  res.end(rest);
}

export async function startUpstream(handler: Handler = (_req, res) => json(res, 200, { ok: true })): Promise<ScriptedUpstream> {
  const waiters: Array<() => void> = [];
  const up: ScriptedUpstream = {
    url: '',
    hits: 0,
    sockets: 0,
    earlyCloses: 0,
    seen: [],
    paths: [],
    handler,
    nextEarlyClose: () => new Promise<void>((resolve) => waiters.push(resolve)),
    reset() {
      up.hits = 0;
      up.sockets = 0;
      up.earlyCloses = 0;
      up.seen = [];
      up.paths = [];
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer((req, res) => {
    up.hits++;
    up.seen.push(req.headers);
    up.paths.push(req.url ?? '');
    res.on('close', () => {
      if (!res.writableFinished) {
        up.earlyCloses++;
        waiters.splice(0).forEach((w) => w());
      }
    });
    req.resume();
    Promise.resolve(up.handler(req, res, up.hits)).catch(() => res.destroy());
  });
  server.on('connection', () => up.sockets++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  up.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return up;
}

/** A logger that keeps what it is told. */
export function memoryLogger() {
  const lines: Array<{ level: string; obj: object; msg?: string }> = [];
  const logger = {
    lines,
    debug: (obj: object, msg?: string) => lines.push({ level: 'debug', obj, msg }),
    info: (obj: object, msg?: string) => lines.push({ level: 'info', obj, msg }),
    warn: (obj: object, msg?: string) => lines.push({ level: 'warn', obj, msg }),
    error: (obj: object, msg?: string) => lines.push({ level: 'error', obj, msg }),
    child: () => logger,
  };
  return logger;
}
