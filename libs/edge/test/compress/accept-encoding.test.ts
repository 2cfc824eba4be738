import { expect } from 'chai';
import { chooseEncoding } from '../../src/compress/accept-encoding';

describe('chooseEncoding (RFC 9110 §12.5.3)', () => {
  const offered = ['br', 'gzip'] as const;
  const choose = (header: string) => chooseEncoding(header, offered);

  it('takes the offered order on equal q-values, whatever order the client wrote', () => {
    expect(choose('gzip, deflate, br, zstd')).to.equal('br');
    expect(choose('gzip, deflate')).to.equal('gzip');
    expect(choose('br')).to.equal('br');
  });

  it('takes the highest q-value first', () => {
    expect(choose('br;q=0.5, gzip')).to.equal('gzip');
    expect(choose('gzip;q=0.9, br;q=0.91')).to.equal('br');
    expect(choose('GZIP ; Q = 1.0 , br ; q=0.999')).to.equal('gzip');
  });

  it('lets * stand for every coding not named, and q=0 refuse one', () => {
    expect(choose('*')).to.equal('br');
    expect(choose('br;q=0, *')).to.equal('gzip');
    expect(choose('*;q=0, gzip')).to.equal('gzip');
    expect(choose('gzip;q=0, br;q=0')).to.equal(undefined);
    expect(choose('identity')).to.equal(undefined);
    expect(choose('*;q=0')).to.equal(undefined);
  });

  it('ignores members that do not parse and keeps the first of a repeated coding', () => {
    expect(choose('br;q=2, gzip')).to.equal('gzip');
    expect(choose('br;q=0.1234, gzip;level=9, gzip;q=0.5')).to.equal('gzip');
    expect(choose('br;q=0, br, gzip;q=0.2')).to.equal('gzip');
    expect(choose(' , ,br')).to.equal('br');
    expect(choose('')).to.equal(undefined);
  });
});
