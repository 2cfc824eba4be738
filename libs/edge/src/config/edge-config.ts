/** The environment every Portico service reads, validated once at start-up into a frozen EdgeConfig. Services add their own variables through loadConfig's `extra` schema. */
import { z } from 'zod';
import { durationSchema, sizeSchema } from './duration';
import { ConfigError, deepFreeze, describeIssues } from './config-error';
import { OTLP_PROTOCOLS, otlpProtocolIn, type OtlpProtocol } from '../telemetry/otlp-protocol';
import { TRACE_CONTEXT_MODES, type TraceContextMode } from '../telemetry/trace-context';

const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'] as const;
const SYMMETRIC = ['HS256', 'HS384', 'HS512'] as const;

/** JWT algorithms Portico can verify; `none` is never among them. */
export type JwtAlgorithm = (typeof ASYMMETRIC)[number] | (typeof SYMMETRIC)[number];

const csv = z.string().transform((s) => s.split(',').map((part) => part.trim()).filter(Boolean));

/** The environment variables of the edge layer, with their defaults. */
export const edgeEnvShape = {
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: z.coerce.number({ message: 'expected a port number' }).int().min(0).max(65535),
  REDIS_URL: z.string().regex(/^(rediss?|redis\+sentinel|redis\+cluster):\/\//, 'expected a URL like redis://host:6379/0').optional(),
  REDIS_KEY_PREFIX: z.string().min(1).default('portico:'),
  REDIS_COMMAND_TIMEOUT: durationSchema.default(100),
  JWT_ISSUER: z.string().min(1).optional(),
  JWT_AUDIENCE: csv.optional(),
  JWKS_URL: z.url({ protocol: /^https?$/, message: 'expected an http(s) URL' }).optional(),
  JWT_SECRET: z.string().min(32, 'expected at least 32 characters (256 bits) for HS256').optional(),
  JWT_ALGORITHMS: csv.pipe(z.array(z.enum([...ASYMMETRIC, ...SYMMETRIC], { message: `expected a list of ${[...ASYMMETRIC, ...SYMMETRIC].join(', ')}` }))).optional(),
  JWT_CLOCK_SKEW: durationSchema.default(60_000),
  JWT_MAX_LIFETIME: durationSchema.default(86_400_000),
  API_KEYS_FILE: z.string().min(1).optional(),
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ message: 'expected an http(s) URL like http://otel-collector:4318' }).optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: z.enum(OTLP_PROTOCOLS).optional(),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: z.enum(OTLP_PROTOCOLS).optional(),
  TRACE_CONTEXT: z.enum(TRACE_CONTEXT_MODES).default('explicit'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUSTED_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
  MAX_BODY_SIZE: sizeSchema.default(1_048_576),
  EXPECTED_REPLICAS: z.coerce.number().int().min(1).default(1),
  DRAIN_DELAY: durationSchema.default(0),
  SHUTDOWN_TIMEOUT: durationSchema.default(20_000),
} as const;

type EdgeEnv = z.output<z.ZodObject<typeof edgeEnvShape>>;

/** Process-wide settings of the edge layer, derived from the environment. */
export interface EdgeConfig {
  service: { name: string; env: 'development' | 'test' | 'production'; host: string; port: number };
  redis?: { url: string; keyPrefix: string; commandTimeoutMs: number };
  auth: {
    issuer?: string;
    audience?: readonly string[];
    jwksUrl?: string;
    secret?: string;
    algorithms: readonly JwtAlgorithm[];
    clockSkewMs: number;
    maxLifetimeMs: number;
    apiKeysFile?: string;
  };
  telemetry: { serviceName: string; otlpEndpoint?: string; otlpProtocol: OtlpProtocol; traceContext: TraceContextMode };
  log: { level: EdgeEnv['LOG_LEVEL'] };
  http: { trustedProxyHops: number; maxBodyBytes: number };
  lifecycle: { drainDelayMs: number; shutdownTimeoutMs: number };
  expectedReplicas: number;
}

/** What loadConfig needs to know about the service it configures. */
export interface LoadConfigOptions<Extra extends z.ZodRawShape> {
  /** Service name, used in logs, metrics and as the default OTEL_SERVICE_NAME. */
  serviceName: string;
  /** Defaults applied before validation, e.g. `{ PORT: '8081' }`: the service's embedded defaults. */
  defaults?: Record<string, string>;
  /** The service's own variables (upstream URLs, CORS origins …). */
  extra?: Extra;
}

