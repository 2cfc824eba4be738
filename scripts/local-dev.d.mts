/** Types for local-dev.mjs: the local-development constants shared by `make dev`, the e2e harness and `npm run token`. */

/** Where local services listen. */
export declare const LOCAL_HOST: '127.0.0.1';
/** The `iss` of locally signed tokens. */
export declare const LOCAL_JWT_ISSUER: 'portico-local';
/** The HS256 secret for local development only. */
export declare const LOCAL_JWT_SECRET: string;
/** The `aud` each JWT-verifying BFF expects locally. */
export declare const LOCAL_JWT_AUDIENCES: Readonly<Record<string, string>>;
