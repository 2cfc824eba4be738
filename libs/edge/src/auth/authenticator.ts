/**
 * The Authenticator: built once at start-up from EdgeConfig.auth, it holds the parsed keys (JWKS cache or shared
 * secret), the verified-token cache and the API key store. Reading credentials from requests is authenticate.ts's job.
 */
import { ConfigError, type EdgeConfig } from '../config';
import type { EdgeLogger, Principal } from '../state';
import { looksLikeApiKey, verifyApiKey, type ApiKeyStore } from './api-keys';
import { FileApiKeyStore } from './api-key-stores';
import { invalidCredentials } from './challenge';
import { JwksCache, type JwksCacheOptions } from './jwks-cache';
import { JwtVerifier, secretKeySource } from './jwt';
import type { CredentialKind } from './policy';

/** Collaborators of the Authenticator. */
export interface AuthDeps {
  logger: EdgeLogger;
  /** API key store; without it, `config.apiKeysFile` (API_KEYS_FILE) is read instead when set. */
  apiKeys?: ApiKeyStore;
  /** Clock in epoch ms (tests inject one). */
  now?: () => number;
  /** JWKS timings and limits other than the URL (tests shorten them). */
  jwks?: Omit<JwksCacheOptions, 'url' | 'logger' | 'now' | 'onKeysRemoved'>;
}

/** Verifies credentials for every route of a service; one per process. */
export class Authenticator {
  /** The JWT verifier, when JWKS_URL or JWT_SECRET is configured. */
  readonly jwt: JwtVerifier | undefined;
  /** The JWKS cache, when JWKS_URL is configured. */
  readonly jwks: JwksCache | undefined;
  /** The API key store, when one was given or API_KEYS_FILE is set. */
  readonly apiKeys: ApiKeyStore | undefined;

  constructor(config: EdgeConfig['auth'], deps: AuthDeps) {
    const now = deps.now ?? Date.now;
    if (config.jwksUrl || config.secret) {
      const problems: string[] = [];
      if (!config.issuer) problems.push('JWT_ISSUER: required when JWT_SECRET or JWKS_URL is set');
      if (!config.audience?.length) problems.push('JWT_AUDIENCE: required when JWT_SECRET or JWKS_URL is set');
      if (config.jwksUrl && config.secret) problems.push('JWT_SECRET: set either JWT_SECRET or JWKS_URL, not both');
      const symmetric = config.algorithms.filter((alg) => alg.startsWith('HS'));
      // docs/edge-defaults.md: HS* only with a shared secret, never mixed with asymmetric keys for one issuer.
      if (config.jwksUrl && symmetric.length) problems.push('JWT_ALGORITHMS: a JWKS only verifies asymmetric algorithms');
      if (config.secret && symmetric.length !== config.algorithms.length) problems.push('JWT_ALGORITHMS: JWT_SECRET only verifies HS256/HS384/HS512');
      if (problems.length) throw new ConfigError(problems);
      this.jwks = config.jwksUrl
        ? new JwksCache({ ...deps.jwks, url: config.jwksUrl, logger: deps.logger, now, onKeysRemoved: () => this.jwt?.clearCache() })
        : undefined;
      this.jwt = new JwtVerifier({
        issuer: config.issuer as string,
        audience: config.audience as readonly string[],
        algorithms: config.algorithms,
        clockSkewMs: config.clockSkewMs,
        maxLifetimeMs: config.maxLifetimeMs,
        keys: this.jwks ?? secretKeySource(config.secret as string),
        now,
      });
      this.jwks?.start().catch(() => undefined);
    } else {
      this.jwt = undefined;
      this.jwks = undefined;
    }
    this.apiKeys = deps.apiKeys ?? (config.apiKeysFile ? new FileApiKeyStore(config.apiKeysFile, { logger: deps.logger }) : undefined);
    this.apiKeys?.ready?.().catch(() => undefined);
  }

  /** True when this process can verify the given kind of credential. */
  supports(kind: CredentialKind): boolean {
    return kind === 'jwt' ? this.jwt !== undefined : this.apiKeys !== undefined;
  }

  /** Resolves once the JWKS and the API key file are loaded; rejects with a message naming what failed. */
  async ready(): Promise<void> {
    await Promise.all([this.jwks?.ready(), this.apiKeys?.ready?.()]);
  }

  /** True while keys are usable; readiness registers this. */
  isReady(): boolean {
    return (this.jwks?.isReady() ?? true) && (this.apiKeys?.isReady?.() ?? true);
  }

  /**
   * Verifies a Bearer value: a JWT, or (when `credentials` includes 'api-key') a `pk_` API key. Also used to
   * authenticate WebSocket upgrades. Throws INVALID_TOKEN (401) or AUTH_UNAVAILABLE (503).
   */
  async verifyBearer(token: string, credentials: readonly CredentialKind[] = ['jwt']): Promise<Principal> {
    if (looksLikeApiKey(token)) {
      if (!credentials.includes('api-key')) throw invalidCredentials('API keys are not accepted here');
      return this.verifyApiKey(token);
    }
    if (!credentials.includes('jwt') || !this.jwt) throw invalidCredentials('bearer tokens are not accepted here');
    return this.jwt.verify(token);
  }

  /** Verifies an API key (X-API-Key or a `pk_` Bearer value). */
  async verifyApiKey(key: string): Promise<Principal> {
    if (!this.apiKeys) throw invalidCredentials('API keys are not accepted here');
    return verifyApiKey(this.apiKeys, key);
  }

  /** Stops JWKS background refreshes. The API key store's Redis client belongs to whoever created it. */
  async close(): Promise<void> {
    this.jwks?.close();
  }
}

/** Builds the process's Authenticator and starts loading the JWKS / API key file; await `ready()` before serving. */
export function createAuthenticator(config: EdgeConfig['auth'], deps: AuthDeps): Authenticator {
  return new Authenticator(config, deps);
}
