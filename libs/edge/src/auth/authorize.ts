/** Per-route authorization on the verified Principal: required scopes (all), roles (any), and resource ownership. Verifying credentials is authenticate.ts's job. */
import type { Middleware } from 'koa';
import { ConfigError } from '../config';
import { EdgeError } from '../errors';
import type { EdgeContext, EdgeState } from '../state';
import { insufficientScope, missingCredentials } from './challenge';
import type { AuthPolicy } from './policy';

/** Koa middleware: 403 FORBIDDEN (`error="insufficient_scope"`, RFC 6750 §3.1) when the principal lacks a scope or every listed role. */
export function authorize(policy: Pick<AuthPolicy, 'auth' | 'scopes' | 'roles'>): Middleware<EdgeState> {
  const { scopes, roles } = policy;
  if (policy.auth === 'none' && (scopes.length > 0 || roles.length > 0)) {
    throw new ConfigError(['policy.auth: a route with auth: none cannot require scopes or roles']);
  }
  return function authorize(ctx, next) {
    if (scopes.length > 0 || roles.length > 0) {
      const principal = ctx.state.principal;
      // An anonymous caller on an optional-auth route: authenticating may help, so 401 rather than 403.
      if (!principal) throw missingCredentials('this operation requires credentials');
      const missing = scopes.filter((scope) => !principal.scopes.includes(scope));
      if (missing.length > 0) throw insufficientScope(`missing scope ${missing.join(' ')}`, scopes);
      if (roles.length > 0 && !roles.some((role) => principal.roles.includes(role))) {
        throw insufficientScope(`requires one of the roles ${roles.join(', ')}`, scopes);
      }
    }
    return next();
  };
}

/** Throws NOT_FOUND unless the verified principal owns the resource: a 403 would reveal that it exists. */
export function requireOwner(ctx: EdgeContext, ownerId: string | undefined): void {
  const principal = ctx.state.principal;
  if (!principal || ownerId === undefined || principal.subject !== ownerId) {
    throw new EdgeError('NOT_FOUND', { detail: 'No such resource' });
  }
}
