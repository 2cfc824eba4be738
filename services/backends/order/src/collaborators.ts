/** HTTP calls from the order service to the services it coordinates, with explicit timeouts and no retries (creation is not idempotent). */
import { Agent, request } from 'undici';
import { EdgeError, runInTraceContext, type TraceContext } from '@portico/edge';

/** Base URLs of the services the order service calls. */
export interface CollaboratorUrls {
  consumer: string;
  restaurant: string;
  kitchen: string;
  delivery: string;
  accounting: string;
}

/** JSON over HTTP to one of the collaborators; a missing resource resolves to undefined. */
export class Collaborators {
  // keepAliveTimeout below a Node server's 5 s so a reused socket never races its close (docs/edge-defaults.md).
  private readonly agent = new Agent({ connect: { timeout: 1000 }, headersTimeout: 2000, bodyTimeout: 2000, keepAliveTimeout: 4000 });

  constructor(private readonly urls: CollaboratorUrls) {}

  /** GETs JSON; 404 → undefined; anything else unexpected → 503 naming the service. `trace`: the request's ctx.state.trace. */
  async get<T>(service: keyof CollaboratorUrls, path: string, trace?: TraceContext): Promise<T | undefined> {
    return this.call<T>(service, 'GET', path, undefined, trace);
  }

  /** Sends JSON with `method`; 404 → undefined. `trace`: the request's ctx.state.trace, if made for one. */
  async send<T>(service: keyof CollaboratorUrls, method: 'POST' | 'PUT', path: string, body: unknown, trace?: TraceContext): Promise<T | undefined> {
    return this.call<T>(service, method, path, body, trace);
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  private async call<T>(service: keyof CollaboratorUrls, method: string, path: string, body: unknown, trace: TraceContext | undefined): Promise<T | undefined> {
    let res;
    try {
      // Started in the request's trace context: the call's span (and the traceparent it sends) joins that trace.
      res = await runInTraceContext(trace, () =>
        request(`${this.urls[service]}${path}`, {
          method,
          dispatcher: this.agent,
          headers: body === undefined ? {} : { 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        }),
      );
    } catch (err) {
      throw new EdgeError('UPSTREAM_UNAVAILABLE', { detail: `${service} service unreachable`, cause: err });
    }
    if (res.statusCode === 404) {
      await res.body.dump();
      return undefined;
    }
    if (res.statusCode >= 300) {
      await res.body.dump();
      throw new EdgeError('UPSTREAM_ERROR', { detail: `${service} service answered ${res.statusCode}` });
    }
    return (await res.body.json()) as T;
  }
}
