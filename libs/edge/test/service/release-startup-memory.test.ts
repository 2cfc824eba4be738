import { expect } from 'chai';
import { getHeapSpaceStatistics } from 'node:v8';
import { Readiness } from '../../src/health';
import { releaseStartupMemory, STARTUP_CHECK } from '../../src/service/release-startup-memory';

function newSpaceBytes(): number {
  return getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? NaN;
}

describe('releaseStartupMemory', () => {
  it('holds readiness until it has shrunk the young generation that start-up churn grew', async () => {
    // Start-up-like churn: many short-lived objects grow the semi-spaces towards their maximum.
    let keep = 0;
    for (let i = 0; i < 200_000; i++) keep += JSON.stringify({ i, text: 'x'.repeat(64) }).length;
    expect(keep).to.be.above(0);
    const before = newSpaceBytes();
    const readiness = new Readiness();
    const lines: Array<{ fields: Record<string, unknown>; msg: string }> = [];
    const logger = { info: (fields: Record<string, unknown>, msg: string) => lines.push({ fields, msg }) };
    const released = releaseStartupMemory({ readiness, logger: logger as never });
    expect((await readiness.check()).checks).to.deep.equal({ [STARTUP_CHECK]: false });
    await released;
    const after = newSpaceBytes();
    expect(after).to.be.at.most(before);
    expect(after).to.be.at.most(4 * 1024 * 1024);
    const report = await readiness.check();
    expect(report.ready).to.equal(true);
    expect(report.checks).to.deep.equal({ [STARTUP_CHECK]: true });
    expect(lines.map((l) => l.msg)).to.deep.equal(['start-up memory released']);
    expect(lines[0]!.fields.pauseMs).to.be.a('number');
  });

  it('waits for in-flight start-up work first, staying not ready, and settles when that work fails', async () => {
    const order: string[] = [];
    const readiness = new Readiness();
    const work = new Promise<void>((_resolve, reject) => setTimeout(() => {
      order.push('work');
      reject(new Error('key download failed'));
    }, 30));
    const released = releaseStartupMemory({ readiness, after: work }).then(() => order.push('collected'));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect((await readiness.check()).ready).to.equal(false);
    await released;
    expect(order).to.deep.equal(['work', 'collected']);
    expect((await readiness.check()).ready).to.equal(true);
  });
});
