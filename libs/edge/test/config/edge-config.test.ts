import { expect } from 'chai';
import { ConfigError, formatConfigError, loadConfig } from '../../src/config';
import { z } from 'zod';

describe('loadConfig (edge config)', () => {
  const base = { PORT: '8081' };

  it('applies embedded defaults and freezes the result', () => {
    const { edge } = loadConfig({ serviceName: 'mobile-bff' }, base);
    expect(edge.service).to.deep.equal({ name: 'mobile-bff', env: 'development', host: '0.0.0.0', port: 8081 });
    expect(edge.redis).to.equal(undefined);
    expect(edge.auth.clockSkewMs).to.equal(60_000);
    expect(edge.http.maxBodyBytes).to.equal(1_048_576);
    expect(Object.isFrozen(edge.auth)).to.equal(true);
  });

  it('uses service defaults only where the environment is silent', () => {
    const { edge } = loadConfig({ serviceName: 'web-bff', defaults: { PORT: '8082', LOG_LEVEL: 'warn' } }, { LOG_LEVEL: 'debug' });
    expect(edge.service.port).to.equal(8082);
    expect(edge.log.level).to.equal('debug');
  });

  it('names every bad field and what was expected', () => {
    try {
      loadConfig({ serviceName: 'x' }, { PORT: 'eighty', REDIS_COMMAND_TIMEOUT: 'fast', JWT_ALGORITHMS: 'none' });
      expect.fail('should have thrown');
    } catch (err) {
      expect(err).to.be.instanceOf(ConfigError);
      const problems = (err as ConfigError).problems.join('\n');
      expect(problems).to.match(/^PORT: expected a port number/m);
      expect(problems).to.match(/^REDIS_COMMAND_TIMEOUT: expected a duration like "2s", got "fast"/m);
      expect(problems).to.match(/^JWT_ALGORITHMS/m);
      expect(formatConfigError("x", err as ConfigError)).to.match(/^x: invalid configuration\n {2}\S/);
    }
  });

  it('exports spans as OTLP protobuf unless JSON is named, and names an unknown protocol', () => {
    expect(loadConfig({ serviceName: 'x' }, base).edge.telemetry.otlpProtocol).to.equal('http/protobuf');
    expect(loadConfig({ serviceName: 'x' }, { ...base, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).edge.telemetry.otlpProtocol).to.equal('http/json');
    const tracesWins = { ...base, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' };
    expect(loadConfig({ serviceName: 'x' }, tracesWins).edge.telemetry.otlpProtocol).to.equal('http/protobuf');
    expect(() => loadConfig({ serviceName: 'x' }, { ...base, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).to.throw(ConfigError, /OTEL_EXPORTER_OTLP_PROTOCOL/);
  });

  it('carries trace context explicitly unless TRACE_CONTEXT names AsyncLocalStorage, and names an unknown mode', () => {
    expect(loadConfig({ serviceName: 'x' }, base).edge.telemetry.traceContext).to.equal('explicit');
    expect(loadConfig({ serviceName: 'x' }, { ...base, TRACE_CONTEXT: 'async-local-storage' }).edge.telemetry.traceContext).to.equal('async-local-storage');
    expect(() => loadConfig({ serviceName: 'x' }, { ...base, TRACE_CONTEXT: 'implicit' })).to.throw(ConfigError, /TRACE_CONTEXT/);
  });

  it('rejects a shared secret next to a JWKS, and HS mixed with RS', () => {
    const env = { ...base, JWT_SECRET: 's'.repeat(32), JWKS_URL: 'http://127.0.0.1:1/jwks', JWT_ISSUER: 'i', JWT_AUDIENCE: 'a', JWT_ALGORITHMS: 'HS256,RS256' };
    expect(() => loadConfig({ serviceName: 'x' }, env)).to.throw(ConfigError, /not both[\s\S]*never mix/);
  });

  it('refuses HS256 in production', () => {
    const env = { ...base, NODE_ENV: 'production', JWT_SECRET: 's'.repeat(32), JWT_ISSUER: 'i', JWT_AUDIENCE: 'a' };
    expect(() => loadConfig({ serviceName: 'x' }, env)).to.throw(ConfigError, /local development only/);
  });

  it('validates the service’s own variables alongside', () => {
    const extra = { ORDER_SERVICE_URL: z.url({ message: 'expected a URL' }) };
    expect(() => loadConfig({ serviceName: 'x', extra }, { ...base, ORDER_SERVICE_URL: 'nope' })).to.throw(ConfigError, /ORDER_SERVICE_URL: expected a URL/);
    const { extra: got } = loadConfig({ serviceName: 'x', extra }, { ...base, ORDER_SERVICE_URL: 'http://127.0.0.1:9001' });
    expect(got.ORDER_SERVICE_URL).to.equal('http://127.0.0.1:9001');
  });
});
