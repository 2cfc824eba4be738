/** Consumer service HTTP API: consumer profiles by id. Seeded in memory with fixed ids. */
import Router from '@koa/router';
import { EdgeError, type EdgeState } from '@portico/edge';

/** A consumer of the food-delivery application. */
export interface Consumer {
  consumerId: string;
  name: string;
  email: string;
  defaultAddress: { street: string; city: string; zip: string };
}

/** Seeded consumers, deterministic across starts. */
export const seedConsumers: readonly Consumer[] = [
  { consumerId: 'c-1001', name: 'Alice Adams', email: 'alice@example.com', defaultAddress: { street: '10 Main St', city: 'Oakland', zip: '94610' } },
  { consumerId: 'c-1002', name: 'Bob Brown', email: 'bob@example.com', defaultAddress: { street: '20 Elm St', city: 'Oakland', zip: '94611' } },
  { consumerId: 'c-1003', name: 'Carol Chen', email: 'carol@example.com', defaultAddress: { street: '30 Oak Ave', city: 'Berkeley', zip: '94704' } },
];

/** Builds the consumer service's routes. */
export function consumerRoutes(consumers: readonly Consumer[] = seedConsumers): Router<EdgeState> {
  const byId = new Map(consumers.map((c) => [c.consumerId, c]));
  const router = new Router<EdgeState>();
  router.get('/consumers/:consumerId', (ctx) => {
    const consumer = byId.get(ctx.params.consumerId ?? '');
    if (!consumer) throw new EdgeError('NOT_FOUND', { detail: `no consumer ${ctx.params.consumerId}` });
    ctx.body = consumer;
  });
  return router;
}
