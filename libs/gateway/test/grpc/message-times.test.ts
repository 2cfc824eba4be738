import { expect } from 'chai';
import { isoTime, isoTimes } from '../../src/grpc/message-times';

describe('isoTime / isoTimes (epoch-ms int64 → ISO 8601)', () => {
  it('converts decimal strings and numbers of epoch milliseconds, and nothing else', () => {
    expect(isoTime('1893499200000')).to.equal('2030-01-01T12:00:00.000Z');
    expect(isoTime(0)).to.equal('1970-01-01T00:00:00.000Z');
    expect(isoTime('-1000')).to.equal('1969-12-31T23:59:59.000Z');
    for (const bad of ['', 'soon', '1.5', '9223372036854775807', 1.5, Number.NaN, null, undefined, {}]) expect(isoTime(bad), String(bad)).to.equal(null);
  });

  it('renames every …UnixMs field at any depth to its ISO twin in place, leaving other fields alone', () => {
    const message = { orderId: 'o-1', etaUnixMs: '1893501000000', courier: { name: 'Dana' }, stops: [{ atUnixMs: '0', unixMs: '5' }], updatedAtUnixMs: 'garbage' };
    const converted = isoTimes(message) as Record<string, unknown>;
    expect(converted).to.deep.equal({ orderId: 'o-1', eta: '2030-01-01T12:30:00.000Z', courier: { name: 'Dana' }, stops: [{ at: '1970-01-01T00:00:00.000Z', unixMs: '5' }], updatedAt: null });
    expect(Object.keys(converted)).to.deep.equal(['orderId', 'eta', 'courier', 'stops', 'updatedAt']);
    expect(message).to.have.property('etaUnixMs');
    expect(isoTimes(null)).to.equal(null);
  });
});
