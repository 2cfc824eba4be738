import { expect } from 'chai';
import { problemBody, problemType, type ErrorCode } from '@portico/edge';
import { Pool } from 'undici';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { UpstreamAbort, bulkheadFault, circuitOpenFault, faultClass, statusFault, upstreamFault } from '../src/upstream-faults';

const HOST_LEAK = /127\.0\.0\.1|10\.0\.0\.7|orders\.internal|:5432|:9000/;

function codeError(code: string, message = `boom 10.0.0.7:5432 orders.internal`): Error {
  return Object.assign(new Error(message), { code });
}

describe('upstreamFault', () => {
  const table: Array<[string, unknown, ErrorCode, number, string]> = [
    ['ECONNREFUSED', codeError('ECONNREFUSED'), 'UPSTREAM_UNREACHABLE', 502, 'order service: connection refused'],
    ['ENOTFOUND', codeError('ENOTFOUND'), 'UPSTREAM_UNREACHABLE', 502, 'order service: address could not be resolved'],
    ['EAI_AGAIN', codeError('EAI_AGAIN'), 'UPSTREAM_UNREACHABLE', 502, 'order service: address could not be resolved'],
    ['UND_ERR_CONNECT_TIMEOUT', codeError('UND_ERR_CONNECT_TIMEOUT'), 'UPSTREAM_UNREACHABLE', 502, 'order service: could not connect within 1500 ms'],
    ['UND_ERR_HEADERS_TIMEOUT', codeError('UND_ERR_HEADERS_TIMEOUT'), 'UPSTREAM_TIMEOUT', 504, 'order service: no answer within 1500 ms'],
    ['UND_ERR_BODY_TIMEOUT', codeError('UND_ERR_BODY_TIMEOUT'), 'UPSTREAM_TIMEOUT', 504, 'order service: response body stalled for 1500 ms'],
    ['UND_ERR_SOCKET', codeError('UND_ERR_SOCKET'), 'UPSTREAM_ERROR', 502, 'order service: connection closed before a complete answer'],
    ['ECONNRESET', codeError('ECONNRESET'), 'UPSTREAM_ERROR', 502, 'order service: connection reset'],
    ['EPIPE', codeError('EPIPE'), 'UPSTREAM_ERROR', 502, 'order service: connection closed while sending'],
    ['UND_ERR_INFO', codeError('UND_ERR_INFO'), 'UPSTREAM_BAD_RESPONSE', 502, 'order service: invalid response'],
    ['HPE_INVALID_CONSTANT', codeError('HPE_INVALID_CONSTANT'), 'UPSTREAM_BAD_RESPONSE', 502, 'order service: malformed HTTP response'],
    ['HTTPParserError', Object.assign(new Error('Response does not match the HTTP/1.1 protocol'), { name: 'HTTPParserError' }), 'UPSTREAM_BAD_RESPONSE', 502, 'order service: malformed HTTP response'],
    ['UND_ERR_DESTROYED', codeError('UND_ERR_DESTROYED'), 'UPSTREAM_UNAVAILABLE', 503, 'order service: client shut down'],
    ['per-try timeout', new UpstreamAbort('try-timeout', 800), 'UPSTREAM_TIMEOUT', 504, 'order service: no answer within 800 ms'],
    ['route deadline', new UpstreamAbort('deadline', 5000), 'DEADLINE_EXCEEDED', 504, 'order service: request deadline reached after 5000 ms'],
    ['client abort', new UpstreamAbort('client'), 'CLIENT_CLOSED_REQUEST', 499, 'order service: client closed the request'],
    ['bare AbortError', Object.assign(new Error('This operation was aborted'), { name: 'AbortError' }), 'CLIENT_CLOSED_REQUEST', 499, 'order service: client closed the request'],
    ['TimeoutError', Object.assign(new Error('signal timed out'), { name: 'TimeoutError' }), 'UPSTREAM_TIMEOUT', 504, 'order service: no answer within 1500 ms'],
    ['wrapped cause', Object.assign(new TypeError('fetch failed'), { cause: codeError('ECONNREFUSED') }), 'UPSTREAM_UNREACHABLE', 502, 'order service: connection refused'],
    ['unknown', new Error('weird failure at orders.internal:9000'), 'UPSTREAM_ERROR', 502, 'order service: request failed'],
  ];

  for (const [name, err, code, status, detail] of table) {
    it(`maps ${name} to ${status} ${code} naming the service, never the host`, () => {
      const fault = upstreamFault(err, 'order', 1500);
      expect(fault.code).to.equal(code);
      expect(fault.status).to.equal(status);
      expect(fault.detail).to.equal(detail);
      const body = problemBody(fault, 'req-1');
      expect(body.type).to.equal(problemType(code));
      expect(JSON.stringify(body)).not.to.match(HOST_LEAK);
    });
  }

  it('leaves the limit out of the detail when it is not known', () => {
    expect(upstreamFault(codeError('UND_ERR_HEADERS_TIMEOUT'), 'order').detail).to.equal('order service: no answer');
  });

  it('passes an EdgeError through unchanged', () => {
    const open = circuitOpenFault('order', 100);
    expect(upstreamFault(open, 'delivery')).to.equal(open);
  });

  it('maps a real refused connection from an undici pool without leaking host or port', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const pool = new Pool(`http://127.0.0.1:${port}`);
    try {
      const err = await pool.request({ method: 'GET', path: '/' }).then(() => undefined, (e: unknown) => e);
      const fault = upstreamFault(err, 'order');
      expect(fault.status).to.equal(502);
      expect(fault.code).to.equal('UPSTREAM_UNREACHABLE');
      expect(fault.detail).not.to.match(HOST_LEAK);
      expect(fault.detail).not.to.contain(String(port));
      expect(faultClass(err)).to.equal('unreachable');
    } finally {
      await pool.destroy();
    }
  });
});

