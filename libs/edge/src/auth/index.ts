/** Auth: JWT and API key authentication, scope/role authorization, and the route policy slice. */
export { authPolicyShape, authPolicySchema, type AuthPolicy, type CredentialKind } from './policy';
export { Authenticator, createAuthenticator, type AuthDeps } from './authenticator';
export { authenticate, type AuthenticateDeps } from './authenticate';
export { authorize, requireOwner } from './authorize';
export { JwtVerifier, secretKeySource, readHeader, MAX_TOKEN_BYTES, type JwtHeader, type KeySource, type JwtVerifierOptions } from './jwt';
export { JwksCache, type JwksCacheOptions } from './jwks-cache';
export { importJwks, MIN_RSA_BITS, type ImportedKey } from './jwk-import';
export { fetchJwks, type JwksFetchOptions } from './jwks-fetch';
export { checkClaims, principalFromClaims, ClaimError, type ClaimLimits } from './claims';
export {
  generateApiKey,
  hashApiKey,
  verifyApiKey,
  apiKeyId,
  looksLikeApiKey,
  apiKeyRecordSchema,
  API_KEY_PREFIX,
  API_KEY_ISSUER,
  type ApiKeyRecord,
  type ApiKeyStore,
  type NewApiKey,
} from './api-keys';
export {
  FileApiKeyStore,
  RedisApiKeyStore,
  apiKeyRedisKey,
  API_KEY_REDIS_NAMESPACE,
  API_KEY_STALE_DEFAULTS,
  type FileApiKeyStoreOptions,
  type RedisHashClient,
  type RedisApiKeyStoreOptions,
} from './api-key-stores';
export { REALM, missingCredentials, invalidCredentials, insufficientScope, authUnavailable } from './challenge';
