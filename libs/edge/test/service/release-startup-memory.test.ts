import { expect } from 'chai';
import { getHeapSpaceStatistics } from 'node:v8';
import { releaseStartupMemory } from '../../src/service/release-startup-memory';

function newSpaceBytes(): number {
  return getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? NaN;
}

describe('releaseStartupMemory', () => {
  it('shrinks the young generation that start-up churn grew', async () => {
    // Start-up-like churn: many short-lived objects grow the semi-spaces towards their maximum.
    let keep = 0;
    for (let i = 0; i < 200_000; i++) keep += JSON.stringify({ i, text: 'x'.repeat(64) }).length;
    expect(keep).to.be.above(0);
    const before = newSpaceBytes();
    // An idle event loop: the first 50 ms window is quiet, so it collects.
    await releaseStartupMemory(undefined, 50);
    const after = newSpaceBytes();
    expect(after).to.be.at.most(before);
    expect(after).to.be.at.most(4 * 1024 * 1024);
  });

  it('waits for in-flight start-up work first, and settles when that work fails', async () => {
    const order: string[] = [];
    const work = new Promise<void>((_resolve, reject) => setTimeout(() => {
      order.push('work');
      reject(new Error('key download failed'));
    }, 30));
    await releaseStartupMemory(work, 0);
    order.push('collected');
    expect(order).to.deep.equal(['work', 'collected']);
  });
});
