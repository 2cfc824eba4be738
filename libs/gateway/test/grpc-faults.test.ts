import { expect } from 'chai';
import { Metadata, status } from '@grpc/grpc-js';
import { catalogue, problemBody, problemType } from '@portico/edge';
import { GRPC_FAULTS, grpcFault, grpcStatusFault } from '../src/grpc-faults';
import { UpstreamAbort } from '../src/upstream-faults';

const LEAK = 'Error at Db.query (10.0.0.7:5432 db.internal)';

function serviceError(code: status, details = LEAK): Error {
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata: new Metadata() });
}

describe('grpc-faults (gRPC status → catalogue code)', () => {
  it('has one row per non-OK status, each to a catalogue code whose status class matches its breaker verdict', () => {
    for (let code = 1; code <= 16; code++) {
      const row = GRPC_FAULTS[code];
      expect(row, status[code]).to.not.equal(undefined);
      const httpStatus = catalogue[row!.code].status;
      // 5xx-class statuses count against the breaker; client-class ones (and a cancellation) never do.
      expect(row!.breaker, status[code]).to.equal(httpStatus >= 500 ? 'failure' : 'success');
    }
  });

  it('forwards the cleaned backend message only for input-describing statuses', () => {
    const forwarded = grpcStatusFault(status.FAILED_PRECONDITION, 'ticket is\nCANCELLED', 'kitchen');
    expect(problemBody(forwarded)).to.include({ type: problemType('BAD_REQUEST'), status: 400, detail: 'kitchen service: ticket is CANCELLED' });
    for (const code of [status.NOT_FOUND, status.INTERNAL, status.UNAVAILABLE, status.PERMISSION_DENIED, status.UNKNOWN]) {
      expect(JSON.stringify(problemBody(grpcFault(serviceError(code), 'kitchen')))).to.not.include('10.0.0.7');
    }
    expect(grpcStatusFault(status.INVALID_ARGUMENT, 'x'.repeat(1000), 'kitchen').detail).to.have.length('kitchen service: '.length + 300);
  });

  it('leaves Portico’s own aborts and non-gRPC errors to upstream-faults', () => {
    expect(grpcFault(new UpstreamAbort('deadline', 300), 'kitchen')).to.include({ code: 'DEADLINE_EXCEEDED', detail: 'kitchen service: request deadline reached after 300 ms' });
    expect(grpcFault(new UpstreamAbort('client'), 'kitchen').code).to.equal('CLIENT_CLOSED_REQUEST');
    expect(grpcFault(new Error('weird'), 'kitchen').code).to.equal('UPSTREAM_ERROR');
    expect(grpcFault(serviceError(99 as status), 'kitchen').code).to.equal('UPSTREAM_ERROR');
  });
});
