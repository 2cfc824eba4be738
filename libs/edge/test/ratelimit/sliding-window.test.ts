import { expect } from 'chai';
import { decideWindow } from '../../src/ratelimit';

describe('sliding-window counter (decideWindow)', () => {
  const W = 10_000;
  const T0 = 1_700_000_000_000; // a window boundary: T0 % W === 0

  it('admits `limit` requests in a window and counts remaining down to 0', () => {
    let state;
    const remaining: number[] = [];
    for (let i = 0; i < 5; i++) {
      const v = decideWindow(state, T0 + 1000, 5, W, 1);
      expect(v.allowed).to.equal(true);
      remaining.push(v.remaining);
      state = v.next;
    }
    expect(remaining).to.deep.equal([4, 3, 2, 1, 0]);
    const rejected = decideWindow(state, T0 + 1000, 5, W, 1);
    expect(rejected).to.include({ allowed: false, remaining: 0 });
    expect(rejected.next, 'a rejected request stores nothing').to.equal(undefined);
  });

  it('weights the previous window by the share still inside the sliding window', () => {
    const full = { window: T0 / W, current: 10, previous: 0 };
    // Just after the boundary the previous 10 still weigh 10 × (1 − 0.05) = 9.5: room for none.
    expect(decideWindow(full, T0 + W + 500, 10, W, 1).allowed).to.equal(false);
    // At 10 % into the window they weigh 9: room for exactly one.
    const at10 = decideWindow(full, T0 + W + 1000, 10, W, 1);
    expect(at10).to.include({ allowed: true, remaining: 0 });
    expect(decideWindow(at10.next, T0 + W + 1000, 10, W, 1).allowed).to.equal(false);
  });

  it('forgets a window more than one window old', () => {
    const old = { window: T0 / W - 1, current: 10, previous: 10 };
    expect(decideWindow(old, T0 + W + 1, 10, W, 1)).to.include({ allowed: true, remaining: 9 });
  });

  it('reports Retry-After as the exact time until the next admission', () => {
    const full = { window: T0 / W, current: 10, previous: 0 };
    const v = decideWindow(full, T0 + 4000, 10, W, 1);
    // 6 s to the boundary, then 10 % of the next window for one slot to age out.
    expect(v.retryAfterMs).to.equal(6000 + 1000);
    expect(decideWindow(full, T0 + 4000 + v.retryAfterMs - 1, 10, W, 1).allowed).to.equal(false);
    expect(decideWindow(full, T0 + 4000 + v.retryAfterMs, 10, W, 1).allowed).to.equal(true);
  });

  it('reports Retry-After inside the window when only the previous window’s weight is in the way', () => {
    const state = { window: T0 / W, current: 2, previous: 10 };
    const v = decideWindow(state, T0 + 2000, 10, W, 1); // used = 10 × 0.8 + 2 = 10
    expect(v.allowed).to.equal(false);
    // Needs 10 × (W − e)/W + 2 + 1 ≤ 10 → e ≥ 3000 ms.
    expect(v.retryAfterMs).to.equal(1000);
    expect(decideWindow(state, T0 + 3000, 10, W, 1).allowed).to.equal(true);
  });

  it('sets the stored state to expire at the end of the next window', () => {
    expect(decideWindow(undefined, T0 + 2500, 3, W, 1).ttlMs).to.equal(2 * W - 2500);
  });
});
