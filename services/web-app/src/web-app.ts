/**
 * The browser app's server: public/ as static files, `/config.json` telling the page where the web BFF is, `/livez`
 * and `/readyz`, graceful shutdown. The page talks to the web BFF directly (CORS and its WebSocket), never through here.
 */
import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import {
  createLifecycle,
  createLogger,
  EdgeError,
  loadConfig,
  problemBody,
  serverOptions,
  shutdownTelemetry,
  type EdgeConfig,
  type ErrorCode,
} from '@portico/edge';
import { etagOf, resolvePublicFile } from './static-files';

/** The service name in logs. */
export const SERVICE_NAME = 'web-app';

/** The page, its script and styles, shipped next to dist/ and src/. */
export const PUBLIC_DIR = join(__dirname, '..', 'public');

/** Local-development defaults: port 8080 (an origin the web BFF allows by default) and the web BFF on 8082. */
export const CONFIG_DEFAULTS: Readonly<Record<string, string>> = Object.freeze({ PORT: '8080', WEB_BFF_URL: 'http://127.0.0.1:8082' });

/** web-app's own variable: WEB_BFF_URL, the web BFF's base URL as the browser reaches it. */
export const CONFIG_EXTRA = {
  WEB_BFF_URL: z
    .url({ protocol: /^https?$/, message: 'expected the web BFF as an http(s) URL like http://127.0.0.1:8082' })
    .transform((url) => url.replace(/\/+$/, '')),
};

/** What a caller of createWebApp may set. */
export interface WebAppOptions {
  /** The environment to read (default process.env), once. */
  env?: NodeJS.ProcessEnv;
  /** Where the static files are (default PUBLIC_DIR). */
  publicDir?: string;
  /** Where log lines go (default stdout). */
  logDestination?: { write(line: string): void };
}

/** A built web app, not listening yet. */
export interface WebApp {
  readonly server: Server;
  readonly config: EdgeConfig;
  /** The web BFF's base URL the page is told about. */
  readonly webBffUrl: string;
  /** Fails /readyz from now on (what SIGTERM does first). */
  startDraining(): void;
  /** Listens on PORT and HOST (or the given port) and installs the SIGTERM/SIGINT shutdown sequence unless `signals` is false. */
  listen(options?: { port?: number; signals?: boolean }): Promise<AddressInfo>;
}

/** The Content-Security-Policy of every answer: scripts and styles from here only, connections here and to the web BFF. */
export function contentSecurityPolicy(webBffUrl: string): string {
  const bff = new URL(webBffUrl);
  const ws = `${bff.protocol === 'https:' ? 'wss:' : 'ws:'}//${bff.host}`;
  return [
    "default-src 'self'",
    `connect-src 'self' ${bff.origin} ${ws}`,
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Builds the web app from the environment; a bad environment throws ConfigError with one line per problem. */
export function createWebApp(options: WebAppOptions = {}): WebApp {
  const { edge: config, extra } = loadConfig({ serviceName: SERVICE_NAME, defaults: { ...CONFIG_DEFAULTS }, extra: CONFIG_EXTRA }, options.env ?? process.env);
  const logger = createLogger({ serviceName: SERVICE_NAME, level: config.log.level }, options.logDestination);
  const publicDir = options.publicDir ?? PUBLIC_DIR;
  const webBffUrl = extra.WEB_BFF_URL;
  const configJson = JSON.stringify({ webBffUrl });
  const headers = {
    'Content-Security-Policy': contentSecurityPolicy(webBffUrl),
    'X-Content-Type-Options': 'nosniff',
    // The page holds a bearer token; no URL of it should travel to other sites.
    'Referrer-Policy': 'no-referrer',
  };
  let draining = false;

  const send = (res: ServerResponse, status: number, type: string, body: string, extraHeaders: Record<string, string> = {}): void => {
    res.writeHead(status, { ...headers, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store', ...extraHeaders });
    res.end(res.req.method === 'HEAD' ? undefined : body);
  };
  const problem = (res: ServerResponse, code: ErrorCode, detail: string, extraHeaders: Record<string, string> = {}): void => {
    const err = new EdgeError(code, { detail });
    send(res, err.status, 'application/problem+json', JSON.stringify(problemBody(err)), extraHeaders);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return problem(res, 'METHOD_NOT_ALLOWED', 'this server only serves files', { Allow: 'GET, HEAD' });
    const rawPath = (req.url ?? '/').split('?')[0] as string;
    if (rawPath === '/livez') return send(res, 200, 'application/json', '{"status":"ok"}');
    if (rawPath === '/readyz') return draining ? problem(res, 'DRAINING', 'shutting down') : send(res, 200, 'application/json', '{"status":"ready"}');
    if (rawPath === '/config.json') return send(res, 200, 'application/json; charset=utf-8', configJson);
    const file = await resolvePublicFile(publicDir, rawPath);
    if ('status' in file) return problem(res, file.status === 400 ? 'INVALID_PATH' : 'NOT_FOUND', file.detail);
    const etag = etagOf(file);
    const fileHeaders = { ...headers, 'Content-Type': file.contentType, ETag: etag, 'Cache-Control': 'no-cache' };
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, fileHeaders).end();
      return;
    }
    res.writeHead(200, { ...fileHeaders, 'Content-Length': file.size });
    if (req.method === 'HEAD') return void res.end();
    await pipeline(createReadStream(file.path), res);
  }

  const server = createServer(serverOptions(), (req, res) => {
    handle(req, res).catch((err: unknown) => {
      // A browser that went away mid-file is no failure of ours.
      if ((err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') return;
      logger.error({ err, url: req.url }, 'web-app: request failed');
      if (!res.headersSent) problem(res, 'INTERNAL', 'the file could not be sent');
      else res.destroy();
    });
  });

  return {
    server,
    config,
    webBffUrl,
    startDraining: () => void (draining = true),
    async listen(listenOptions = {}) {
      const port = listenOptions.port ?? config.service.port;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, config.service.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      if (listenOptions.signals !== false) {
        const lifecycle = createLifecycle({
          server,
          readiness: { startDraining: () => void (draining = true) },
          logger,
          drainDelayMs: config.lifecycle.drainDelayMs,
          shutdownTimeoutMs: config.lifecycle.shutdownTimeoutMs,
        });
        lifecycle.onShutdown('telemetry', () => shutdownTelemetry());
        lifecycle.installSignalHandlers();
      }
      const address = server.address() as AddressInfo;
      logger.info({ port: address.port, webBffUrl }, `${SERVICE_NAME} ready`);
      return address;
    },
  };
}
