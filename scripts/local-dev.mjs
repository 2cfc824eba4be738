/**
 * Local-development constants shared by `make dev`, the end-to-end fleet harness and `npm run token`.
 * LOCAL DEVELOPMENT ONLY: loadConfig refuses JWT_SECRET when NODE_ENV=production, so these never reach a real deployment.
 */

/** Where local services listen: loopback only, so a dev fleet is never reachable from the network. */
export const LOCAL_HOST = '127.0.0.1';

/** The `iss` every locally signed token carries and every local BFF expects. */
export const LOCAL_JWT_ISSUER = 'portico-local';

/** The HS256 secret local BFFs verify with and `npm run token` signs with. Public on purpose: it protects nothing. */
export const LOCAL_JWT_SECRET = 'portico-LOCAL-DEVELOPMENT-ONLY-hs256-secret-not-for-production';

/** The `aud` each JWT-verifying BFF expects locally; a BFF missing here gets no JWT settings. */
export const LOCAL_JWT_AUDIENCES = Object.freeze({ 'mobile-bff': 'mobile', 'web-bff': 'web' });
