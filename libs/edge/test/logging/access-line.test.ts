import { expect } from 'chai';
import pino from 'pino';
import { AccessLog, createLogger, type AccessLine } from '../../src';

const FULL: AccessLine = {
  requestId: 'req-"quoted"\\-1',
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  method: 'GET',
  route: { id: 'get-order', template: '/orders/:orderId' },
  status: 200,
  durationMs: 1.234,
  clientId: 'zoë\u0001\n\u2028client',
  clientAddress: '203.0.113.9',
  bytes: 993,
  cache: 'HIT',
  rateLimited: true,
  aborted: true,
};
const SPARSE: AccessLine = {
  requestId: 'b0b80190-66a7-40bf-8583-aeb2fd7be643',
  traceId: null,
  method: 'POST',
  route: null,
  status: 499,
  durationMs: Number.NaN,
  clientId: null,
  clientAddress: undefined,
  bytes: null,
  cache: null,
  rateLimited: false,
};

/** A pino logger writing into `lines` (each without its time, so two lines compare byte for byte). */
function capture(lines: string[], options: pino.ChildLoggerOptions = {}): pino.Logger {
  const base = createLogger({ serviceName: 'access-test', level: 'debug' }, { write: (line: string) => void lines.push(line.replace(/,"time":\d+/, '')) });
  // The access logger is the service logger's child without redaction (accessLoggerOf), so compare against one.
  return base.child({}, { redact: [], ...options });
}

describe('AccessLog', () => {
  it('writes exactly the bytes pino writes for the same line, at each level', () => {
    const ours: string[] = [];
    const theirs: string[] = [];
    const logger = capture(ours);
    // Written without pino's API: a call through it would be counted here.
    let viaApi = 0;
    for (const level of ['debug', 'info', 'warn'] as const) {
      const method = logger[level].bind(logger);
      logger[level] = ((...args: Parameters<typeof method>) => (viaApi++, method(...args))) as typeof method;
    }
    const log = new AccessLog(logger);
    const reference = capture(theirs);
    for (const [level, line] of [['info', FULL], ['warn', SPARSE], ['debug', FULL]] as const) {
      log.write(level, line);
      reference[level](line, 'request');
    }
    expect(viaApi).to.equal(0);
    expect(ours).to.have.length(3);
    expect(ours).to.deep.equal(theirs);
    const parsed = JSON.parse(ours[0]!) as Record<string, unknown>;
    expect(parsed).to.include({ level: 'info', service: 'access-test', msg: 'request', clientId: FULL.clientId, requestId: FULL.requestId });
    expect(JSON.parse(ours[1]!)).to.not.have.property('clientAddress');
  });

  it('respects the logger level', () => {
    const lines: string[] = [];
    const logger = capture(lines);
    logger.level = 'info';
    const log = new AccessLog(logger);
    log.write('debug', FULL);
    expect(lines).to.have.length(0);
    log.write('info', FULL);
    expect(lines).to.have.length(1);
  });

  it('hands the line to pino when pino would change it (a message prefix), and to any other logger as an object', () => {
    const lines: string[] = [];
    new AccessLog(capture(lines, { msgPrefix: '[edge] ' })).write('info', SPARSE);
    expect(JSON.parse(lines[0]!)).to.include({ requestId: SPARSE.requestId, msg: '[edge] request' });

    const calls: unknown[][] = [];
    const plain = { debug() {}, info: (...args: unknown[]) => void calls.push(args), warn() {}, error() {}, child: () => plain };
    new AccessLog(plain as never).write('info', SPARSE);
    expect(calls).to.deep.equal([[SPARSE, 'request']]);
  });
});
