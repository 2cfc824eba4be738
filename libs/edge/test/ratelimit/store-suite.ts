/** The behaviour every RateLimitStore must show, run against both the Redis and the in-process store so they stay identical. */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import type { RateLimitStore } from '../../src/ratelimit';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const uniqueKey = (label: string) => `${label}:${randomBytes(4).toString('hex')}`;

/** Registers the shared store cases; `store()` is called inside each test, after the caller's before() hooks. */
export function rateLimitStoreContract(store: () => RateLimitStore): void {
  it('admits exactly `limit` requests per window, counting remaining down, then rejects', async () => {
    const key = uniqueKey('exact');
    const decisions = [];
    for (let i = 0; i < 7; i++) decisions.push(await store().decide(key, 5, 60_000));
    expect(decisions.map((d) => d.allowed)).to.deep.equal([true, true, true, true, true, false, false]);
    expect(decisions.map((d) => d.remaining)).to.deep.equal([4, 3, 2, 1, 0, 0, 0]);
    for (const d of decisions) expect(d.limit).to.equal(5);
    for (const d of decisions.slice(0, 5)) {
      expect(d.retryAfterMs).to.equal(0);
      expect(d.resetMs).to.be.within(1, 60_000);
    }
    // Full window: the wait is the rest of this window plus 1/5 of the next for one slot to age out.
    const rejected = decisions[5]!;
    expect(rejected.retryAfterMs).to.be.within(12_000, 72_000);
    expect(rejected.resetMs).to.equal(rejected.retryAfterMs);
  });

  it('admits exactly `limit` of 100 concurrent decisions for one key', async () => {
    const key = uniqueKey('concurrent');
    const decisions = await Promise.all(Array.from({ length: 100 }, () => store().decide(key, 37, 60_000)));
    expect(decisions.filter((d) => d.allowed)).to.have.length(37);
    expect(decisions.filter((d) => d.allowed).map((d) => d.remaining).sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 37 }, (_, i) => i));
  });

  it('keeps keys apart', async () => {
    const [a, b] = [uniqueKey('a'), uniqueKey('b')];
    for (let i = 0; i < 2; i++) await store().decide(a, 2, 60_000);
    expect((await store().decide(a, 2, 60_000)).allowed).to.equal(false);
    expect(await store().decide(b, 2, 60_000)).to.include({ allowed: true, remaining: 1 });
  });

  it('does not count rejected requests: a client hammering while limited is admitted once Retry-After has passed', async function () {
    this.timeout(8000);
    const key = uniqueKey('hammer');
    for (let i = 0; i < 3; i++) expect((await store().decide(key, 3, 1000)).allowed).to.equal(true);
    const first = await store().decide(key, 3, 1000);
    expect(first.allowed).to.equal(false);
    const admitAt = Date.now() + first.retryAfterMs;
    let rejected = 0;
    let admittedAfter: number | undefined;
    // Bounded: at most ~3 s of retries every 20 ms.
    for (let i = 0; i < 150 && admittedAfter === undefined; i++) {
      const d = await store().decide(key, 3, 1000);
      if (d.allowed) admittedAfter = Date.now() - admitAt;
      else rejected++;
      await sleep(20);
    }
    expect(rejected, 'retries while limited').to.be.above(10);
    expect(admittedAfter, 'admitted again').to.not.equal(undefined);
    // Admitted no later than the first Retry-After said (plus scheduling slack), and not much earlier.
    expect(admittedAfter).to.be.within(-30, 150);
  });

  it('restores the whole quota once two windows have passed', async function () {
    this.timeout(5000);
    const key = uniqueKey('restore');
    for (let i = 0; i < 4; i++) await store().decide(key, 3, 1000);
    await sleep(2050);
    const decisions = [];
    for (let i = 0; i < 4; i++) decisions.push((await store().decide(key, 3, 1000)).allowed);
    expect(decisions).to.deep.equal([true, true, true, false]);
  });

  it('rejects a cost above the limit before touching the store', async () => {
    const err = await store().decide(uniqueKey('cost'), 2, 1000, 3).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(RangeError);
  });
}