function crossChecks(env: EdgeEnv, ctx: z.RefinementCtx): void {
  const problem = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  if (env.JWT_SECRET && env.JWKS_URL) problem('JWT_SECRET', 'set either JWT_SECRET (HS256, local development) or JWKS_URL, not both');
  if (env.JWT_SECRET && env.NODE_ENV === 'production') problem('JWT_SECRET', 'HS256 shared secrets are for local development only; use JWKS_URL in production');
  if ((env.JWT_SECRET || env.JWKS_URL) && !env.JWT_ISSUER) problem('JWT_ISSUER', 'required when JWT_SECRET or JWKS_URL is set');
  if ((env.JWT_SECRET || env.JWKS_URL) && !env.JWT_AUDIENCE?.length) problem('JWT_AUDIENCE', 'required when JWT_SECRET or JWKS_URL is set');
  const algs = env.JWT_ALGORITHMS ?? [];
  const hasSym = algs.some((a) => a.startsWith('HS'));
  const hasAsym = algs.some((a) => !a.startsWith('HS'));
  if (hasSym && hasAsym) problem('JWT_ALGORITHMS', 'never mix HS* with asymmetric algorithms for one issuer (key confusion)');
  if (env.JWT_SECRET && hasAsym) problem('JWT_ALGORITHMS', 'JWT_SECRET only verifies HS256/HS384/HS512');
  if (env.JWKS_URL && hasSym) problem('JWT_ALGORITHMS', 'a JWKS only verifies asymmetric algorithms');
}

/**
 * Reads the edge variables plus the service's `extra` ones from `env`, once, and returns frozen config.
 * Throws ConfigError with one line per problem (`PORT: expected a port number`).
 */
export function loadConfig<Extra extends z.ZodRawShape = Record<never, never>>(
  options: LoadConfigOptions<Extra>,
  env: NodeJS.ProcessEnv = process.env,
): { edge: EdgeConfig; extra: z.output<z.ZodObject<Extra>> } {
  const shape = { ...edgeEnvShape, ...(options.extra ?? {}) } as typeof edgeEnvShape & Extra;
  const input: Record<string, string> = {};
  for (const key of Object.keys(shape)) {
    const value = env[key] ?? options.defaults?.[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const parsed = z.object(shape).superRefine((value, ctx) => crossChecks(value as EdgeEnv, ctx)).safeParse(input);
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error.issues));
  const v = parsed.data as EdgeEnv & Record<string, unknown>;
  const algorithms: JwtAlgorithm[] = v.JWT_ALGORITHMS ?? (v.JWT_SECRET ? ['HS256'] : ['RS256', 'ES256', 'PS256']);
  const edge: EdgeConfig = {
    service: { name: options.serviceName, env: v.NODE_ENV, host: v.HOST, port: v.PORT },
    ...(v.REDIS_URL ? { redis: { url: v.REDIS_URL, keyPrefix: v.REDIS_KEY_PREFIX, commandTimeoutMs: v.REDIS_COMMAND_TIMEOUT } } : {}),
    auth: {
      issuer: v.JWT_ISSUER,
      audience: v.JWT_AUDIENCE,
      jwksUrl: v.JWKS_URL,
      secret: v.JWT_SECRET,
      algorithms,
      clockSkewMs: v.JWT_CLOCK_SKEW,
      maxLifetimeMs: v.JWT_MAX_LIFETIME,
      apiKeysFile: v.API_KEYS_FILE,
    },
    telemetry: {
      serviceName: v.OTEL_SERVICE_NAME ?? options.serviceName,
      otlpEndpoint: v.OTEL_EXPORTER_OTLP_ENDPOINT,
      otlpProtocol: otlpProtocolIn(v) ?? 'http/protobuf',
      traceContext: v.TRACE_CONTEXT,
    },
    log: { level: v.LOG_LEVEL },
    http: { trustedProxyHops: v.TRUSTED_PROXY_HOPS, maxBodyBytes: v.MAX_BODY_SIZE },
    lifecycle: { drainDelayMs: v.DRAIN_DELAY, shutdownTimeoutMs: v.SHUTDOWN_TIMEOUT },
    expectedReplicas: v.EXPECTED_REPLICAS,
  };
  const extra: Record<string, unknown> = {};
  for (const key of Object.keys(options.extra ?? {})) extra[key] = v[key];
  return deepFreeze({ edge, extra: extra as z.output<z.ZodObject<Extra>> });
}

/** Formats a start-up failure as docs/style.md shows: a headline, then one indented line per problem. */
export function formatConfigError(serviceName: string, err: ConfigError): string {
  return `${serviceName}: invalid configuration\n${err.problems.map((p) => `  ${p}`).join('\n')}\n`;
}
