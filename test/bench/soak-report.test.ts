import { expect } from 'chai';
import { memoryVerdict, slope } from '../../bench/lib/soak-report';

const minutes = (rss: number[]) => rss.map((rssMiB) => ({ app: { rssMiB } })) as unknown as Parameters<typeof memoryVerdict>[0];

describe('soak memory rule: RSS that keeps rising fails, a one-minute dip does not', () => {
  it('passes RSS that dipped once at the first judged minute and then stayed flat', () => {
    // public-api's RSS in one 10-minute soak: minutes 1–10.
    const verdict = memoryVerdict(minutes([137.6, 129.8, 98.8, 128.6, 127.8, 129.2, 130.8, 130.6, 130.6, 131.2]), ['app']);
    expect(verdict.rows[0]!.slope).to.be.within(0, 1);
    expect(verdict.rows[0]!.ok).to.equal(true);
  });

  it('fails RSS that rises steadily by more than the limit', () => {
    const verdict = memoryVerdict(minutes([100, 102, 104, 110, 116, 122, 128, 134, 140, 146]), ['app']);
    expect(verdict.rows[0]!.slope).to.equal(6);
    expect(verdict.rows[0]!.ok).to.equal(false);
  });

  it('takes the median of the slopes between every two minutes', () => {
    expect(slope([1, 2, 3, 4])).to.equal(1);
    expect(slope([10, 0, 10, 10])).to.equal(0);
    expect(slope([5])).to.equal(0);
  });
});
