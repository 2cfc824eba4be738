import { expect } from 'chai';
import { Deadline } from '../../src/clients/deadline';
import { UpstreamAbort } from '../../src/upstream-faults';

describe('Deadline', () => {
  it('reports the time remaining, never below zero', () => {
    let t = 1000;
    const d = new Deadline(1500, undefined, () => t);
    expect(d.remaining()).to.equal(500);
    expect(d.expired).to.equal(false);
    t = 2000;
    expect(d.remaining()).to.equal(0);
    expect(d.expired).to.equal(true);
  });

  it('gives a branch the remaining time minus a margin, keeping the client signal', () => {
    const client = new AbortController();
    const d = new Deadline(5000, client.signal, () => 1000);
    const child = d.child(50);
    expect(child.at).to.equal(4950);
    expect(child.remaining()).to.equal(3950);
    expect(child.clientSignal).to.equal(client.signal);
  });

  it('is expired once the client has gone', () => {
    const client = new AbortController();
    const d = Deadline.after(5000, client.signal);
    client.abort();
    expect(d.expired).to.equal(true);
  });

  it('offers a signal that aborts at the deadline with a deadline reason', async () => {
    const signal = Deadline.after(30).signal();
    expect(signal.aborted).to.equal(false);
    await new Promise((r) => setTimeout(r, 60));
    expect(signal.aborted).to.equal(true);
    expect(signal.reason).to.be.instanceOf(UpstreamAbort);
    expect((signal.reason as UpstreamAbort).kind).to.equal('deadline');
  });

  it('offers a signal that aborts with a client reason when the client goes away', () => {
    const client = new AbortController();
    const signal = Deadline.after(5000, client.signal).signal();
    client.abort();
    expect(signal.aborted).to.equal(true);
    expect((signal.reason as UpstreamAbort).kind).to.equal('client');
  });
});
