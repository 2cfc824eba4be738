import { expect } from 'chai';
import { fmtAgainst } from '../../bench/lib/goals';

describe('bench goals: figures printed against their limit', () => {
  it('adds a digit only when the figure would print as the limit it missed or met by a hair', () => {
    expect(fmtAgainst(39.8, 40, 0)).to.equal('39.8');
    expect(fmtAgainst(40.3, 40, 0)).to.equal('40.3');
    expect(fmtAgainst(1.296, 1.3, 2)).to.equal('1.296');
    expect(fmtAgainst(4.004, 4, 2)).to.equal('4.004');
  });

  it('keeps the usual digits otherwise, and for the limit itself', () => {
    expect(fmtAgainst(41.2, 40, 0)).to.equal('41');
    expect(fmtAgainst(2.73, 2, 2)).to.equal('2.73');
    expect(fmtAgainst(40, 40, 0)).to.equal('40');
  });
});
