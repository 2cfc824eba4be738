/**
 * The writer of access lines. Every request writes one, so it is serialised here from its fixed fields in one template
 * and handed to the pino logger's own stream between pino's own prefix (level, time, bindings) and end: the same bytes
 * pino writes for the same object (test/logging/access-line.test.ts) without walking each key through pino's
 * serializers, stringifiers and string escaper (bench/edge-stack.ts: the access line was pino's largest cost per request).
 * A logger pino would treat differently (a mixin, hooks, formatters.log, a message prefix or nested key, serializers for
 * these keys, a stream that wants metadata) or one that is not pino gets the object through its API instead.
 */
import pino, { type Logger } from 'pino';
import type { EdgeLogger } from '../state';

/** One access line; key order is the order written. */
export interface AccessLine {
  requestId: string;
  traceId: string | null;
  method: string;
  route: { id: string; template: string } | null;
  status: number;
  durationMs: number;
  clientId: string | null;
  clientAddress: string | undefined;
  bytes: number | null;
  cache: string | null;
  rateLimited: boolean;
  aborted?: true;
}

/** The levels access lines are written at. */
export type AccessLevel = 'debug' | 'info' | 'warn';

const ACCESS_KEYS = ['requestId', 'traceId', 'method', 'route', 'status', 'durationMs', 'clientId', 'clientAddress', 'bytes', 'cache', 'rateLimited', 'aborted'];
const MESSAGE = 'request';

/** What pino itself would put around the fields; read once from the logger. */
interface PinoFrame {
  logger: Logger;
  stream: { write(line: string): unknown };
  levelPrefix: Record<number, string>;
  time: () => string;
  bindings: string;
  message: string;
  end: string;
}

/** Writes access lines to a logger; made once per app (accessLoggerOf). */
export class AccessLog {
  private readonly frame: PinoFrame | undefined;

  constructor(private readonly logger: EdgeLogger) {
    this.frame = pinoFrame(logger);
  }

  write(level: AccessLevel, line: AccessLine): void {
    const frame = this.frame;
    if (!frame) {
      this.logger[level](line, MESSAGE);
      return;
    }
    if (!frame.logger.isLevelEnabled(level)) return;
    const prefix = frame.levelPrefix[frame.logger.levels.values[level] as number];
    frame.stream.write(`${prefix}${frame.time()}${frame.bindings}${fields(line)}${frame.message}${frame.end}`);
  }
}

function fields(line: AccessLine): string {
  const route = line.route ? `{"id":${text(line.route.id)},"template":${text(line.route.template)}}` : 'null';
  return (
    `,"requestId":${text(line.requestId)},"traceId":${nullable(line.traceId)},"method":${text(line.method)},"route":${route}` +
    `,"status":${num(line.status)},"durationMs":${num(line.durationMs)},"clientId":${nullable(line.clientId)}` +
    (line.clientAddress === undefined ? '' : `,"clientAddress":${text(line.clientAddress)}`) +
    `,"bytes":${line.bytes === null ? 'null' : num(line.bytes)},"cache":${nullable(line.cache)},"rateLimited":${line.rateLimited}` +
    (line.aborted ? ',"aborted":true' : '')
  );
}

function text(value: string): string {
  return JSON.stringify(value);
}

function nullable(value: string | null): string {
  return value === null ? 'null' : JSON.stringify(value);
}

// pino writes a non-finite number as null.
function num(value: number): string {
  return Number.isFinite(value) ? String(value) : 'null';
}

/** pino's pieces of a line for this logger, or undefined when the fields must go through pino's API. */
function pinoFrame(logger: EdgeLogger): PinoFrame | undefined {
  const candidate = logger as Partial<Logger>;
  if (candidate.levels === undefined || typeof candidate.isLevelEnabled !== 'function') return undefined;
  const s = pino.symbols as unknown as Record<string, symbol | undefined>;
  const at = (name: string): unknown => {
    const sym = s[name];
    return sym === undefined ? undefined : (logger as unknown as Record<symbol, unknown>)[sym];
  };
  const stream = at('streamSym') as PinoFrame['stream'] | undefined;
  const levelPrefix = at('lsCacheSym') as Record<number, string> | undefined;
  const time = at('timeSym') as (() => string) | undefined;
  const bindings = at('chindingsSym');
  const messageKey = at('messageKeySym');
  const end = at('endSym');
  const formatters = at('formattersSym') as { log?: unknown } | undefined;
  const hooks = at('hooksSym') as { logMethod?: unknown; streamWrite?: unknown } | undefined;
  const serializers = (at('serializersSym') ?? {}) as Record<string, unknown>;
  const stringifiers = (at('stringifiersSym') ?? {}) as Record<string | symbol, unknown>;
  const plain =
    typeof stream?.write === 'function' &&
    (stream as unknown as Record<symbol, unknown>)[Symbol.for('pino.metadata')] !== true &&
    levelPrefix !== undefined &&
    typeof time === 'function' &&
    typeof bindings === 'string' &&
    typeof messageKey === 'string' &&
    typeof end === 'string' &&
    !at('mixinSym') &&
    at('msgPrefixSym') === undefined &&
    !at('nestedKeySym') &&
    formatters !== undefined &&
    formatters.log === undefined &&
    hooks !== undefined &&
    hooks.logMethod === undefined &&
    hooks.streamWrite === undefined &&
    // Redaction paths become stringifiers by key, a leading `*` one under wildcardFirstSym; none may touch these keys.
    ACCESS_KEYS.every((key) => serializers[key] === undefined && stringifiers[key] === undefined) &&
    (s.wildcardFirstSym === undefined || stringifiers[s.wildcardFirstSym] === undefined);
  if (!plain) return undefined;
  return { logger: logger as Logger, stream: stream!, levelPrefix: levelPrefix!, time: time!, bindings: bindings as string, message: `,${JSON.stringify(messageKey)}:${JSON.stringify(MESSAGE)}`, end: end as string };
}
