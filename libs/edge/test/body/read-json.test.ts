import { expect } from 'chai';
import Koa from 'koa';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { z } from 'zod';
import { readValidBody } from '../../src/body';
import { problemMiddleware } from '../../src/errors';
import type { EdgeState } from '../../src/state';

describe('readValidBody', () => {
  let server: Server;
  let url: string;
  let reached = 0;
  const schema = z.object({ restaurantId: z.string().min(1), quantity: z.number().int().positive() }).strict();

  before(async () => {
    const app = new Koa<EdgeState>();
    app.use(problemMiddleware());
    app.use(async (ctx) => {
      const body = await readValidBody(ctx, schema, { limit: 1024 });
      reached += 1;
      ctx.body = { echoed: body };
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(() => server.close());
  beforeEach(() => (reached = 0));

  const post = (body: string | Buffer, type = 'application/json') => request(url, { method: 'POST', body, headers: { 'content-type': type } });

  it('passes a valid body to the handler', async () => {
    const res = await post(JSON.stringify({ restaurantId: 'r-1', quantity: 2 }));
    expect(res.statusCode).to.equal(200);
    expect(await res.body.json()).to.deep.equal({ echoed: { restaurantId: 'r-1', quantity: 2 } });
    expect(reached).to.equal(1);
  });

  it('answers 400 MALFORMED_JSON for broken JSON and invalid UTF-8', async () => {
    for (const body of ['{"restaurantId":', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])]) {
      const res = await post(body);
      expect(res.statusCode).to.equal(400);
      expect(res.headers['content-type']).to.equal('application/problem+json');
      expect(await res.body.json()).to.include({ type: 'urn:portico:problem:malformed-json' });
    }
    expect(reached).to.equal(0);
  });

  it('answers 422 with one errors entry per problem', async () => {
    const res = await post(JSON.stringify({ restaurantId: '', quantity: -1, extra: true }));
    expect(res.statusCode).to.equal(422);
    const problem = (await res.body.json()) as { errors: Array<{ field: string }> };
    expect(problem.errors.map((e) => e.field).sort()).to.deep.equal(['(body)', 'quantity', 'restaurantId']);
    expect(reached).to.equal(0);
  });

  it('answers 413 past the limit and 415 for another media type', async () => {
    const big = await post(JSON.stringify({ restaurantId: 'x'.repeat(2000), quantity: 1 }));
    expect(big.statusCode).to.equal(413);
    await big.body.dump();
    const form = await post('a=b', 'application/x-www-form-urlencoded');
    expect(form.statusCode).to.equal(415);
    await form.body.dump();
    expect(reached).to.equal(0);
  });
});
