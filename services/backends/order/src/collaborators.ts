/** HTTP calls from the order service to the services it coordinates, with explicit timeouts and no retries (creation is not idempotent). */
import { Agent, request } from 'undici';
import { EdgeError } from '@portico/edge';

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

  /** GETs JSON; 404 → undefined; anything else unexpected → 503 naming the service. */
  async get<T>(service: keyof CollaboratorUrls, path: string): Promise<T | undefined> {
    return this.call<T>(service, 'GET', path);
  }

  /** Sends JSON with `method`; 404 → undefined. */
  async send<T>(service: keyof CollaboratorUrls, method: 'POST' | 'PUT', path: string, body: unknown): Promise<T | undefined> {
    return this.call<T>(service, method, path, body);
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  private async call<T>(service: keyof CollaboratorUrls, method: string, path: string, body?: unknown): Promise<T | undefined> {
    let res;
    try {
      res = await request(`${this.urls[service]}${path}`, {
        method,
        dispatcher: this.agent,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
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
