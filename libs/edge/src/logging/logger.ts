/**
 * The process logger: pino JSON lines with the service name and pid, credentials redacted wherever they appear.
 * Per-request child loggers and the access log are request-context's job.
 */
import pino, { type DestinationStream, type Logger } from 'pino';

/** What createLogger needs: the service name stamped on every line and the minimum level. */
export interface LoggerConfig {
  serviceName: string;
  level: string;
}

// Headers that carry credentials (RFC 9110 §11.6.2 Authorization, RFC 6265 cookies, our API keys).
const SECRET_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key'];
// Where a headers object usually sits in a logged value: a raw request/response, an error from an HTTP client, or bare.
const HEADER_HOLDERS = ['headers', 'req.headers', 'res.headers', 'request.headers', 'response.headers', '*.headers', 'err.response.headers', 'err.config.headers'];

/** Every redaction path createLogger applies; exported so tests and other loggers can reuse the list. */
export const REDACT_PATHS: readonly string[] = [
  ...HEADER_HOLDERS.flatMap((holder) => SECRET_HEADERS.map((name) => `${holder}["${name}"]`)),
  // Values logged under their own name, e.g. log.info({ authorization }).
  ...SECRET_HEADERS.map((name) => `["${name}"]`),
  'apiKey',
  'password',
];

/** Creates the service's pino logger; `destination` (a stream) lets tests capture the JSON lines. */
export function createLogger(config: LoggerConfig, destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level: config.level,
    base: { service: config.serviceName, pid: process.pid },
    redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
    serializers: { err: pino.stdSerializers.err },
    // Level names, not numbers, so log pipelines need no mapping table.
    formatters: { level: (label) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}
