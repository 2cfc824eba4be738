import { expect } from 'chai';
import { RetryBudget, allowedRetries, backoffDelay, retryableError, retryableStatus } from '../../src/clients/retry';
import { UpstreamAbort } from '../../src/upstream-faults';

describe('allowedRetries', () => {
  it('allows retries for GET, HEAD and OPTIONS, capped at the maximum', () => {
    expect(allowedRetries('GET', 2, false, 2)).to.equal(2);
    expect(allowedRetries('head', 5, false, 2)).to.equal(2);
    expect(allowedRetries('OPTIONS', 1, false, 2)).to.equal(1);
  });

  it('never retries POST or PATCH, whatever is asked', () => {
    expect(allowedRetries('POST', 2, false, 2)).to.equal(0);
    expect(allowedRetries('PATCH', 2, false, 2)).to.equal(0);
  });

  it('retries PUT and DELETE only when the caller asks (declared idempotent)', () => {
    expect(allowedRetries('PUT', 0, false, 2)).to.equal(0);
    expect(allowedRetries('DELETE', 2, false, 2)).to.equal(2);
  });

  it('never retries a streamed body, which cannot be replayed', () => {
    expect(allowedRetries('GET', 2, true, 2)).to.equal(0);
  });
});

describe('retryableStatus and retryableError', () => {
  it('retries 502, 503 and 504 only — never 429 or 500', () => {
    expect([429, 500, 501, 502, 503, 504, 404].filter(retryableStatus)).to.deep.equal([502, 503, 504]);
  });

  it('retries connect failures, broken connections and per-try timeouts, not client aborts or bad responses', () => {
    const e = (code: string) => Object.assign(new Error(code), { code });
    expect(retryableError(e('ECONNREFUSED'))).to.equal(true);
    expect(retryableError(e('UND_ERR_CONNECT_TIMEOUT'))).to.equal(true);
    expect(retryableError(e('ECONNRESET'))).to.equal(true);
    expect(retryableError(new UpstreamAbort('try-timeout', 100))).to.equal(true);
    expect(retryableError(new UpstreamAbort('client'))).to.equal(false);
    expect(retryableError(new UpstreamAbort('deadline', 100))).to.equal(false);
    expect(retryableError(e('HPE_INVALID_CONSTANT'))).to.equal(false);
  });
});

describe('backoffDelay', () => {
  const settings = { baseDelayMs: 25, maxDelayMs: 250 };

  it('draws full jitter within [0, base·2^attempt]', () => {
    expect(backoffDelay(0, settings, () => 0)).to.equal(0);
    expect(backoffDelay(0, settings, () => 0.999)).to.be.within(24, 25);
    expect(backoffDelay(1, settings, () => 0.999)).to.be.within(49, 50);
    expect(backoffDelay(1, settings, () => 0.5)).to.equal(25);
  });

  it('never exceeds the cap, however many attempts', () => {
    expect(backoffDelay(10, settings, () => 0.999)).to.be.at.most(250);
    for (let i = 0; i < 200; i++) expect(backoffDelay(i % 5, settings)).to.be.within(0, 250);
  });

  it('spreads delays (not the same value every time)', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(2, settings)));
    expect(delays.size).to.be.greaterThan(5);
  });
});

describe('RetryBudget', () => {
  it('keeps retries at or under ~20% of calls plus the floor', () => {
    let t = 0;
    const budget = new RetryBudget({ budgetRatio: 0.2, budgetMinimum: 2, budgetWindowMs: 10_000 }, () => t);
    let granted = 0;
    for (let i = 0; i < 100; i++) {
      budget.recordCall();
      if (budget.tryRetry()) granted++;
      if (budget.tryRetry()) granted++;
    }
    expect(granted).to.be.within(20, 22);
    t += 11_000;
    budget.recordCall();
    expect(budget.tryRetry()).to.equal(true);
  });
});
