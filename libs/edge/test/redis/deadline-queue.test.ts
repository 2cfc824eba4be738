import { expect } from 'chai';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeadlineQueue, type Deadlined } from '../../src/redis/deadline-queue';

interface Entry extends Deadlined {
  name: string;
}

const entry = (name: string): Entry => ({ name, deadline: 0, done: false, next: undefined });

describe('DeadlineQueue: one timer for many commands with one timeout', () => {
  it('expires an unfinished entry at its deadline, not before, and never one that finished', async () => {
    const expired: Array<{ name: string; late: number }> = [];
    const queue = new DeadlineQueue<Entry>(40, (e) => expired.push({ name: e.name, late: performance.now() - e.deadline }));
    const answered = entry('answered');
    const lost = entry('lost');
    queue.add(answered);
    queue.add(lost);
    answered.done = true;
    await sleep(20);
    expect(expired).to.deep.equal([]);
    await sleep(60);
    expect(expired.map((e) => e.name)).to.deep.equal(['lost']);
    expect(expired[0]!.late).to.be.at.least(0);
  });

  it('still expires an entry added behind finished ones at its own deadline', async () => {
    const expired: Array<{ name: string; at: number }> = [];
    const queue = new DeadlineQueue<Entry>(40, (e) => expired.push({ name: e.name, at: performance.now() }));
    const first = entry('first');
    queue.add(first);
    first.done = true;
    await sleep(25);
    // The timer was armed for `first`; `late` comes 25 ms after it and must not expire with first's deadline.
    const late = entry('late');
    const added = performance.now();
    queue.add(late);
    await sleep(30);
    expect(expired).to.deep.equal([]);
    await sleep(50);
    expect(expired.map((e) => e.name)).to.deep.equal(['late']);
    expect(expired[0]!.at - added).to.be.at.least(40);
  });

  it('lets go of a finished entry once another is added, long before its deadline', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const queue = new DeadlineQueue<Entry>(60_000, () => undefined);
    let answered: Entry | undefined = entry('answered');
    const ref = new WeakRef(answered);
    queue.add(answered);
    answered.done = true;
    answered = undefined;
    queue.add(entry('next'));
    await sleep(0);
    gc();
    expect(ref.deref()).to.equal(undefined);
  });
});
