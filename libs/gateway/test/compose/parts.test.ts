import { expect } from 'chai';
import { EdgeError, isEdgeError } from '@portico/edge';
import { composeParts, dependent, isPartial, required } from '../../src/compose/parts';
import { createUpstreams, type Upstreams } from '../../src/clients/upstreams';
import { ServiceClient } from '../../src/clients/service-client';
import { Deadline } from '../../src/clients/deadline';
import { UpstreamClientError } from '../../src/clients/json-body';
import { json, memoryLogger, sleep, startUpstream, type ScriptedUpstream } from '../clients/scripted-upstream';

describe('composition parts', () => {
  let up: ScriptedUpstream;
  let upstreams: Upstreams;
  let client: ServiceClient;
  const started: Record<string, number> = {};

  before(async () => {
    // Each path answers after the latency in its query, e.g. /x?ms=100.
    up = await startUpstream(async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      started[url.pathname] = Date.now();
      await sleep(Number(url.searchParams.get('ms') ?? 0));
      const status = Number(url.searchParams.get('status') ?? 200);
      json(res, status, { path: url.pathname, next: 'b' });
    });
    upstreams = createUpstreams({ order: { url: up.url, policy: { retry: { maxRetries: 0 } } } }, { logger: memoryLogger() });
    client = new ServiceClient(upstreams.get('order'));
    // Warm up: the first request compiles undici's HTTP parser, which would distort the timing tests.
    await client.getJson('/warm-up', { deadline: Deadline.after(2000) });
  });
  after(async () => {
    await upstreams.close();
    await up.close();
  });

  it('fans out 4 parts of 100 ms each in about 100 ms, not 400', async () => {
    const deadline = Deadline.after(2000);
    const t0 = Date.now();
    const body = await composeParts(async ({ required, optional }) => {
      const [a, b, c, d] = await Promise.all([
        required('a', () => client.getJson('/a', { deadline, query: { ms: 100 } })),
        optional('b', () => client.getJson('/b', { deadline, query: { ms: 100 } })),
        optional('c', () => client.getJson('/c', { deadline, query: { ms: 100 } })),
        required('d', () => client.getJson('/d', { deadline, query: { ms: 100 } })),
      ]);
      return { a, b, c, d };
    });
    const elapsed = Date.now() - t0;
    expect(elapsed).to.be.within(95, 200);
    expect(Object.keys(body)).to.deep.equal(['a', 'b', 'c', 'd']);
    expect(body._errors).to.equal(undefined);
  });

  it('starts a dependent call as soon as its input resolves, in parallel with the rest', async () => {
    const deadline = Deadline.after(2000);
    const t0 = Date.now();
    const body = await composeParts(async ({ required, optional }) => {
      const a = required('a', () => client.getJson<{ next: string }>('/a', { deadline, query: { ms: 100 } }));
      const b = optional('b', () => dependent(a, (order) => client.getJson(`/dep-${order.next}`, { deadline, query: { ms: 100 } })));
      const c = optional('c', () => client.getJson('/slow', { deadline, query: { ms: 200 } }));
      const [av, bv, cv] = await Promise.all([a, b, c]);
      return { a: av, b: bv, c: cv };
    });
    const elapsed = Date.now() - t0;
    expect(body.b).to.deep.include({ path: '/dep-b' });
    expect(started['/dep-b']! - t0).to.be.within(95, 160);
    expect(elapsed).to.be.within(195, 290);
  });

  it('answers a failed optional part with null and an _errors entry', async () => {
    const deadline = Deadline.after(2000);
    const body = await composeParts(async ({ required, optional }) => {
      const [order, delivery] = await Promise.all([
        required('order', () => client.getJson('/order', { deadline })),
        optional('delivery', () => client.getJson('/delivery', { deadline: Deadline.after(50), query: { ms: 300 } })),
      ]);
      return { order, delivery };
    });
    expect(body.delivery).to.equal(null);
    expect(body._errors).to.deep.equal([{ part: 'delivery', status: 504, title: 'Request deadline exceeded' }]);
    expect(isPartial(body)).to.equal(true);
  });

  it('fails the whole composition with the mapped status when a required part fails', async () => {
    const deadline = Deadline.after(2000);
    const err = await composeParts(async ({ required, optional }) => {
      const [order, delivery] = await Promise.all([
        required('order', () => client.getJson('/order', { deadline, query: { status: 500 } })),
        optional('delivery', () => client.getJson('/delivery', { deadline })),
      ]);
      return { order, delivery };
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isEdgeError(err)).to.equal(true);
    expect(err).to.include({ code: 'UPSTREAM_ERROR', status: 502 });
  });

  it('logs siblings stopped by a failed required part at debug, not as failed optional parts', async () => {
    const logger = memoryLogger();
    let stopSiblings: () => void = () => {};
    const siblingStopped = new Promise<never>((_, reject) => (stopSiblings = () => reject(new EdgeError('CLIENT_CLOSED_REQUEST'))));
    siblingStopped.catch(() => undefined);
    const early = composeParts(
      async ({ required, optional }) => {
        const order = required('order', () => Promise.reject(new EdgeError('NOT_FOUND', { detail: 'order not found' })));
        const bill = optional('bill', () => siblingStopped);
        const restaurant = optional('restaurant', () => dependent(order.catch(() => null), async () => 1, { part: 'order' }));
        // What the caller does when the required part fails: stop the branches still running.
        order.catch(stopSiblings);
        return { order: await order, bill: await bill, restaurant: await restaurant };
      },
      { log: logger },
    );
    expect(await early.then(() => 'answered', (e: EdgeError) => e.code)).to.equal('NOT_FOUND');
    await new Promise((r) => setImmediate(r));
    expect(logger.lines.filter((l) => l.level === 'warn')).to.deep.equal([]);
    const stopped = logger.lines.filter((l) => l.msg === 'optional part stopped: a required part failed').map((l) => (l.obj as { part: string }).part);
    expect(stopped.sort()).to.deep.equal(['bill', 'restaurant']);
  });

  it('still logs an optional part that failed on its own before the required one did', async () => {
    const logger = memoryLogger();
    await composeParts(
      async ({ required, optional }) => {
        const bill = await optional('bill', () => Promise.reject(new EdgeError('UPSTREAM_TIMEOUT')));
        const order = await required('order', () => Promise.reject(new EdgeError('NOT_FOUND')));
        return { order, bill };
      },
      { log: logger },
    ).catch(() => undefined);
    expect(logger.lines.filter((l) => l.level === 'warn').map((l) => [l.msg, (l.obj as { part: string }).part])).to.deep.equal([['optional part failed', 'bill']]);
  });

  it('maps an upstream 4xx in a required part through UpstreamClientError', async () => {
    const err = await required('order', () => Promise.reject(new UpstreamClientError('order', 409, { detail: 'order already paid' }))).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.include({ code: 'CONFLICT', status: 409, detail: 'order already paid' });
  });

  it('hides unexpected errors of an optional part behind a 500 entry', async () => {
    const body = await composeParts(async ({ optional }) => ({ bill: await optional('bill', () => Promise.reject(new TypeError('x is undefined'))) }));
    expect(body).to.deep.equal({ bill: null, _errors: [{ part: 'bill', status: 500, title: 'Internal server error' }] });
  });

  it('skips a dependent part whose input failed, recording it', async () => {
    const body = await composeParts(async ({ optional }) => {
      const a = optional('a', () => Promise.reject(new EdgeError('UPSTREAM_TIMEOUT')));
      const b = optional('b', () => dependent(a, async () => 1, { part: 'a' }));
      return { a: await a, b: await b };
    });
    expect(body.b).to.equal(null);
    expect(body._errors?.map((e) => e.part)).to.deep.equal(['a', 'b']);
  });

  it('keeps the _errors of concurrent compositions apart', async () => {
    const slowFailure = () => new Promise<never>((_resolve, reject) => setTimeout(() => reject(new EdgeError('UPSTREAM_TIMEOUT')), 20));
    const [first, second] = await Promise.all([
      composeParts(async ({ optional }) => ({ a: await optional('a', slowFailure), b: await optional('b', async () => 2) })),
      composeParts(async ({ optional }) => ({ c: await optional('c', async () => 3), d: await optional('d', slowFailure) })),
    ]);
    expect(first._errors?.map((e) => e.part)).to.deep.equal(['a']);
    expect(second._errors?.map((e) => e.part)).to.deep.equal(['d']);
  });
});
