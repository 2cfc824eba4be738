import { expect } from 'chai';
import { CircuitBreaker, type BreakerState } from '../../src/clients/breaker';

const DEFAULTS = { failureRatio: 0.5, minimumCalls: 20, windowMs: 10_000, openMs: 30_000 };

function setup(settings = DEFAULTS) {
  let t = 1_000_000;
  const changes: BreakerState[] = [];
  const breaker = new CircuitBreaker(settings, () => t, (s) => changes.push(s));
  const call = (outcome: 'success' | 'failure') => {
    const ticket = breaker.acquire();
    if (!ticket) return false;
    breaker.record(ticket, outcome);
    return true;
  };
  return { breaker, call, changes, advance: (ms: number) => (t += ms) };
}

describe('CircuitBreaker', () => {
  it('never opens on one failure', () => {
    const { breaker, call } = setup();
    call('failure');
    expect(breaker.state).to.equal('closed');
  });

  it('stays closed below the minimum of 20 calls even when all fail', () => {
    const { breaker, call } = setup();
    for (let i = 0; i < 19; i++) call('failure');
    expect(breaker.state).to.equal('closed');
  });

  it('opens at 50% failures over 20 calls', () => {
    const { breaker, call, changes } = setup();
    for (let i = 0; i < 10; i++) call('success');
    for (let i = 0; i < 9; i++) call('failure');
    expect(breaker.state).to.equal('closed');
    call('failure');
    expect(breaker.state).to.equal('open');
    expect(changes).to.deep.equal(['open']);
  });

  it('stays closed at 45% failures over 20 calls', () => {
    const { breaker, call } = setup();
    for (let i = 0; i < 11; i++) call('success');
    for (let i = 0; i < 9; i++) call('failure');
    expect(breaker.state).to.equal('closed');
  });

  it('forgets failures older than the 10 s window', () => {
    const { breaker, call, advance } = setup();
    for (let i = 0; i < 15; i++) call('failure');
    advance(10_500);
    for (let i = 0; i < 10; i++) call('success');
    for (let i = 0; i < 5; i++) call('failure');
    expect(breaker.state).to.equal('closed');
  });

  it('refuses calls while open and reports how long until a probe', () => {
    const { breaker, call, advance } = setup();
    for (let i = 0; i < 20; i++) call('failure');
    expect(breaker.acquire()).to.equal(undefined);
    advance(10_000);
    expect(breaker.retryAfterMs()).to.equal(20_000);
  });

  it('half-opens after openMs and lets exactly one probe through', () => {
    const { breaker, call, advance } = setup();
    for (let i = 0; i < 20; i++) call('failure');
    advance(30_000);
    expect(breaker.state).to.equal('half-open');
    expect(breaker.acquire()).to.equal('probe');
    expect(breaker.acquire()).to.equal(undefined);
  });

  it('closes when the probe succeeds, with a fresh window', () => {
    const { breaker, call, advance, changes } = setup();
    for (let i = 0; i < 20; i++) call('failure');
    advance(30_000);
    breaker.record(breaker.acquire()!, 'success');
    expect(breaker.state).to.equal('closed');
    call('failure');
    expect(breaker.state).to.equal('closed');
    expect(changes).to.deep.equal(['open', 'half-open', 'closed']);
  });

  it('reopens for another openMs when the probe fails', () => {
    const { breaker, call, advance } = setup();
    for (let i = 0; i < 20; i++) call('failure');
    advance(30_000);
    breaker.record(breaker.acquire()!, 'failure');
    expect(breaker.state).to.equal('open');
    expect(breaker.retryAfterMs()).to.equal(30_000);
  });

  it('frees the probe slot when the probe is cancelled (the client left)', () => {
    const { breaker, call, advance } = setup();
    for (let i = 0; i < 20; i++) call('failure');
    advance(30_000);
    breaker.record(breaker.acquire()!, 'cancel');
    expect(breaker.state).to.equal('half-open');
    expect(breaker.acquire()).to.equal('probe');
  });

  it('ignores results of calls that started before the circuit opened', () => {
    const { breaker, call, advance } = setup();
    const early = breaker.acquire()!;
    for (let i = 0; i < 20; i++) call('failure');
    advance(30_000);
    breaker.record(early, 'success');
    expect(breaker.state).to.equal('half-open');
  });
});
