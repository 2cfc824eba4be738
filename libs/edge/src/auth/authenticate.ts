/**
 * The authenticate middleware: reads `Authorization: Bearer` (and `X-API-Key` where the route accepts API keys),
 * verifies through the Authenticator and sets ctx.state.principal. Scope and role checks are authorize.ts's job.
 */
import type { Middleware } from 'koa';
import { ConfigError } from '../config';
import type { EdgeContext, EdgeState } from '../state';
import { runInTraceContext } from '../telemetry';
import type { Authenticator } from './authenticator';
import { invalidCredentials, missingCredentials } from './challenge';
import type { AuthPolicy } from './policy';

/** Collaborators of the authenticate middleware. */
export interface AuthenticateDeps {
  authenticator: Authenticator;
}

// RFC 6750 §2.1: `Bearer` (case-insensitive scheme, RFC 9110 §11.1) followed by a token68.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

type Credential = { kind: 'bearer' | 'api-key'; value: string };

// Undefined when the request carries no credential; throws when it carries one that cannot be read.
function readCredential(ctx: EdgeContext, acceptsApiKeys: boolean): Credential | undefined {
  const authorization = ctx.get('Authorization');
  const apiKey = acceptsApiKeys ? ctx.get('X-API-Key') : '';
  // RFC 6750 §3.1 (invalid_request): more than one method of presenting credentials.
  if (authorization && apiKey) throw invalidCredentials('send one credential, not both Authorization and X-API-Key');
  if (apiKey) return { kind: 'api-key', value: apiKey.trim() };
  if (!authorization) return undefined;
  const match = BEARER.exec(authorization);
  if (!match?.[1]) {
    const scheme = authorization.trim().split(' ')[0] ?? '';
    throw invalidCredentials(/^bearer$/i.test(scheme) ? 'token is malformed' : 'authorization scheme not supported; use Bearer');
  }
  return { kind: 'bearer', value: match[1] };
}

/**
 * Koa middleware for one route: 'required' answers 401 without valid credentials, 'optional' lets anonymous
 * requests through but still answers 401 to a present, invalid credential, 'none' reads nothing.
 */
export function authenticate(policy: AuthPolicy, deps: AuthenticateDeps): Middleware<EdgeState> {
  if (policy.auth === 'none') {
    return function authenticate(_ctx, next) {
      return next();
    };
  }
  const { authenticator } = deps;
  // Built once at start-up: a route whose credentials this process cannot check is a configuration error, not a 401 storm.
  if (!policy.credentials.some((kind) => authenticator.supports(kind))) {
    throw new ConfigError([`policy.credentials: the route accepts ${policy.credentials.join(', ')} but none is configured (set JWKS_URL or JWT_SECRET for jwt, API_KEYS_FILE or an API key store for api-key)`]);
  }
  const acceptsApiKeys = policy.credentials.includes('api-key');
  return async function authenticate(ctx, next) {
    const credential = readCredential(ctx, acceptsApiKeys);
    if (credential === undefined) {
      if (policy.auth === 'required') throw missingCredentials();
      await next();
      return;
    }
    ctx.state.principal =
      credential.kind === 'api-key'
        ? // In the request's trace context: a Redis key store's lookup joins its trace.
          await runInTraceContext(ctx.state.trace, () => authenticator.verifyApiKey(credential.value))
        : await authenticator.verifyBearer(credential.value, policy.credentials);
    await next();
  };
}
