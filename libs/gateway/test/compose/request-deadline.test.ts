import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import type { EdgeContext } from '@portico/edge';
import { branchDeadline } from '../../src/compose/request-deadline';
import { UpstreamAbort } from '../../src/upstream-faults';

/** Just enough of a Koa context: the response's close/finish state and ctx.state.deadline. */
function fakeCtx(options: { deadline?: number; destroyed?: boolean } = {}) {
  const res = Object.assign(new EventEmitter(), { destroyed: options.destroyed ?? false, writableFinished: false });
  const ctx = { res, state: options.deadline === undefined ? {} : { deadline: options.deadline } } as unknown as EdgeContext;
  return { ctx, res };
}

describe('branchDeadline', () => {
  it('is the route deadline less the margin, on a signal not yet aborted', () => {
    const at = Date.now() + 2000;
    const { deadline } = branchDeadline(fakeCtx({ deadline: at }).ctx, 50);
    expect(deadline.at).to.equal(at - 50);
    expect(deadline.clientSignal?.aborted).to.equal(false);
  });

  it('defaults to now + defaultMs when the route chain set no deadline', () => {
    const before = Date.now();
    const { deadline } = branchDeadline(fakeCtx().ctx, 100, 3000);
    expect(deadline.at).to.be.within(before + 2900, Date.now() + 2900);
  });

  it('cancel() aborts the branches’ signal', () => {
    const branch = branchDeadline(fakeCtx({ deadline: Date.now() + 2000 }).ctx, 0);
    branch.cancel();
    expect(branch.deadline.clientSignal?.aborted).to.equal(true);
    expect(branch.deadline.expired).to.equal(true);
  });

  it('aborts, telling every listener once, when the response closes before it finished', () => {
    const { ctx, res } = fakeCtx({ deadline: Date.now() + 2000 });
    const { deadline } = branchDeadline(ctx, 0);
    const heard: string[] = [];
    deadline.clientSignal?.addEventListener('abort', () => heard.push('first'));
    const removed = () => heard.push('removed');
    deadline.clientSignal?.addEventListener('abort', removed);
    deadline.clientSignal?.addEventListener('abort', () => heard.push('third'));
    deadline.clientSignal?.removeEventListener('abort', removed);
    res.emit('close');
    res.emit('close');
    expect(deadline.clientSignal?.aborted).to.equal(true);
    expect(heard).to.deep.equal(['first', 'third']);
  });

  it('gives code that needs an AbortSignal one aborted with a client abort', () => {
    const { ctx, res } = fakeCtx({ deadline: Date.now() + 2000 });
    const signal = branchDeadline(ctx, 0).deadline.signal();
    res.emit('close');
    expect(signal.reason).to.be.instanceOf(UpstreamAbort).and.include({ kind: 'client' });
  });

  it('does not abort when the response closes after it finished', () => {
    const { ctx, res } = fakeCtx({ deadline: Date.now() + 2000 });
    const { deadline } = branchDeadline(ctx, 0);
    res.writableFinished = true;
    res.emit('close');
    expect(deadline.clientSignal?.aborted).to.equal(false);
  });

  it('starts aborted when the client is already gone', () => {
    const { deadline } = branchDeadline(fakeCtx({ deadline: Date.now() + 2000, destroyed: true }).ctx, 0);
    expect(deadline.clientSignal?.aborted).to.equal(true);
    expect(deadline.signal().reason).to.be.instanceOf(UpstreamAbort).and.include({ kind: 'client' });
  });
});