describe('statusFault', () => {
  it('maps upstream 500 and 502 to 502 UPSTREAM_ERROR, 503 to UPSTREAM_UNAVAILABLE, 504 to UPSTREAM_TIMEOUT', () => {
    expect(statusFault(500, 'order')).to.include({ code: 'UPSTREAM_ERROR', status: 502 });
    expect(statusFault(502, 'order')).to.include({ code: 'UPSTREAM_ERROR', status: 502 });
    expect(statusFault(501, 'order')).to.include({ code: 'UPSTREAM_ERROR', status: 502 });
    expect(statusFault(503, 'order')).to.include({ code: 'UPSTREAM_UNAVAILABLE', status: 503 });
    expect(statusFault(504, 'order')).to.include({ code: 'UPSTREAM_TIMEOUT', status: 504 });
    expect(statusFault(500, 'order')?.detail).to.equal('order service: failed (HTTP 500)');
  });

  it('is undefined below 500', () => {
    expect(statusFault(404, 'order')).to.equal(undefined);
    expect(statusFault(200, 'order')).to.equal(undefined);
  });
});

describe('circuitOpenFault and bulkheadFault', () => {
  it('answers an open circuit with 503 CIRCUIT_OPEN and Retry-After rounded up to whole seconds', () => {
    const fault = circuitOpenFault('order', 1200);
    expect(fault).to.include({ code: 'CIRCUIT_OPEN', status: 503 });
    expect(fault.headers['Retry-After']).to.equal('2');
    expect(problemBody(fault).type).to.equal(problemType('CIRCUIT_OPEN'));
    expect(circuitOpenFault('order', 0).headers['Retry-After']).to.equal('1');
  });

  it('answers a full bulkhead with 503 BULKHEAD_FULL and Retry-After', () => {
    const fault = bulkheadFault('order', 256);
    expect(fault).to.include({ code: 'BULKHEAD_FULL', status: 503 });
    expect(fault.headers['Retry-After']).to.equal('1');
    expect(fault.detail).to.equal('order service: 256 calls already in flight');
  });
});
