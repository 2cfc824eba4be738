import { expect } from 'chai';
import { createContextKey, ROOT_CONTEXT } from '@opentelemetry/api';
import { ExplicitContextManager, isTraceContextMode, traceContextIn } from '../../src/telemetry/trace-context';

describe('ExplicitContextManager', () => {
  const key = createContextKey('request');
  const requestA = ROOT_CONTEXT.setValue(key, 'a');
  const requestB = ROOT_CONTEXT.setValue(key, 'b');

  it('makes a context active for the synchronous run of with() and restores the previous one after it, nested too', () => {
    const manager = new ExplicitContextManager();
    const seen: unknown[] = [];
    const result = manager.with(requestA, (x: number) => {
      seen.push(manager.active().getValue(key));
      manager.with(requestB, () => seen.push(manager.active().getValue(key)));
      seen.push(manager.active().getValue(key));
      return x * 2;
    }, undefined, 21);
    expect(result).to.equal(42);
    expect(seen).to.deep.equal(['a', 'b', 'a']);
    expect(manager.active()).to.equal(ROOT_CONTEXT);
  });

  it('restores the previous context when the function throws', () => {
    const manager = new ExplicitContextManager();
    expect(() => manager.with(requestA, () => {
      throw new Error('boom');
    })).to.throw('boom');
    expect(manager.active()).to.equal(ROOT_CONTEXT);
  });

  it('does not carry the context past an await: what must survive one is passed explicitly', async () => {
    const manager = new ExplicitContextManager();
    const after = await manager.with(requestA, async () => {
      await null;
      return manager.active().getValue(key);
    });
    expect(after).to.equal(undefined);
  });

  it('binds a function to a context, with its own this and arguments', () => {
    const manager = new ExplicitContextManager();
    const target = { n: 2, times(this: { n: number }, x: number) {
      return [this.n * x, manager.active().getValue(key)];
    } };
    const bound = manager.bind(requestB, target.times);
    expect(bound.call(target, 5)).to.deep.equal([10, 'b']);
    expect(manager.active()).to.equal(ROOT_CONTEXT);
    const notAFunction = { emitter: true };
    expect(manager.bind(requestB, notAFunction)).to.equal(notAFunction);
  });

  it('knows the two TRACE_CONTEXT modes and nothing else', () => {
    expect(['explicit', 'async-local-storage', 'implicit', ''].map(isTraceContextMode)).to.deep.equal([true, true, false, false]);
  });

  it('reads TRACE_CONTEXT trimmed, a blank one as unset, and leaves checking it to the caller', () => {
    expect([undefined, '', '  ', ' async-local-storage\n', 'implicit'].map((value) => traceContextIn({ TRACE_CONTEXT: value }))).to.deep.equal([
      undefined,
      undefined,
      undefined,
      'async-local-storage',
      'implicit',
    ]);
  });
});
